"""The sandbox's Slack Web API: the methods the control room calls, over the workspace, answered
in Slack's shapes — ``{"ok": true, …}`` or ``{"ok": false, "error": "channel_not_found"}``.

``WebApi.call(method, args, token)`` takes the arguments however the client sent them (query
string, form fields or JSON; ``blocks``, ``view`` and ``files`` as JSON text or as objects) and
never raises for a caller's mistake: a bad call gets Slack's error code for it. Blocks are checked
with slack_sdk's own models and Slack's limits, so what passes here would pass Slack. Given a
``CallLog``, every call is logged there with its answer, and the log's failures are answered
instead of running the method.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sandbox.calls import CallLog
from sandbox.checks import MAX_MESSAGE_BLOCKS, Args, check_blocks, json_arg, required
from sandbox.errors import ApiError
from sandbox.files import file_object
from sandbox.webapi_conversations import ConversationMethods
from sandbox.webapi_people import BOT_NAME, PeopleMethods
from sandbox.webapi_views import ViewMethods
from sandbox.workspace import TOMBSTONE, Message, Workspace

Answer = dict[str, Any]

MAX_TEXT = 40_000
# chat.scheduleMessage takes times up to 120 days ahead.
MAX_SCHEDULE_AHEAD_SECONDS = 120 * 24 * 3600


class WebApi(ConversationMethods, PeopleMethods, ViewMethods):
    """The Web API methods; ``base_url`` is the sandbox's own address (for upload URLs,
    permalinks and file links); ``log`` keeps the calls (see ``sandbox.calls``)."""

    def __init__(self, workspace: Workspace, base_url: str, log: CallLog | None = None) -> None:
        self.workspace = workspace
        self.base_url = base_url.rstrip("/")
        self.log = log
        # Where apps.connections.open sends the app: a Socket Mode server's ws:// URL (see
        # ``sandbox.socket_mode``), when one is served.
        self.socket_mode_url: str | None = None
        self._methods: dict[str, Callable[[Args], Answer]] = {
            "api.test": lambda args: {"args": args},
            "auth.test": self._auth_test,
            "team.info": self._team_info,
            "bots.info": self._bots_info,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.delete": self._delete,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.getPermalink": self._permalink,
            "chat.scheduleMessage": self._schedule_message,
            "chat.scheduledMessages.list": self._scheduled_list,
            "chat.deleteScheduledMessage": self._delete_scheduled,
            "conversations.list": self._conversations_list,
            "conversations.info": self._conversations_info,
            "conversations.members": self._conversations_members,
            "conversations.join": self._conversations_join,
            "conversations.create": self._conversations_create,
            "conversations.history": self._history,
            "conversations.replies": self._replies,
            "conversations.open": self._open_dm,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "users.lookupByEmail": self._users_lookup_by_email,
            "usergroups.users.list": self._usergroup_users,
            "reactions.add": self._reactions_add,
            "views.open": self._views_open,
            "views.push": self._views_open,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "files.getUploadURLExternal": self._upload_url,
            "files.completeUploadExternal": self._complete_upload,
            "files.info": self._files_info,
        }

    def call(self, method: str, args: Args, token: str | None) -> Answer:
        """Run one method; an error is an answer, as Slack's is."""
        answer = self._answer(method, args, token)
        self.record(method, args, answer)
        return answer

    def record(self, method: str, args: Args, answer: Answer, url: str = "") -> None:
        """Log a call (a Web API method, or ``response_url`` with its ``url``) when there is a
        log."""
        if self.log is not None:
            self.log.record(method, args, answer, url)

    def _answer(self, method: str, args: Args, token: str | None) -> Answer:
        if method == "apps.connections.open":
            return self._connections_open(token)
        handler = self._methods.get(method)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        if method != "api.test":
            if not token:
                return {"ok": False, "error": "not_authed"}
            if token != self.workspace.identity.bot_token:
                return {"ok": False, "error": "invalid_auth"}
        failure = self._injected_failure(method, args)
        if failure:
            return {"ok": False, "error": failure}
        self.workspace.post_due_messages()
        try:
            return {"ok": True, **handler(args)}
        except ApiError as error:
            answer: Answer = {"ok": False, "error": error.code}
            if error.messages:
                answer["errors"] = error.messages
                answer["response_metadata"] = {"messages": [f"[ERROR] {m}" for m in error.messages]}
            return answer

    def _connections_open(self, token: str | None) -> Answer:
        """A Socket Mode connection's URL, for the app-level token only."""
        if not token:
            return {"ok": False, "error": "not_authed"}
        if token != self.workspace.identity.app_token:
            known = token == self.workspace.identity.bot_token
            return {"ok": False, "error": "not_allowed_token_type" if known else "invalid_auth"}
        if self.socket_mode_url is None:
            return {"ok": False, "error": "socket_mode_not_enabled"}
        return {"ok": True, "url": self.socket_mode_url}

    def response_url(self, token: str) -> str:
        """The address of the response URL ``token`` (``Workspace.new_response_target``)."""
        return f"{self.base_url}/response/{token}"

    def _injected_failure(self, method: str, args: Args) -> str | None:
        if self.log is None:
            return None
        channel = self.workspace.channel(str(args["channel"])) if args.get("channel") else None
        return self.log.failure(method, channel["id"] if channel else None)

    # -- messages -----------------------------------------------------------------------------

    def _post_message(self, args: Args) -> Answer:
        channel = self._channel(args)
        message = self._bot_message(args)
        thread_ts = args.get("thread_ts")
        if thread_ts:
            parent = self.workspace.message(channel["id"], str(thread_ts))
            if parent is None:
                raise ApiError("thread_not_found")
            message["thread_ts"] = parent.get("thread_ts") or parent["ts"]
        stored = self.workspace.add_message(channel["id"], message)
        return {"channel": channel["id"], "ts": stored["ts"], "message": stored}

    def _update(self, args: Args) -> Answer:
        channel = self._channel(args)
        ts = required(args, "ts", error="message_not_found")
        current = self.workspace.message(channel["id"], ts)
        if current is None:
            raise ApiError("message_not_found")
        if current.get("bot_id") != self.workspace.identity.bot_id:
            raise ApiError("cant_update_message")
        changes = self._bot_message(args)
        changes["edited"] = {
            "user": self.workspace.identity.bot_user_id,
            "ts": self.workspace.next_ts(),
        }
        if "blocks" not in changes:
            changes["blocks"] = []
        updated = self.workspace.replace_message(channel["id"], ts, changes)
        assert updated is not None
        return {"channel": channel["id"], "ts": ts, "text": updated["text"], "message": updated}

    def _delete(self, args: Args) -> Answer:
        channel = self._channel(args)
        ts = required(args, "ts", error="message_not_found")
        current = self.workspace.message(channel["id"], ts)
        if current is None or current.get("subtype") == TOMBSTONE:
            raise ApiError("message_not_found")
        if current.get("bot_id") != self.workspace.identity.bot_id:
            raise ApiError("cant_delete_message")
        self.workspace.delete_message(channel["id"], ts)
        return {"channel": channel["id"], "ts": ts}

    def _schedule_message(self, args: Args) -> Answer:
        channel = self._channel(args)
        try:
            post_at = int(float(required(args, "post_at", error="invalid_time")))
        except ValueError:
            raise ApiError("invalid_time") from None
        now = time.time()
        if post_at <= now:
            raise ApiError("time_in_past")
        if post_at > now + MAX_SCHEDULE_AHEAD_SECONDS:
            raise ApiError("time_too_far")
        message = self._bot_message(args)
        if args.get("thread_ts"):
            if self.workspace.message(channel["id"], str(args["thread_ts"])) is None:
                raise ApiError("thread_not_found")
            message["thread_ts"] = str(args["thread_ts"])
        scheduled_id = self.workspace.schedule_message(channel["id"], post_at, message)
        shown = {**message, "type": "delayed_message", "subtype": "bot_message"}
        return {
            "channel": channel["id"],
            "scheduled_message_id": scheduled_id,
            "post_at": post_at,
            "message": shown,
        }

    def _scheduled_list(self, args: Args) -> Answer:
        channel = self._channel(args)["id"] if args.get("channel") else None
        return {
            "scheduled_messages": self.workspace.scheduled_messages(channel),
            "response_metadata": {"next_cursor": ""},
        }

    def _delete_scheduled(self, args: Args) -> Answer:
        channel = self._channel(args)
        scheduled_id = required(args, "scheduled_message_id", "invalid_scheduled_message_id")
        if not self.workspace.unschedule_message(channel["id"], scheduled_id):
            raise ApiError("invalid_scheduled_message_id")
        return {}

    def _post_ephemeral(self, args: Args) -> Answer:
        channel = self._channel(args)
        user = required(args, "user", error="user_not_found")
        if self.workspace.person(user) is None:
            raise ApiError("user_not_found")
        message = self._bot_message(args)
        if args.get("thread_ts"):
            message["thread_ts"] = str(args["thread_ts"])
        stored = self.workspace.add_message(channel["id"], message, ephemeral_for=user)
        return {"message_ts": stored["ts"]}

    def _permalink(self, args: Args) -> Answer:
        channel = self._channel(args)
        ts = required(args, "message_ts", error="message_not_found")
        message = self.workspace.message(channel["id"], ts)
        if message is None:
            raise ApiError("message_not_found")
        link = f"{self.base_url}/archives/{channel['id']}/p{ts.replace('.', '')}"
        parent = message.get("thread_ts")
        if parent and parent != ts:
            link += f"?thread_ts={parent}&cid={channel['id']}"
        return {"channel": channel["id"], "permalink": link}

    def _reactions_add(self, args: Args) -> Answer:
        channel = self._channel(args)
        ts = required(args, "timestamp", error="no_item_specified")
        name = required(args, "name", error="invalid_name")
        message = self.workspace.message(channel["id"], ts)
        if message is None:
            raise ApiError("message_not_found")
        reactions = message.get("reactions") or []
        me = self.workspace.identity.bot_user_id
        for reaction in reactions:
            if reaction["name"] == name:
                if me in reaction["users"]:
                    raise ApiError("already_reacted")
                reaction["users"].append(me)
                reaction["count"] += 1
                break
        else:
            reactions.append({"name": name, "users": [me], "count": 1})
        self.workspace.replace_message(channel["id"], ts, {"reactions": reactions})
        return {}

    def _bot_message(self, args: Args) -> Message:
        """The message a bot call describes: its text and checked blocks."""
        text = str(args.get("text") or "")
        blocks = check_blocks(json_arg(args, "blocks"), MAX_MESSAGE_BLOCKS)
        if not text and not blocks:
            raise ApiError("no_text")
        if len(text) > MAX_TEXT:
            raise ApiError("msg_too_long")
        message: Message = {**self.bot_fields(), "text": text}
        if blocks:
            message["blocks"] = blocks
        return message

    def bot_fields(self) -> Message:
        me = self.workspace.identity
        return {
            "user": me.bot_user_id,
            "bot_id": me.bot_id,
            "app_id": me.app_id,
            "team": me.team_id,
            "bot_profile": {"id": me.bot_id, "app_id": me.app_id, "name": BOT_NAME},
        }

    # -- files --------------------------------------------------------------------------------

    def _upload_url(self, args: Args) -> Answer:
        name = required(args, "filename", error="invalid_arguments")
        try:
            length = int(required(args, "length", error="invalid_arguments"))
        except ValueError:
            raise ApiError("invalid_arguments", "length must be a number") from None
        file_id = self.workspace.add_file(name, length, args.get("alt_txt"))
        return {"upload_url": f"{self.base_url}/upload/v1/{file_id}", "file_id": file_id}

    def _complete_upload(self, args: Args) -> Answer:
        files = json_arg(args, "files")
        if not isinstance(files, list) or not files:
            raise ApiError("invalid_arguments", "files must be a non-empty JSON array")
        channel = self._channel(args, "channel_id") if args.get("channel_id") else None
        if channel is None and args.get("channels"):
            channel = self.workspace.channel(str(args["channels"]).split(",")[0])
            if channel is None:
                raise ApiError("channel_not_found")
        completed = []
        for item in files:
            row = self.workspace.file(str(item.get("id")))
            if row is None or row["content"] is None:
                raise ApiError("file_not_found")
            if item.get("title"):
                self.workspace.set_file_title(row["id"], str(item["title"]))
            completed.append(row["id"])
        objects = [self._file(file_id) for file_id in completed]
        if channel is not None:
            text = str(args.get("initial_comment") or "")
            message = {**self.bot_fields(), "text": text, "files": objects, "upload": True}
            if args.get("thread_ts"):
                message["thread_ts"] = str(args["thread_ts"])
            self.workspace.add_message(channel["id"], message)
        return {"files": objects}

    def _files_info(self, args: Args) -> Answer:
        file_id = required(args, "file", error="file_not_found")
        if self.workspace.file(file_id) is None:
            raise ApiError("file_not_found")
        return {"file": self._file(file_id)}

    def _file(self, file_id: str) -> dict[str, Any]:
        row = self.workspace.file(file_id)
        assert row is not None
        return file_object(row, self.base_url, self.workspace.identity.bot_user_id)
