"""Support in the browser: a question the Support agent is unsure of goes to a person in the
escalations channel; the person's edited answer reaches the asker's thread, and the same
question asked again is answered directly from what was learned."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import APPROVER, MEMBER, RunningControlRoom, Steps
from tests.e2e.sandbox_page import SandboxPage

pytestmark = [pytest.mark.slow, pytest.mark.browser]

UNSURE = "Can I pay for my order with a goat?"
REPLIES = re.compile(r"\d+ repl(y|ies)")
HUMAN_ANSWER = "We only take cards, PayPal and gift cards; goats stay on the farm."


@pytest.fixture
def control_room_with_help_centre(
    ingested_kb: Path, control_room: RunningControlRoom
) -> Iterator[RunningControlRoom]:
    """The control room with the help centre already ingested (var/chroma)."""
    yield control_room


def test_an_escalated_question_is_answered_by_a_person_then_directly_the_next_time(
    control_room_with_help_centre: RunningControlRoom, browser_page, steps: Steps
) -> None:
    control_room = control_room_with_help_centre
    sandbox = SandboxPage(browser_page, control_room.url)
    sandbox.open(user=MEMBER, channel="general")
    sandbox.send(f"@Control Room {UNSURE}")
    question = sandbox.message(UNSURE)
    expect(question.locator(".mention")).to_have_text("@Control Room")
    expect(question.locator(".replies")).to_have_text(REPLIES, timeout=120_000)
    thread = sandbox.open_thread(question)
    expect(thread).to_contain_text("person", timeout=30_000)
    steps.shoot(browser_page, "asker-told-a-person-will-answer")

    sandbox.switch_user(APPROVER)
    sandbox.go_to("support-escalations")
    escalation = sandbox.message_with_button("Edit")
    expect(escalation).to_contain_text(UNSURE)
    steps.shoot(browser_page, "escalation")
    sandbox.click(escalation, "Edit")
    modal = sandbox.modal()
    answer = modal.locator("textarea").first
    answer.fill(HUMAN_ANSWER)
    steps.shoot(browser_page, "edit-modal")
    modal.locator("[data-role=submit]").click()
    expect(browser_page.get_by_role("dialog")).to_have_count(0, timeout=30_000)
    expect(escalation.get_by_role("button", name="Edit")).to_have_count(0, timeout=60_000)
    steps.shoot(browser_page, "escalation-decided")

    sandbox.switch_user(MEMBER)
    sandbox.go_to("general")
    thread = sandbox.open_thread(sandbox.message(UNSURE))
    expect(thread).to_contain_text(HUMAN_ANSWER, timeout=60_000)
    steps.shoot(browser_page, "human-answer-in-askers-thread")
    (learned,) = control_room.services.state.kb_answers()
    assert (learned.question, learned.answer, learned.author) == (UNSURE, HUMAN_ANSWER, APPROVER)

    browser_page.locator("#close-thread").click()
    escalations_before = _escalations(control_room)
    sandbox.send(f"@Control Room {UNSURE}")
    questions = browser_page.locator("#messages .message", has_text=UNSURE)
    expect(questions).to_have_count(2)
    asked_again = questions.nth(1)
    expect(asked_again.locator(".replies")).to_have_text(REPLIES, timeout=120_000)
    thread = sandbox.open_thread(asked_again)
    expect(thread.locator(".message").first).to_have_attribute(
        "data-ts", str(asked_again.get_attribute("data-ts"))
    )
    expect(thread.get_by_role("button", name="Helpful", exact=True)).to_be_visible()
    expect(thread).to_contain_text("goats stay on the farm")
    steps.shoot(browser_page, "answered-directly")
    assert _escalations(control_room) == escalations_before


def _escalations(control_room: RunningControlRoom) -> int:
    channel = control_room.workspace.channel("#support-escalations")
    assert channel is not None
    return len(control_room.workspace.history(channel["id"]))
