"""Support questions a person answers, through the real Bolt app over signed HTTP against the
sandbox's Slack: an unsure or hostile question escalated, approved, edited or rejected, and the
asker told in their thread; and what the asker hears when posting fails."""

from __future__ import annotations

import time

import pytest

from bot import ids
from bot.failures import SORRY
from controlroom.services import Services
from tests.integration.slack_app._support import (
    APPROVER,
    ASKER,
    ASKER_DM,
    DM,
    ESCALATIONS,
    ESCALATIONS_ID,
    INJECTION,
    UNSURE,
    WE_CANNOT,
    asked,
    buttons,
    direct_message,
    escalate,
    mention,
    posted,
)
from tests.slack_sandbox import RunningBot, texts

# The app with the shipped help centre ingested, for the Support agent to answer from.
pytestmark = pytest.mark.usefixtures("ingested_kb")


def test_an_unsure_answer_goes_to_a_person_and_the_asker_is_told_in_their_thread(
    bot: RunningBot, services: Services
) -> None:
    ts = asked(bot, mention(bot, UNSURE))
    [escalation] = posted(bot, ESCALATIONS, None)
    run_id = buttons(escalation.args["blocks"])[ids.APPROVE]
    assert buttons(escalation.args["blocks"]) == {
        ids.APPROVE: run_id,
        ids.REJECT: run_id,
        ids.EDIT: run_id,
    }
    shown = texts(escalation.args["blocks"])
    assert UNSURE in shown and f"<@{ASKER}>" in shown and "Confidence" in shown
    assert "/help/payments/" in shown  # the draft's sources
    [told] = posted(bot, "C0GTM", ts)
    assert "a person from the team" in texts(told.args["blocks"])
    assert buttons(told.args["blocks"]) == {}  # the asker does not see the unsure draft
    escalation_ts = escalation.answer["ts"]
    [guide] = posted(bot, ESCALATIONS_ID, escalation_ts)  # the escalation's own thread
    assert f"<@{ASKER}> is waiting for an answer in <#C0GTM>" in guide.args["text"]
    approval = services.state.get_approval(run_id)
    assert (approval.workflow, approval.status) == ("support", "pending")
    assert (approval.channel_id, approval.message_ts) == (ESCALATIONS_ID, escalation_ts)


def test_an_approved_answer_is_posted_in_the_askers_thread_and_then_answered_directly(
    bot: RunningBot, services: Services
) -> None:
    run_id, ts = escalate(bot, services, UNSURE)
    approval = services.state.get_approval(run_id)
    assert approval.channel_id and approval.message_ts
    bot.slack.click(
        ids.APPROVE,
        run_id,
        user_id=APPROVER,
        message_ts=approval.message_ts,
        channel=approval.channel_id,
    )
    [_, answer] = posted(bot, "C0GTM", ts, count=2)
    shown = texts(answer.args["blocks"])
    assert f"Answer from <@{APPROVER}>" in shown
    [escalation] = posted(bot, ESCALATIONS, None)
    quote = next(line for line in shown.splitlines() if line.startswith("> "))
    assert quote in texts(escalation.args["blocks"])  # the draft, approved as it was
    [update] = bot.api.wait_for("chat.update")  # the escalation, decided in place
    assert buttons(update.args["blocks"]) == {}
    [learned] = services.state.kb_answers()
    assert (learned.question, learned.author) == (UNSURE, APPROVER)
    # Asked again, the learned answer is confident: straight to the asker, no person needed.
    again_ts = asked(bot, mention(bot, UNSURE))
    [again] = posted(bot, "C0GTM", again_ts)
    assert ids.SUPPORT_HELPFUL in buttons(again.args["blocks"])
    assert "answer from the Two Peaks support team" in texts(again.args["blocks"])
    assert len(posted(bot, ESCALATIONS, None)) == 1


def test_a_prompt_injection_is_answered_by_a_persons_edit_in_the_askers_thread(
    bot: RunningBot, services: Services
) -> None:
    run_id, ts = escalate(bot, services, INJECTION)
    approval = services.state.get_approval(run_id)
    assert "override" in approval.summary["reasons"] and approval.summary["sources"] == []
    [told] = posted(bot, "C0GTM", ts)
    assert "90%" not in texts(told.args["blocks"])
    where = {"message_ts": str(approval.message_ts), "channel": str(approval.channel_id)}
    bot.slack.click(ids.EDIT, run_id, user_id=APPROVER, **where)
    [opened] = bot.api.wait_for("views.open")
    typed = {
        ids.EDIT_TEXT_BLOCK: {ids.EDIT_TEXT_INPUT: {"type": "plain_text_input", "value": WE_CANNOT}}
    }
    assert bot.slack.submit_view(opened.args["view"], typed, user_id=APPROVER).status_code == 200
    [_, answer] = posted(bot, "C0GTM", ts, count=2)
    shown = texts(answer.args["blocks"])
    assert f"*Answer from <@{APPROVER}>:*\n{WE_CANNOT}" in shown
    assert "Sources:" not in shown  # the person's own words, not the draft's passages
    [learned] = services.state.kb_answers()
    assert (learned.question, learned.answer) == (INJECTION, WE_CANNOT)


def test_a_rejected_question_tells_the_asker_a_ticket_was_opened(
    bot: RunningBot, services: Services
) -> None:
    run_id, ts = escalate(bot, services, UNSURE)
    approval = services.state.get_approval(run_id)
    where = {"message_ts": str(approval.message_ts), "channel": str(approval.channel_id)}
    bot.slack.click(ids.REJECT, run_id, user_id=APPROVER, **where)
    [opened] = bot.api.wait_for("views.open")
    typed = {
        ids.REJECT_REASON_BLOCK: {
            ids.REJECT_REASON_INPUT: {"type": "plain_text_input", "value": "Billing must answer"}
        }
    }
    assert bot.slack.submit_view(opened.args["view"], typed, user_id=APPROVER).status_code == 200
    [_, ticket] = posted(bot, "C0GTM", ts, count=2)
    shown = texts(ticket.args["blocks"])
    assert "opened a ticket" in shown
    assert "Billing must answer" not in shown  # the reason is for the team, not the asker
    [_, here] = posted(bot, ESCALATIONS_ID, approval.message_ts, count=2)
    assert "This thread is the ticket" in here.args["text"]
    assert services.state.kb_answers() == []


def test_when_the_escalation_cannot_be_posted_the_asker_hears_something_went_wrong_not_why(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    bot.api.fail("chat.postMessage", "channel_not_found", channel=ESCALATIONS_ID)
    ts = asked(bot, mention(bot, UNSURE))
    [sorry] = posted(bot, "C0GTM", ts)
    deadline = time.monotonic() + 10  # the error handler logs just after the message
    while not (failures := [r for r in caplog.records if r.name == "bot.failures" and r.exc_info]):
        assert time.monotonic() < deadline, "the failure was not logged"
        time.sleep(0.05)
    assert sorry.args["text"] == SORRY
    assert "channel_not_found" in str(failures[0].exc_info[1])
    assert "channel_not_found" not in str(sorry.args)
    # Told once, in the thread: not again in a direct message.
    assert [c for c in bot.api.calls_to("chat.postMessage") if c.args["channel"] == ASKER] == []


def test_when_a_direct_message_fails_the_asker_hears_so_inline_in_the_conversation(
    bot: RunningBot,
) -> None:
    bot.api.fail("chat.postMessage", "channel_not_found", channel=ESCALATIONS_ID)
    asked(bot, direct_message(bot, UNSURE))
    [sorry] = posted(bot, ASKER_DM, None)
    assert sorry.args["text"] == SORRY
    to_asker = [c for c in bot.api.calls_to("chat.postMessage") if c.args["channel"] in DM]
    assert to_asker == [sorry]  # once, and not in a thread
