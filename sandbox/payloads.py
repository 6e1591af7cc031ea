"""The requests Slack sends an app, built the way Slack builds them (pure functions).

Shapes follow Slack's documentation and bolt-python's ``tests/scenario_tests``: a slash command
is a form body; an interaction (``block_actions``, ``view_submission``, ``view_closed``) is a form
field ``payload`` holding JSON; an event is a JSON ``event_callback`` envelope.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlencode

from sandbox.workspace import Identity, Message, Person

Payload = dict[str, Any]

# Elements whose value a person sets in a message, a Home tab or a modal.
INPUT_ELEMENTS = frozenset(
    {
        "plain_text_input",
        "number_input",
        "email_text_input",
        "url_text_input",
        "static_select",
        "external_select",
        "users_select",
        "conversations_select",
        "channels_select",
        "radio_buttons",
        "checkboxes",
        "datepicker",
        "timepicker",
        "overflow",
        "multi_static_select",
    }
)


def user_of(person: Person, identity: Identity) -> Payload:
    return {
        "id": person.id,
        "username": person.name,
        "name": person.name,
        "team_id": identity.team_id,
    }


def slash_command(
    identity: Identity,
    person: Person,
    channel: Mapping[str, Any],
    command: str,
    text: str,
    *,
    response_url: str,
    trigger_id: str,
) -> str:
    """The form body of ``command text`` typed by ``person`` in ``channel``."""
    return urlencode(
        {
            "token": "sandbox-verification-token",
            "team_id": identity.team_id,
            "team_domain": "twopeaks",
            "channel_id": channel["id"],
            "channel_name": channel.get("name") or "directmessage",
            "user_id": person.id,
            "user_name": person.name,
            "command": command,
            "text": text,
            "api_app_id": identity.app_id,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
    )


def block_actions(
    identity: Identity,
    person: Person,
    action: Payload,
    *,
    trigger_id: str,
    container: Payload,
    channel: Mapping[str, Any] | None = None,
    message: Message | None = None,
    view: Payload | None = None,
    response_url: str | None = None,
    state_values: Payload | None = None,
) -> Payload:
    """A click (or choice) on ``action``, an element of a message or a view."""
    payload: Payload = {
        "type": "block_actions",
        "user": user_of(person, identity),
        "api_app_id": identity.app_id,
        "token": "sandbox-verification-token",
        "container": container,
        "trigger_id": trigger_id,
        "team": {"id": identity.team_id, "domain": "twopeaks"},
        "enterprise": None,
        "is_enterprise_install": False,
        "actions": [{**action, "action_ts": f"{time.time():.6f}"}],
        "state": {"values": state_values or {}},
    }
    if channel is not None:
        payload["channel"] = {"id": channel["id"], "name": channel.get("name") or "directmessage"}
    if message is not None:
        payload["message"] = {k: v for k, v in message.items() if k != "ephemeral_for"}
    if view is not None:
        payload["view"] = {**view, "state": {"values": state_values or {}}}
    if response_url is not None:
        payload["response_url"] = response_url
    return payload


def view_submission(
    identity: Identity, person: Person, view: Payload, state_values: Payload, *, trigger_id: str
) -> Payload:
    """The submission of ``view`` with what the person entered."""
    return {
        "type": "view_submission",
        "team": {"id": identity.team_id, "domain": "twopeaks"},
        "user": user_of(person, identity),
        "api_app_id": identity.app_id,
        "token": "sandbox-verification-token",
        "trigger_id": trigger_id,
        "view": {**view, "state": {"values": state_values}},
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def view_closed(identity: Identity, person: Person, view: Payload) -> Payload:
    return {
        "type": "view_closed",
        "team": {"id": identity.team_id, "domain": "twopeaks"},
        "user": user_of(person, identity),
        "api_app_id": identity.app_id,
        "token": "sandbox-verification-token",
        "view": view,
        "is_cleared": False,
        "is_enterprise_install": False,
    }


def interaction_body(payload: Payload) -> str:
    """An interaction as Slack posts it: form-encoded, the JSON in the ``payload`` field."""
    return urlencode({"payload": json.dumps(payload)})


def event_envelope(identity: Identity, event: Payload) -> Payload:
    """The ``event_callback`` wrapping one event, as the Events API delivers it."""
    return {
        "token": "sandbox-verification-token",
        "team_id": identity.team_id,
        "api_app_id": identity.app_id,
        "event": event,
        "type": "event_callback",
        "event_id": "Ev" + secrets.token_hex(5).upper(),
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": identity.team_id,
                "user_id": identity.bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": "4-" + secrets.token_hex(12),
    }


def typed_message(
    identity: Identity, user_id: str, text: str, thread_ts: str | None = None
) -> Message:
    """A message a person typed (in the thread of ``thread_ts`` when given), before the
    workspace stores it and sets its ``ts``."""
    message: Message = {
        "user": user_id,
        "text": text,
        "team": identity.team_id,
        "client_msg_id": str(uuid.uuid4()),
    }
    if thread_ts:
        message["thread_ts"] = thread_ts
    return message


def message_event(message: Message, channel: Mapping[str, Any], *, mention: bool) -> Payload:
    """``app_mention`` (``mention``), or the ``message`` event of ``message.im`` (in a direct
    message with the app) or ``message.channels``."""
    event: Payload = {
        "type": "app_mention" if mention else "message",
        "user": message["user"],
        "text": message["text"],
        "ts": message["ts"],
        "client_msg_id": message.get("client_msg_id"),
        "team": message.get("team"),
        "channel": channel["id"],
        "event_ts": message["ts"],
    }
    if message.get("thread_ts"):
        event["thread_ts"] = message["thread_ts"]
    if not mention:
        event["channel_type"] = "im" if channel.get("is_im") else "channel"
    return event


def app_home_opened(person: Person, channel: Mapping[str, Any], view: Payload | None) -> Payload:
    event: Payload = {
        "type": "app_home_opened",
        "user": person.id,
        "channel": channel["id"],
        "tab": "home",
        "event_ts": f"{time.time():.6f}",
    }
    if view is not None:
        event["view"] = view
    return event


def elements(blocks: list[Payload]) -> Iterator[tuple[str, Payload]]:
    """Every interactive element of ``blocks`` with its block's id (actions, accessories,
    inputs)."""
    for block in blocks:
        block_id = str(block.get("block_id") or "")
        if block.get("type") == "actions":
            for element in block.get("elements") or []:
                yield block_id, element
        elif block.get("type") == "input" and block.get("element"):
            yield block_id, block["element"]
        elif block.get("accessory"):
            yield block_id, block["accessory"]


def find_element(blocks: list[Payload], block_id: str, action_id: str) -> Payload | None:
    for found_block, element in elements(blocks):
        if found_block == block_id and element.get("action_id") == action_id:
            return element
    return None


def action_of(element: Payload, block_id: str, chosen: Any) -> Payload:
    """The ``actions[0]`` entry for ``element`` given what was chosen (a value, an option's
    value or a list of them)."""
    kind = element.get("type")
    action: Payload = {"type": kind, "action_id": element.get("action_id"), "block_id": block_id}
    if kind == "button":
        action.update(text=element.get("text"), value=element.get("value"))
        if element.get("style"):
            action["style"] = element["style"]
    elif kind in ("static_select", "radio_buttons", "overflow"):
        action["selected_option"] = _option(element, chosen)
    elif kind in ("checkboxes", "multi_static_select"):
        action["selected_options"] = [_option(element, v) for v in chosen or []]
    elif kind == "datepicker":
        action["selected_date"] = chosen
    else:
        action["value"] = chosen
    return action


def state_value(element: Payload, chosen: Any) -> Payload:
    """One entry of ``view.state.values`` for ``element`` holding ``chosen``."""
    kind = element.get("type")
    if kind in ("static_select", "radio_buttons", "external_select"):
        return {"type": kind, "selected_option": _option(element, chosen) if chosen else None}
    if kind in ("checkboxes", "multi_static_select"):
        return {"type": kind, "selected_options": [_option(element, v) for v in chosen or []]}
    if kind == "datepicker":
        return {"type": kind, "selected_date": chosen or None}
    if kind == "users_select":
        return {"type": kind, "selected_user": chosen or None}
    return {"type": kind, "value": chosen if chosen not in ("", None) else None}


def _option(element: Payload, value: Any) -> Payload | None:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options") or []
    for option in options:
        if option.get("value") == value:
            return dict(option)
    return None
