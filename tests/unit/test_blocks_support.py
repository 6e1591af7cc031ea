"""Support answers' Block Kit: valid for Slack (slack_sdk's models), escaped, quotes kept."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bot import ids
from bot.blocks import kit
from bot.blocks import support as blocks
from tests.unit._slack_blocks import assert_valid
from workflows.proposals import TicketResult

RUN_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
OFFLINE_ANSWER = (
    "> Two Peaks gift cards never expire and have no fees.\n"
    ">\n"
    "> Check the balance on the Gift cards page.\n"
    "— Gift cards › Expiry (/help/payments/gift-cards#expiry)"
)


def shown(built: list[dict[str, Any]]) -> str:
    return str(built)


def buttons(built: list[dict[str, Any]]) -> dict[str, str]:
    return {
        element["action_id"]: element["value"]
        for block in built
        if block["type"] == "actions"
        for element in block["elements"]
    }


def test_an_answer_shows_its_quote_sources_confidence_and_feedback_buttons() -> None:
    built = blocks.answer_blocks(
        RUN_ID,
        OFFLINE_ANSWER,
        confidence=0.82,
        sources=["/help/payments/gift-cards#expiry", "https://help.example.com/cards"],
    )
    assert_valid(built)
    text = built[0]["text"]["text"]
    assert text.startswith("> Two Peaks gift cards never expire")
    assert "\n>\n> Check the balance" in text
    about = built[1]["elements"][0]["text"]
    assert "Confidence 82%" in about
    assert "Sources: /help/payments/gift-cards#expiry, <https://help.example.com/cards>" in about
    assert buttons(built) == {ids.SUPPORT_HELPFUL: RUN_ID, ids.SUPPORT_NOT_HELPFUL: RUN_ID}


def test_an_answer_cannot_ping_the_channel_or_smuggle_a_link() -> None:
    text = kit.escape_keeping_quotes("Sure! <!channel> see <https://evil.example|our site> & more")
    assert "<" not in text and ">" not in text
    assert "&lt;!channel&gt;" in text and "&amp; more" in text


@given(st.text(max_size=2_000))
def test_answer_text_escapes_everything_but_quote_marks_at_line_starts(text: str) -> None:
    built = kit.escape_keeping_quotes(text)
    assert "<" not in built
    for line in built.splitlines():
        assert ">" not in line[1:]


def test_a_long_answer_is_split_over_valid_sections_under_fifty_blocks() -> None:
    built = blocks.answer_blocks(RUN_ID, "A long answer. " * 12_000, confidence=0.5, sources=[])
    assert_valid(built)
    assert len(built) == kit.MAX_BLOCKS
    assert built[-1]["block_id"] == blocks.FEEDBACK_BLOCK  # the buttons are never cut off


def test_feedback_replaces_the_buttons_by_who_said_what() -> None:
    answer = blocks.answer_blocks(RUN_ID, OFFLINE_ANSWER, confidence=0.7, sources=[])
    helpful = blocks.feedback_given_blocks(answer, "U0READER", helpful=True)
    assert_valid(helpful)
    assert buttons(helpful) == {}
    assert helpful[:-1] == answer[:-1]
    assert helpful[-1]["elements"][0]["text"] == "Thanks — marked helpful by <@U0READER>"
    unhelpful = blocks.feedback_given_blocks(answer, "U0READER", helpful=False)
    assert "marked not helpful by <@U0READER>" in shown(unhelpful)


def test_feedback_buttons_and_a_note_join_any_answer_within_the_block_limit() -> None:
    many = [kit.context(f"line {i}") for i in range(80)]
    built = blocks.with_feedback(many, RUN_ID, note=blocks.NOT_IN_CHANNEL)
    assert_valid(built)
    assert len(built) == kit.MAX_BLOCKS
    assert "more blocks left out" in built[-3]["elements"][0]["text"]
    assert built[-2]["elements"][0]["text"] == blocks.NOT_IN_CHANNEL
    assert buttons(built) == {ids.SUPPORT_HELPFUL: RUN_ID, ids.SUPPORT_NOT_HELPFUL: RUN_ID}


def test_a_persons_answer_names_them_and_keeps_the_drafts_sources() -> None:
    built = blocks.human_answer_blocks(
        RUN_ID, "No, we take cards and PayPal.", "U0APPROVER", sources=["/help/payments/ways"]
    )
    assert_valid(built)
    assert built[0]["text"]["text"] == "*Answer from <@U0APPROVER>:*\nNo, we take cards and PayPal."
    assert "Sources: /help/payments/ways" in shown(built)
    assert ids.SUPPORT_HELPFUL in buttons(built)


def test_the_asker_is_told_of_a_ticket_with_its_link_when_there_is_one() -> None:
    zendesk = TicketResult(reason=None, where="Zendesk", url="https://tp.zendesk.com/t/1000")
    assert "opened a ticket (<https://tp.zendesk.com/t/1000>)" in blocks.ticket_text(zendesk)
    thread = TicketResult(reason="Costly", where=blocks.THREAD_TICKET, url=None)
    assert "opened a ticket with the support team" in blocks.ticket_text(thread)
    assert "Costly" not in blocks.ticket_text(thread)  # the reason is the team's, not the asker's
    for result in (zendesk, thread):
        assert_valid(blocks.ticket_blocks(result))


def test_the_escalation_thread_says_who_waits_where() -> None:
    assert "<@U0ASKER> is waiting for an answer in <#C0GTM>" in blocks.escalation_thread_text(
        "U0ASKER", "C0GTM"
    )
    in_dm = blocks.escalation_thread_text("U0ASKER", "D0ASKER")
    assert "in a direct message" in in_dm


def test_notices_hints_and_the_direct_message_are_valid_blocks() -> None:
    for built in (
        blocks.escalated_notice_blocks(),
        blocks.escalated_notice_blocks(inline=True),
        blocks.hint_blocks(),
        blocks.escalated_direct_blocks("can I pay <with> a goat? " * 100),
    ):
        assert_valid(built)
    direct = shown(blocks.escalated_direct_blocks("pay <with> a goat?"))
    assert "pay &lt;with&gt; a goat?" in direct and blocks.ESCALATED in direct


def test_the_escalation_notice_says_this_thread_only_when_there_is_one() -> None:
    assert blocks.escalated_text().endswith("posted in this thread.")
    inline = blocks.escalated_text(inline=True)
    assert inline.endswith("posted here.") and "thread" not in inline
    assert inline in shown(blocks.escalated_notice_blocks(inline=True))
