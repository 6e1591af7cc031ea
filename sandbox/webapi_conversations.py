"""The Web API's ``conversations.*`` methods: listing, reading, opening, joining and creating
channels, and their members.

Everyone, the app's bot included, is a member of every public channel here (as the sandbox's
events assume), so ``conversations.join`` finds the bot already in and says so, as Slack does.
The sandbox has public channels and the app's direct messages only: a private channel is refused.
"""

from __future__ import annotations

import re
from typing import Any

from sandbox.checks import Args, required
from sandbox.errors import ApiError
from sandbox.workspace import Workspace

Answer = dict[str, Any]

# Slack's rule for channel names: lowercase letters, digits, hyphens and underscores, ≤ 80.
MAX_CHANNEL_NAME = 80
_CHANNEL_NAME = re.compile(r"[a-z0-9_-]+")


class ConversationMethods:
    """Channels and direct messages."""

    workspace: Workspace

    def _channel(self, args: Args, key: str = "channel") -> dict[str, Any]:
        channel = self.workspace.channel(required(args, key, error="channel_not_found"))
        if channel is None:
            raise ApiError("channel_not_found")
        return channel

    def _conversations_list(self, args: Args) -> Answer:
        types = str(args.get("types") or "public_channel").split(",")
        channels = [c for c in self.workspace.channels() if ("im" in types if c["is_im"] else True)]
        return {"channels": channels, "response_metadata": {"next_cursor": ""}}

    def _conversations_info(self, args: Args) -> Answer:
        return {"channel": self._channel(args)}

    def _conversations_members(self, args: Args) -> Answer:
        channel = self._channel(args)
        bot = self.workspace.identity.bot_user_id
        if channel["is_im"]:
            members = [channel["user"], bot]
        else:
            members = [p.id for p in self.workspace.people() if not p.is_bot] + [bot]
        return {"members": members, "response_metadata": {"next_cursor": ""}}

    def _conversations_join(self, args: Args) -> Answer:
        channel = self._channel(args)
        if channel["is_im"]:
            raise ApiError("method_not_supported_for_channel_type")
        return {
            "channel": channel,
            "warning": "already_in_channel",
            "response_metadata": {"warnings": ["already_in_channel"]},
        }

    def _conversations_create(self, args: Args) -> Answer:
        name = str(args.get("name") or "")
        if not name:
            raise ApiError("invalid_name_required")
        if len(name) > MAX_CHANNEL_NAME:
            raise ApiError("invalid_name_maxlength")
        if not _CHANNEL_NAME.fullmatch(name):
            raise ApiError("invalid_name_specials")
        if not re.search(r"[a-z0-9]", name):
            raise ApiError("invalid_name_punctuation")
        if str(args.get("is_private")).lower() in ("true", "1"):
            raise ApiError("restricted_action", "the sandbox has public channels only")
        if self.workspace.channel(name) is not None:
            raise ApiError("name_taken")
        return {"channel": self.workspace.add_channel(name)}

    def _open_dm(self, args: Args) -> Answer:
        users = str(required(args, "users", error="users_list_not_supplied")).split(",")
        if len(users) != 1 or self.workspace.person(users[0]) is None:
            raise ApiError("user_not_found")
        return {"channel": {"id": self.workspace.direct_channel(users[0])["id"]}}

    def _history(self, args: Args) -> Answer:
        channel = self._channel(args)
        limit = min(int(args.get("limit") or 100), 999)
        messages = self.workspace.history(channel["id"], limit=limit)
        return {
            "messages": list(reversed(messages)),  # newest first, as Slack's
            "has_more": False,
            "pin_count": 0,
            "response_metadata": {"next_cursor": ""},
        }

    def _replies(self, args: Args) -> Answer:
        channel = self._channel(args)
        messages = self.workspace.replies(channel["id"], required(args, "ts", "thread_not_found"))
        if not messages:
            raise ApiError("thread_not_found")
        return {"messages": messages, "has_more": False, "response_metadata": {"next_cursor": ""}}
