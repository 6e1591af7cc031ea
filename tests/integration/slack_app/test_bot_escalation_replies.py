"""Replies in a support escalation's thread through the real Bolt app over signed HTTP, against
the sandbox's Slack: an approver's reply is offered with "Send this reply to the customer",
which answers the asker once, as an edit would; everyone else's replies stay discussion.

The app's workflow calls run in one thread here, in the order the requests came, so a later
request answered means every earlier one was answered (or had nothing to answer) before it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from bot import ids
from bot.blocks import support as support_blocks
from bot.blocks.support import ProposedReply
from bot.listeners.escalation_replies import (
    NO_REPLY,
    NOT_AN_ESCALATION,
    ThreadReply,
    parse_reply,
)
from controlroom.services import Services
from integrations.statestore import SlackThread
from integrations.text import escape_mrkdwn
from sandbox import Call, Workspace, payloads
from tests.integration.slack_app._support import (
    APPROVER,
    CONFIDENT,
    ESCALATIONS_ID,
    UNSURE,
    asked,
    buttons,
    escalate,
    mention,
    posted,
)
from tests.integration.slack_app.test_bot_retries import replica
from tests.proposals import ask_approval, winback_proposal
from tests.slack_sandbox import RunningBot, texts

TEAMMATE = "U0READER"  # in the escalations channel, not an approver
# As Slack sends it: "&" typed is &amp;, a link and @here are markup.
REPLY = (
    "No goats, sorry &amp; thanks for asking! We take cards and gift cards: "
    "<https://twopeaks.example/help/payments|payment options>. <!here>"
)
SENT = (
    "No goats, sorry & thanks for asking! We take cards and gift cards: "
    "payment options (https://twopeaks.example/help/payments). @here"
)


@pytest.fixture
def bot(services: Services, workspace: Workspace, ingested_kb: Path) -> Iterator[RunningBot]:
    with replica(services, workspace) as running:
        yield running


def thread_reply(
    bot: RunningBot, text: str, thread: SlackThread, *, user: str = APPROVER
) -> dict[str, Any]:
    """A person's reply in ``thread``: the ``message.channels`` event Slack sends."""
    return bot.slack.message(
        text, user_id=user, channel=thread.channel_id, thread_ts=thread.thread_ts
    )


def escalation(bot: RunningBot, services: Services) -> tuple[str, SlackThread, str]:
    """A question the app is unsure of, asked in #gtm: its run, the escalation's thread (its
    proposal message in the escalations channel) and the question's ts."""
    run_id, ts = escalate(bot, services, UNSURE)
    approval = services.state.get_approval(run_id)
    assert approval.channel_id == ESCALATIONS_ID and approval.message_ts
    return run_id, SlackThread(approval.channel_id, approval.message_ts), ts


def in_thread(bot: RunningBot, thread: SlackThread, count: int = 1) -> list[Call]:
    return posted(bot, thread.channel_id, thread.thread_ts, count)


def offers(bot: RunningBot, thread: SlackThread) -> list[Call]:
    """The app's messages in ``thread`` that offer to send a reply."""
    return [
        call
        for call in in_thread(bot, thread)
        if ids.SUPPORT_RELAY_REPLY in buttons(call.args.get("blocks") or [])
    ]


def click_send(bot: RunningBot, offer: Call, thread: SlackThread, *, user_id: str) -> None:
    """A click on the offer's "Send this reply to the customer" (in ``thread``)."""
    value = buttons(offer.args["blocks"])[ids.SUPPORT_RELAY_REPLY]
    assert offer.answer["channel"] == thread.channel_id
    where = {"channel": thread.channel_id, "message_ts": offer.answer["ts"]}
    clicked = bot.slack.click(ids.SUPPORT_RELAY_REPLY, value, user_id=user_id, **where)
    assert clicked.status_code == 200


def answered_confidently(bot: RunningBot) -> None:
    """A later request, whose answer means the earlier ones were dealt with."""
    ts = asked(bot, mention(bot, CONFIDENT))
    posted(bot, "C0GTM", ts)


def test_an_approvers_reply_in_the_escalation_thread_is_offered_with_a_send_button(
    bot: RunningBot, services: Services
) -> None:
    run_id, thread, ts = escalation(bot, services)
    asked(bot, thread_reply(bot, REPLY, thread))
    [guide, offer] = in_thread(bot, thread, count=2)
    assert "answer here in the thread" in guide.args["text"]
    shown = texts(offer.args["blocks"])
    assert f"*Proposed answer from <@{APPROVER}>:*" in shown
    assert f">{escape_mrkdwn(SENT)}" in shown  # quoted as the asker will read it
    assert "<!here>" not in str(offer.args)
    value = buttons(offer.args["blocks"])[ids.SUPPORT_RELAY_REPLY]
    assert ProposedReply.from_value(value) == ProposedReply(run_id, SENT)
    assert services.state.get_approval(run_id).status == "pending"  # nothing decided yet
    assert len(posted(bot, "C0GTM", ts)) == 1  # the asker was only told


def test_sending_the_reply_answers_the_asker_once_and_is_learned_as_an_edit(
    bot: RunningBot, services: Services
) -> None:
    run_id, thread, ts = escalation(bot, services)
    first = bot.slack.event_body(thread_reply(bot, REPLY, thread))
    assert bot.slack.deliver(first).status_code == 200
    offer = in_thread(bot, thread, count=2)[1]
    assert bot.slack.deliver(first, retry=1).status_code == 200  # Slack delivers it again

    click_send(bot, offer, thread, user_id=APPROVER)
    [_, answer] = posted(bot, "C0GTM", ts, count=2)
    shown = texts(answer.args["blocks"])
    assert f"*Answer from <@{APPROVER}>:*\n{escape_mrkdwn(SENT)}" in shown
    assert "Sources:" not in shown  # the person's own words, as after Edit
    assert "<!here>" not in str(answer.args)  # pings nobody in the asker's channel
    [replaced] = bot.api.wait_for("response_url")
    assert replaced.args["replace_original"] is True
    assert buttons(replaced.args["blocks"]) == {}
    assert f"Sent to the customer by <@{APPROVER}>" in texts(replaced.args["blocks"])
    assert escape_mrkdwn(SENT) in texts(replaced.args["blocks"])  # the reply stays readable
    [decided] = bot.api.wait_for("chat.update")  # the escalation itself, decided in place
    assert buttons(decided.args["blocks"]) == {}
    approval = services.state.get_approval(run_id)
    assert (approval.status, approval.decided_by, approval.edits) == (
        "edited",
        APPROVER,
        {"text": SENT},
    )
    [learned] = services.state.kb_answers()
    assert (learned.question, learned.answer, learned.author) == (UNSURE, SENT, APPROVER)

    click_send(bot, offer, thread, user_id=APPROVER)  # a second click
    [_, late] = bot.api.wait_for("response_url", count=2)
    assert late.args["response_type"] == "ephemeral"
    assert f"already edited by <@{APPROVER}>" in late.args["text"]
    answered_confidently(bot)
    assert len(posted(bot, "C0GTM", ts)) == 2  # answered once
    assert len(offers(bot, thread)) == 1  # the retried reply was not offered again
    actions = [e.action for e in services.state.audit_entries(run_id=run_id)]
    assert actions.count("edited") == 1 and actions.count("answer_sent") == 1


def test_a_non_approvers_reply_stays_discussion(bot: RunningBot, services: Services) -> None:
    _, thread, _ = escalation(bot, services)
    asked(bot, thread_reply(bot, "I think we did take llamas once?", thread, user=TEAMMATE))
    asked(bot, thread_reply(bot, REPLY, thread))
    [offer] = in_thread(bot, thread, count=2)[1:]
    assert "llamas" not in texts(offer.args["blocks"])  # the approver's, not the teammate's
    answered_confidently(bot)
    assert len(in_thread(bot, thread)) == 2


def test_a_non_approvers_click_is_refused_in_private_and_audited(
    bot: RunningBot, services: Services
) -> None:
    run_id, thread, ts = escalation(bot, services)
    asked(bot, thread_reply(bot, REPLY, thread))
    offer = in_thread(bot, thread, count=2)[1]
    click_send(bot, offer, thread, user_id=TEAMMATE)
    [refusal] = bot.api.wait_for("response_url")
    assert refusal.args["response_type"] == "ephemeral"
    assert refusal.args["replace_original"] is False
    assert "Only approvers may decide" in refusal.args["text"]
    assert services.state.get_approval(run_id).status == "pending"
    refused = services.state.audit_entries(run_id=run_id)
    assert any(e.action == "approval_refused" and e.actor == TEAMMATE for e in refused)
    assert len(posted(bot, "C0GTM", ts)) == 1
    assert services.state.kb_answers() == []


def test_after_the_escalation_was_decided_a_reply_gets_nothing_and_a_click_says_who_decided(
    bot: RunningBot, services: Services
) -> None:
    run_id, thread, ts = escalation(bot, services)
    asked(bot, thread_reply(bot, REPLY, thread))
    offer = in_thread(bot, thread, count=2)[1]
    approve = {"message_ts": thread.thread_ts, "channel": thread.channel_id}
    bot.slack.click(ids.APPROVE, run_id, user_id=APPROVER, **approve)  # the draft, as it was
    posted(bot, "C0GTM", ts, count=2)

    asked(bot, thread_reply(bot, "Actually, one more thing", thread))
    click_send(bot, offer, thread, user_id=APPROVER)
    [late] = bot.api.wait_for("response_url")
    assert late.args["response_type"] == "ephemeral"
    assert f"already approved by <@{APPROVER}>" in late.args["text"]
    answered_confidently(bot)
    assert len(in_thread(bot, thread)) == 2  # the guide and the first offer only
    assert len(posted(bot, "C0GTM", ts)) == 2
    assert services.state.get_approval(run_id).status == "approved"


def winback_waiting(services: Services) -> str:
    """A win-back campaign waiting for a decision: no support escalation."""
    run = services.state.start_run("winback", started_by="U0MARKETER", trigger="command")
    ask_approval(services.state, run.run_id, winback_proposal(audience=3))
    services.state.finish_run(run.run_id, "paused")
    return run.run_id


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("", NO_REPLY),
        ("not json", NO_REPLY),
        ('["a list"]', NO_REPLY),
        ('{"run_id": "r", "text": "   "}', NO_REPLY),
        (ProposedReply("f" * 32, SENT).value, "run id"),
        ("winback", NOT_AN_ESCALATION),
    ],
    ids=["empty", "not JSON", "a list", "no words", "unknown run", "a win-back run"],
)
def test_a_send_click_whose_value_is_no_offered_reply_decides_nothing_and_says_so_privately(
    bot: RunningBot, services: Services, value: str, said: str
) -> None:
    if value == "winback":
        value = ProposedReply(winback_waiting(services), SENT).value
    where = {"channel": ESCALATIONS_ID, "message_ts": "1764000000.000099"}  # a forged click
    clicked = bot.slack.click(ids.SUPPORT_RELAY_REPLY, value, user_id=APPROVER, **where)
    assert clicked.status_code == 200
    [refusal] = bot.api.wait_for("response_url")
    assert (refusal.args["response_type"], refusal.args["replace_original"]) == (
        "ephemeral",
        False,
    )
    assert said in refusal.args["text"]
    assert [a.status for a in services.state.approvals()] == (
        ["pending"] if said == NOT_AN_ESCALATION else []
    )
    assert bot.api.calls_to("chat.postMessage") == [] and bot.api.calls_to("chat.update") == []


# What counts as a reply -------------------------------------------------------------------

THREAD = SlackThread(ESCALATIONS_ID, "1764000000.000001")
ME = "U0CONTROLROOM"  # the app's bot user, as parse_reply is told it


def reply_event(workspace: Workspace, text: str, ts: str) -> dict[str, Any]:
    """The approver's reply at ``ts`` in ``THREAD``, as Slack would send it (not stored:
    parsing needs no workspace)."""
    typed = payloads.typed_message(workspace.identity, APPROVER, text, THREAD.thread_ts)
    channel = workspace.channel(THREAD.channel_id)
    assert channel is not None
    return payloads.message_event(typed | {"ts": ts}, channel, mention=False)


def test_parsing_keeps_the_words_the_author_and_the_thread(workspace: Workspace) -> None:
    event = reply_event(workspace, REPLY, "1764000000.000005")
    assert parse_reply(event, ME) == ThreadReply(SENT, APPROVER, THREAD)
    private = event | {"channel_type": "group", "subtype": "thread_broadcast"}
    assert parse_reply(private, ME) == ThreadReply(SENT, APPROVER, THREAD)


@pytest.mark.parametrize(
    "extra",
    [
        {"user": ME},
        {"bot_id": "B0OTHER"},
        {"subtype": "message_changed"},
        {"subtype": "message_deleted"},
        {"user": None},
        {"channel_type": "im"},
        {"thread_ts": None},
        {"ts": THREAD.thread_ts},  # the message opening the thread
        {"text": f"<@{ME}> is this in the help centre?"},  # a question for the app
        {"text": "  "},
    ],
)
def test_parsing_ignores_what_is_no_persons_reply_in_a_thread(
    workspace: Workspace, extra: dict[str, Any]
) -> None:
    event = reply_event(workspace, REPLY, "1764000000.000005") | extra
    assert parse_reply(event, ME) is None


def test_the_offer_fits_slacks_limits_and_a_reply_too_long_for_its_button_says_so() -> None:
    reply = ProposedReply("run-1", "Line one\n> a quote\n" + "x" * 1_800)
    assert reply.fits_button
    blocks = support_blocks.relay_offer_blocks(reply, APPROVER)
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None
        parsed.validate_json()
    assert ProposedReply.from_value(buttons(blocks)[ids.SUPPORT_RELAY_REPLY]) == reply
    assert not ProposedReply("run-1", "x" * 2_000).fits_button
    with pytest.raises(ValueError, match="not a relayed reply"):
        ProposedReply.from_value('{"run_id": 1}')
