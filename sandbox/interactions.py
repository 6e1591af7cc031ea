"""What a person does in the sandbox page, done as Slack's client and servers would do it.

Typing ``/controlroom gtm`` sends the app a signed slash command with a fresh ``response_url``
and ``trigger_id``; a message in a channel becomes a ``message.channels`` event (the app is a
member of every channel here), and an ``app_mention`` first when it mentions the app; one in the
app's direct-message channel a ``message.im`` event; a click is a ``block_actions``
payload carrying the message or view it was on; a modal's Submit is a ``view_submission`` whose
answer (errors, update, push, clear) is applied as Slack applies it. ``respond`` is the other
direction: what the app posts to a ``response_url``.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sandbox import payloads
from sandbox.calls import RESPONSE_URL
from sandbox.checks import MAX_MESSAGE_BLOCKS, check_blocks
from sandbox.deliver import Ack, AppEndpoint
from sandbox.errors import ApiError, DeliveryError
from sandbox.inputs import Values, input_problems, state_values
from sandbox.webapi import WebApi
from sandbox.workspace import Message, Person, Workspace

logger = logging.getLogger(__name__)

# Slack's limits on a response_url: 5 uses within 30 minutes.
RESPONSE_URL_USES = 5
RESPONSE_URL_SECONDS = 30 * 60
SLACKBOT = "USLACKBOT"


@dataclass(slots=True)
class Outcome:
    """What the page is told: whether the app took it, Slack's error, a modal's field errors."""

    ok: bool = True
    error: str | None = None
    errors: dict[str, str] = field(default_factory=dict)


class Interactions:
    """The person's side of Slack, sending to ``app`` and answering its ``response_url`` calls."""

    def __init__(
        self,
        workspace: Workspace,
        api: WebApi,
        app: AppEndpoint,
        *,
        commands: Sequence[str] = ("/controlroom",),
    ) -> None:
        self.workspace = workspace
        self.api = api
        self.app = app
        self.commands = tuple(commands)

    # -- typing -------------------------------------------------------------------------------

    async def command(self, user_id: str, channel_id: str, line: str) -> Outcome:
        """``/command text`` typed in ``channel_id``: sent to the app, not shown in the channel
        (Slack shows only what the app answers)."""
        person, channel = self._person(user_id), self._channel(channel_id)
        command, _, text = line.strip().partition(" ")
        if command not in self.commands:
            self._slackbot(
                channel["id"],
                user_id,
                f"`{command}` is not a valid command. In Slack, all messages that start with "
                'the "/" character are interpreted as commands.',
            )
            return Outcome(ok=False, error="not_a_command")
        token = self.workspace.new_response_target(user_id, channel["id"], None, None)
        body = payloads.slash_command(
            self.workspace.identity,
            person,
            channel,
            command,
            text.strip(),
            response_url=self.api.response_url(token),
            trigger_id=self.workspace.new_trigger(user_id),
        )
        try:
            ack = await self.app.send(body)
        except DeliveryError as error:
            self._slackbot(
                channel["id"], user_id, f'`{command}` failed with the error "{error.code}"'
            )
            return Outcome(ok=False, error=error.code)
        shown = self._show_ack(ack, channel["id"], user_id)
        if shown is not None:
            self.workspace.point_response_target(token, shown)
        return Outcome()

    async def message(
        self, user_id: str, channel_id: str, text: str, thread_ts: str | None = None
    ) -> Outcome:
        """A message typed by the person, delivered to the app as Slack delivers it to a member
        subscribed to ``message.channels`` and ``message.im``: in a channel, an ``app_mention``
        first when it mentions the app, then the ``message`` event."""
        self._person(user_id)
        channel = self._channel(channel_id)
        text = self._with_mentions(text.strip())
        message = payloads.typed_message(self.workspace.identity, user_id, text, thread_ts)
        stored = self.workspace.add_message(channel["id"], message)
        mention = f"<@{self.workspace.identity.bot_user_id}>" in stored["text"]
        events = [payloads.message_event(stored, channel, mention=False)]
        if mention and not channel["is_im"]:
            events.insert(0, payloads.message_event(stored, channel, mention=True))
        for event in events:
            outcome = await self._deliver_event(event)
            if not outcome.ok:
                return outcome
        return Outcome()

    async def open_home(self, user_id: str) -> Outcome:
        """The person opened the app's Home tab."""
        person = self._person(user_id)
        channel = self.workspace.direct_channel(user_id)
        event = payloads.app_home_opened(person, channel, self.workspace.home_view(user_id))
        return await self._deliver_event(event)

    # -- clicking -----------------------------------------------------------------------------

    async def act_on_message(
        self,
        user_id: str,
        channel_id: str,
        message_ts: str,
        block_id: str,
        action_id: str,
        chosen: Any = None,
    ) -> Outcome:
        """A click (or choice) on an element of a message."""
        person, channel = self._person(user_id), self._channel(channel_id)
        message = self.workspace.message(channel["id"], message_ts)
        if message is None:
            raise ApiError("message_not_found")
        element = payloads.find_element(message.get("blocks") or [], block_id, action_id)
        if element is None:
            raise ApiError("action_not_found")
        ephemeral = self.workspace.is_ephemeral(channel["id"], message_ts)
        container: dict[str, Any] = {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel["id"],
            "is_ephemeral": ephemeral,
        }
        thread_ts = message.get("thread_ts")
        if thread_ts:
            container["thread_ts"] = thread_ts
        token = self.workspace.new_response_target(user_id, channel["id"], message_ts, thread_ts)
        payload = payloads.block_actions(
            self.workspace.identity,
            person,
            payloads.action_of(element, block_id, chosen),
            trigger_id=self.workspace.new_trigger(user_id),
            container=container,
            channel=channel,
            message=None if ephemeral else message,
            response_url=self.api.response_url(token),
        )
        return await self._deliver_interaction(payload)

    async def act_on_view(
        self,
        user_id: str,
        view_id: str,
        block_id: str,
        action_id: str,
        chosen: Any = None,
        values: Values | None = None,
    ) -> Outcome:
        """A click (or choice) on an element of a modal or a Home tab."""
        person = self._person(user_id)
        view = self._view(view_id, user_id)
        element = payloads.find_element(view.get("blocks") or [], block_id, action_id)
        if element is None:
            raise ApiError("action_not_found")
        payload = payloads.block_actions(
            self.workspace.identity,
            person,
            payloads.action_of(element, block_id, chosen),
            trigger_id=self.workspace.new_trigger(user_id),
            container={"type": "view", "view_id": view_id},
            view=view,
            state_values=state_values(view, values or {}),
        )
        return await self._deliver_interaction(payload)

    async def submit(self, user_id: str, view_id: str, values: Values) -> Outcome:
        """Submit a modal; the app's answer decides whether it closes."""
        person = self._person(user_id)
        view = self._view(view_id, user_id)
        problems = input_problems(view, values)
        if problems:
            return Outcome(ok=False, error="invalid_input", errors=problems)
        payload = payloads.view_submission(
            self.workspace.identity,
            person,
            view,
            state_values(view, values),
            trigger_id=self.workspace.new_trigger(user_id),
        )
        try:
            ack = await self.app.send(payloads.interaction_body(payload))
        except DeliveryError as error:
            return Outcome(ok=False, error=error.code)
        return self._apply_view_answer(ack.payload, view, user_id)

    async def close(self, user_id: str, view_id: str) -> Outcome:
        """Cancel a modal (and tell the app when the view asked to be told)."""
        person = self._person(user_id)
        view = self._view(view_id, user_id)
        self.workspace.close_modals(user_id, [view_id])
        if not view.get("notify_on_close"):
            return Outcome()
        payload = payloads.view_closed(self.workspace.identity, person, view)
        return await self._deliver_interaction(payload)

    # -- the app's answers --------------------------------------------------------------------

    def respond(self, token: str, body: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        """A POST to a ``response_url``: a new message, or the original replaced or deleted
        (logged as the Web API's calls are, under ``response_url``)."""
        status, answer = self._respond(token, body)
        self.api.record(RESPONSE_URL, dict(body), answer, self.api.response_url(token))
        return status, answer

    def _respond(self, token: str, body: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        target = self.workspace.use_response_target(
            token, max_uses=RESPONSE_URL_USES, max_age=RESPONSE_URL_SECONDS
        )
        if target is None:
            return 404, {"ok": False, "error": "expired_url"}
        try:
            blocks = check_blocks(body.get("blocks"), MAX_MESSAGE_BLOCKS)
        except ApiError as error:
            return 400, {"ok": False, "error": error.code, "errors": error.messages}
        if body.get("delete_original") and target.message_ts:
            self.workspace.delete_message(target.channel, target.message_ts)
            return 200, {"ok": True}
        text = str(body.get("text") or "")
        if not text and not blocks:
            return 400, {"ok": False, "error": "no_text"}
        message: Message = {**self.api.bot_fields(), "text": text}
        if blocks:
            message["blocks"] = blocks
        if _true(body.get("replace_original")) and target.message_ts:
            changes = {**message, "blocks": blocks}
            if self.workspace.replace_message(target.channel, target.message_ts, changes):
                return 200, {"ok": True}
        thread_ts = body.get("thread_ts") or target.thread_ts
        if thread_ts:
            message["thread_ts"] = str(thread_ts)
        in_channel = body.get("response_type") == "in_channel"
        self.workspace.add_message(
            target.channel, message, ephemeral_for=None if in_channel else target.user_id
        )
        return 200, {"ok": True}

    def _apply_view_answer(
        self, answer: Mapping[str, Any], view: dict[str, Any], user: str
    ) -> Outcome:
        action = answer.get("response_action")
        if action == "errors":
            return Outcome(ok=False, error="errors", errors=dict(answer.get("errors") or {}))
        if action in ("update", "push"):
            try:
                kind = "update" if action == "update" else "push"
                new_id = view["id"] if kind == "update" else "V" + uuid.uuid4().hex[:10].upper()
                built = self.api.build_view({"view": answer.get("view")}, "modal", view_id=new_id)
            except ApiError as error:
                logger.warning("the app answered a submission with a bad view: %s", error.messages)
                return Outcome(ok=False, error=error.code)
            built["root_view_id"] = view.get("root_view_id") or view["id"]
            built["previous_view_id"] = view.get("previous_view_id" if kind == "update" else "id")
            self.workspace.save_view(built, user, is_open=True)
            return Outcome()
        if action == "clear":
            self.workspace.close_modals(user)
        else:
            self.workspace.close_modals(user, [view["id"]])
        return Outcome()

    def _show_ack(self, ack: Ack, channel: str, user_id: str) -> str | None:
        """A slash command's immediate answer: shown to the person (or everyone, in_channel);
        its message's ts, or None when nothing was shown."""
        answer = ack.payload if ack.payload else ({"text": ack.body} if ack.body else {})
        if not answer.get("text") and not answer.get("blocks"):
            return None
        try:
            blocks = check_blocks(answer.get("blocks"), MAX_MESSAGE_BLOCKS)
        except ApiError as error:
            self._slackbot(channel, user_id, f"The app's answer was refused: {error.code}")
            return None
        message: Message = {**self.api.bot_fields(), "text": str(answer.get("text") or "")}
        if blocks:
            message["blocks"] = blocks
        in_channel = answer.get("response_type") == "in_channel"
        stored = self.workspace.add_message(
            channel, message, ephemeral_for=None if in_channel else user_id
        )
        return str(stored["ts"])

    async def _deliver_event(self, event: dict[str, Any]) -> Outcome:
        envelope = payloads.event_envelope(self.workspace.identity, event)
        try:
            await self.app.send_json(envelope)
        except DeliveryError as error:
            return Outcome(ok=False, error=error.code)
        return Outcome()

    async def _deliver_interaction(self, payload: dict[str, Any]) -> Outcome:
        try:
            await self.app.send(payloads.interaction_body(payload))
        except DeliveryError as error:
            return Outcome(ok=False, error=error.code)
        return Outcome()

    # -- helpers ------------------------------------------------------------------------------

    def _person(self, user_id: str) -> Person:
        person = self.workspace.person(user_id)
        if person is None:
            raise ApiError("user_not_found")
        return person

    def _channel(self, channel_id: str) -> dict[str, Any]:
        channel = self.workspace.channel(channel_id)
        if channel is None:
            raise ApiError("channel_not_found")
        return channel

    def _view(self, view_id: str, user_id: str) -> dict[str, Any]:
        found = self.workspace.view(view_id)
        if found is None or found[1] != user_id:
            raise ApiError("not_found")
        return found[0]

    def _slackbot(self, channel: str, user_id: str, text: str) -> None:
        self.workspace.add_message(channel, {"user": SLACKBOT, "text": text}, ephemeral_for=user_id)

    def _with_mentions(self, text: str) -> str:
        """``@Control Room`` / ``@controlroom`` / ``@avery`` as Slack stores them: ``<@U…>``."""
        handles: dict[str, str] = {
            "control room": self.workspace.identity.bot_user_id,
            "controlroom": self.workspace.identity.bot_user_id,
        }
        for person in self.workspace.people():
            handles[person.name.lower()] = person.id
            handles[person.real_name.lower()] = person.id
        for handle in sorted(handles, key=len, reverse=True):
            pattern = re.compile(r"@" + re.escape(handle) + r"\b", re.IGNORECASE)
            text = pattern.sub(f"<@{handles[handle]}>", text)
        return text


def _true(value: Any) -> bool:
    return value is True or str(value).lower() == "true"
