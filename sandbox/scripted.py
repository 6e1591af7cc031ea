"""Slack's requests to the app for a script rather than a person at the page (tests, benches):
the payloads of ``sandbox.payloads`` with response URLs and trigger ids the sandbox issues,
signed by ``sandbox.deliver``, and answered raw — the HTTP status and body — so that a script
can check an ack itself (a 401 for a bad signature, a modal's errors, a busy refusal).

``Interactions`` does the same for the page and then acts on the answer as Slack's client
would; a script builds the body here (``command_body`` …) and posts it with ``post``, or with
its own HTTP client (a bench sending many at once) using ``signed_headers``.
"""

from __future__ import annotations

import json
from typing import Any

import requests

from sandbox import payloads
from sandbox.deliver import FORM, JSON, signed_headers
from sandbox.errors import ApiError
from sandbox.inputs import state_values
from sandbox.webapi import WebApi
from sandbox.workspace import Person

Payload = dict[str, Any]
POST_TIMEOUT_SECONDS = 10.0


class ScriptedSlack:
    """Requests from the workspace's people to the app at ``request_url``; commands are typed
    by ``user`` in ``channel`` unless others are named."""

    def __init__(
        self,
        api: WebApi,
        request_url: str,
        *,
        command: str = "/controlroom",
        user: str,
        channel: str = "#general",
    ) -> None:
        self.api = api
        self.workspace = api.workspace
        self.request_url = request_url
        self.command_name = command
        self.user = user
        self.channel = channel

    @property
    def signing_secret(self) -> str:
        return self.workspace.identity.signing_secret

    def post(
        self,
        body: str,
        *,
        content_type: str = FORM,
        timestamp: int | None = None,
        signature: str | None = None,
        retry: int | None = None,
    ) -> requests.Response:
        """POST ``body`` to the app signed at ``timestamp`` (now when not given), or with
        ``signature`` as given; ``retry``: as Slack's ``retry``-th retry of a delivery the app
        did not answer in time. The app's answer as it came."""
        headers = signed_headers(self.signing_secret, body, content_type, timestamp=timestamp)
        if signature is not None:
            headers["X-Slack-Signature"] = signature
        if retry is not None:
            headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return requests.post(
            self.request_url, data=body.encode(), headers=headers, timeout=POST_TIMEOUT_SECONDS
        )

    # -- commands -----------------------------------------------------------------------------

    def command_body(
        self, text: str, *, user_id: str | None = None, channel: str | None = None
    ) -> str:
        """The form body of ``/controlroom <text>`` typed by ``user_id``, its response URL
        aimed at the channel it was typed in."""
        user_id = user_id or self.user
        person, where = self.person(user_id), self._channel(channel or self.channel)
        token = self.workspace.new_response_target(user_id, where["id"], None, None)
        return payloads.slash_command(
            self.workspace.identity,
            person,
            where,
            self.command_name,
            text,
            response_url=self.api.response_url(token),
            trigger_id=self.workspace.new_trigger(user_id),
        )

    def command(
        self, text: str, *, user_id: str | None = None, channel: str | None = None
    ) -> requests.Response:
        """``/controlroom <text>`` typed by ``user_id``; the app's ack."""
        return self.post(self.command_body(text, user_id=user_id, channel=channel))

    # -- events -------------------------------------------------------------------------------

    def event_body(self, event: Payload) -> str:
        """An Events API delivery of ``event``: its ``event_callback`` envelope as JSON."""
        return json.dumps(payloads.event_envelope(self.workspace.identity, event))

    def event(self, event: Payload) -> requests.Response:
        return self.post(self.event_body(event), content_type=JSON)

    def deliver(self, event_body: str, *, retry: int | None = None) -> requests.Response:
        """Deliver an ``event_body`` (its ``event_id`` kept) once more, as Slack's ``retry``-th
        retry when given."""
        return self.post(event_body, content_type=JSON, retry=retry)

    def message(
        self,
        text: str,
        *,
        user_id: str | None = None,
        channel: str | None = None,
        thread_ts: str | None = None,
        mention: bool = False,
    ) -> Payload:
        """``text`` written by ``user_id`` in ``channel`` (a user's ID: their direct messages
        with the app), in the thread of ``thread_ts`` when given, and stored in the workspace
        as Slack stores it before telling the app, so the app's replies have their parent.
        Its event, for ``event`` to send: ``app_mention`` when ``mention`` (the text then
        starts by mentioning the app), else ``message``."""
        user_id = user_id or self.user
        self.person(user_id)
        where = self._channel(channel or self.channel)
        if mention:
            text = f"<@{self.workspace.identity.bot_user_id}> {text}"
        typed = payloads.typed_message(self.workspace.identity, user_id, text, thread_ts)
        stored = self.workspace.add_message(where["id"], typed)
        return payloads.message_event(stored, where, mention=mention)

    def home_opened(self, user_id: str) -> Payload:
        """The ``app_home_opened`` event of ``user_id`` opening the app's Home tab."""
        person = self.person(user_id)
        channel = self.workspace.direct_channel(user_id)
        return payloads.app_home_opened(person, channel, self.workspace.home_view(user_id))

    # -- clicks and modals --------------------------------------------------------------------

    def click_body(
        self, action_id: str, value: str, *, user_id: str, channel: str, message_ts: str
    ) -> str:
        """A click by ``user_id`` on the button ``action_id`` of the message at (``channel``,
        ``message_ts``), carrying ``value`` — the button's, or another a script forges. The
        message is sent along as stored, as Slack does; a message the workspace does not hold
        (a script's own) is sent as its ts alone."""
        person, where = self.person(user_id), self._channel(channel)
        message = self.workspace.message(where["id"], message_ts)
        found = [
            (block_id, element)
            for block_id, element in payloads.elements((message or {}).get("blocks") or [])
            if element.get("action_id") == action_id
        ]
        if found:
            action = payloads.action_of(found[0][1], found[0][0], None)
        else:
            action = {"type": "button", "action_id": action_id, "block_id": ""}
        action["value"] = value
        thread_ts = (message or {}).get("thread_ts")
        token = self.workspace.new_response_target(user_id, where["id"], message_ts, thread_ts)
        container: Payload = {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": where["id"],
            "is_ephemeral": self.workspace.is_ephemeral(where["id"], message_ts),
        }
        if thread_ts:
            container["thread_ts"] = thread_ts
        payload = payloads.block_actions(
            self.workspace.identity,
            person,
            action,
            trigger_id=self.workspace.new_trigger(user_id),
            container=container,
            channel=where,
            message=message or {"type": "message", "ts": message_ts, "text": ""},
            response_url=self.api.response_url(token),
        )
        return payloads.interaction_body(payload)

    def click(
        self, action_id: str, value: str, *, user_id: str, channel: str, message_ts: str
    ) -> requests.Response:
        return self.post(
            self.click_body(
                action_id, value, user_id=user_id, channel=channel, message_ts=message_ts
            )
        )

    def click_in_view(self, action_id: str, *, user_id: str, view_id: str) -> requests.Response:
        """A click by ``user_id`` on the button ``action_id`` of the view ``view_id`` (their
        Home tab, or a modal), as the workspace holds it."""
        found = self.workspace.view(view_id)
        if found is None:
            raise ApiError("not_found", f"no view {view_id} in the sandbox's workspace")
        view = found[0]
        matches = [
            (block_id, element)
            for block_id, element in payloads.elements(view.get("blocks") or [])
            if element.get("action_id") == action_id
        ]
        if not matches:
            raise ApiError("action_not_found", f"no {action_id} in view {view_id}")
        block_id, element = matches[0]
        payload = payloads.block_actions(
            self.workspace.identity,
            self.person(user_id),
            payloads.action_of(element, block_id, None),
            trigger_id=self.workspace.new_trigger(user_id),
            container={"type": "view", "view_id": view_id},
            view=view,
            state_values=state_values(view, {}),
        )
        return self.post(payloads.interaction_body(payload))

    def submit_view(self, view: Payload, values: Payload, *, user_id: str) -> requests.Response:
        """The submission of ``view`` (as the app opened it, or as a script forges it: a modal
        unless it says otherwise) with ``values`` typed in, in Slack's ``view.state.values``
        shape."""
        payload = payloads.view_submission(
            self.workspace.identity,
            self.person(user_id),
            {"type": "modal", **view},
            values,
            trigger_id=self.workspace.new_trigger(user_id),
        )
        return self.post(payloads.interaction_body(payload))

    # -- helpers ------------------------------------------------------------------------------

    def person(self, user_id: str) -> Person:
        person = self.workspace.person(user_id)
        if person is None:
            raise ApiError("user_not_found", f"{user_id} is not in the sandbox's workspace")
        return person

    def _channel(self, ref: str) -> dict[str, Any]:
        channel = self.workspace.channel(ref)
        if channel is None:
            raise ApiError("channel_not_found", f"{ref} is not in the sandbox's workspace")
        return channel
