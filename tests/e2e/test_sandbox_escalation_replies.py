"""A reply in a support escalation's thread, typed in the sandbox as a person types it in Slack:
the sandbox delivers every channel message as ``message.channels`` (and a mention as
``app_mention`` too), the app answers a mention once, offers an approver's thread reply with
"Send this reply to the customer", and the click puts that reply in the asker's thread once."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from bot import ids
from bot.blocks.support import RELAY_BLOCK
from sandbox import Workspace
from tests.e2e.conftest import APPROVER, MEMBER, RunningControlRoom, run_async

pytestmark = pytest.mark.slow

UNSURE = "Can I pay for my order with a goat?"
HUMAN_ANSWER = "We take cards, PayPal and gift cards & nothing with hooves."
T = TypeVar("T")


def eventually(found: Callable[[], T | None], what: str, seconds: float = 60) -> T:
    """What ``found`` returns once it is something, waiting for the app's answer."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"no {what} after {seconds} s")


def channel_id(workspace: Workspace, name: str) -> str:
    channel = workspace.channel(name)
    assert channel is not None
    return str(channel["id"])


def by_app(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in messages if m.get("bot_id") and not m.get("ephemeral_for")]


def has_button(message: dict[str, Any], action_id: str) -> bool:
    return any(
        element.get("action_id") == action_id
        for block in message.get("blocks") or []
        for element in block.get("elements") or []
    )


def test_an_approvers_thread_reply_typed_in_the_sandbox_reaches_the_askers_thread_once(
    ingested_kb: Path, control_room: RunningControlRoom
) -> None:
    workspace, interactions = control_room.workspace, control_room.demo.interactions
    general = channel_id(workspace, "#general")
    escalations = channel_id(workspace, "#support-escalations")

    asked = run_async(interactions.message(MEMBER, general, f"@Control Room {UNSURE}"))
    assert asked.ok
    question = next(m for m in workspace.history(general) if UNSURE in m["text"])
    escalation = eventually(
        lambda: next(
            (m for m in workspace.history(escalations) if has_button(m, ids.APPROVE)), None
        ),
        "escalation",
    )
    # Delivered twice (app_mention and message.channels), told once.
    told = eventually(lambda: by_app(workspace.replies(general, question["ts"])), "notice")
    assert len(told) == 1

    replied = run_async(
        interactions.message(APPROVER, escalations, HUMAN_ANSWER, thread_ts=escalation["ts"])
    )
    assert replied.ok
    offer = eventually(
        lambda: next(
            (
                m
                for m in workspace.replies(escalations, escalation["ts"])
                if has_button(m, ids.SUPPORT_RELAY_REPLY)
            ),
            None,
        ),
        "offer",
    )
    clicked = run_async(
        interactions.act_on_message(
            APPROVER, escalations, offer["ts"], RELAY_BLOCK, ids.SUPPORT_RELAY_REPLY
        )
    )
    assert clicked.ok

    answers = eventually(
        lambda: [m for m in by_app(workspace.replies(general, question["ts"])) if m not in told],
        "answer",
    )
    [answer] = answers
    assert "nothing with hooves" in str(answer["blocks"])

    def marked_sent() -> dict[str, Any] | None:
        shown = workspace.message(escalations, offer["ts"]) or {}
        return None if has_button(shown, ids.SUPPORT_RELAY_REPLY) else shown

    sent = eventually(marked_sent, "the offer marked sent")
    assert f"Sent to the customer by <@{APPROVER}>" in str(sent["blocks"])
    time.sleep(1)  # nothing more arrives
    assert len(by_app(workspace.replies(general, question["ts"]))) == 2
