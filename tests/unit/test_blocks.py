"""The Block Kit builders keep within Slack's limits, checked with slack_sdk's own models."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from agents.specialist import Report
from bot import ids
from bot.blocks import approvals, kit, messages
from bot.blocks.digest import digest_blocks
from integrations.llm import Cost
from integrations.statestore import ApprovalRecord
from workflows.ask import Answer
from workflows.digest import Digest, Kpi

RUN_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


def assert_valid(message_blocks: list[dict[str, Any]]) -> None:
    """Slack would accept these blocks as one message (slack_sdk validates the limits)."""
    parsed = [Block.parse(block) for block in message_blocks]
    for block in parsed:
        assert block is not None
        block.validate_json()
    # slack_sdk's Message model (which checks the 50) is deprecated and warns: count here.
    assert len(parsed) <= kit.MAX_BLOCKS


def proposal() -> dict[str, Any]:
    sample = {"customer_id": 1, "recipient": "a@example.com", "subject": "We miss you"}
    return {
        "workflow": "winback",
        "audience": 240,
        "discount": 0.15,
        "expected_profit": 1234.5,
        "roi": 2.5,
        "recommendation": "15% pays best <within the cap>",
        "subject": "We miss you",
        "samples": [{**sample, "body": "Hello & welcome back " * 200}] * 3,
    }


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=20_000))
def test_split_text_keeps_every_piece_within_the_limit_and_loses_nothing(text: str) -> None:
    pieces = kit.split_text(text, 3000)
    assert all(0 < len(piece) <= 3000 for piece in pieces)
    assert re.sub(r"\s", "", "".join(pieces)) == re.sub(r"\s", "", text)


@given(st.text(max_size=300), st.integers(min_value=1, max_value=200))
def test_truncate_cuts_to_the_limit_ending_with_an_ellipsis(text: str, limit: int) -> None:
    cut = kit.truncate(text, limit)
    assert len(cut) <= limit
    assert cut == text or cut.endswith("…")


def test_a_long_answer_is_split_over_valid_sections_with_sources_and_confidence() -> None:
    support = Report(
        agent="support",
        title="Support",
        text="…",
        facts={"confidence": 0.82, "sources": ["https://help.example.com/reset"]},
    )
    answer = Answer(
        run_id=RUN_ID,
        request="how do I reset?",
        text="Reset it <here> & there. " * 1000,
        agents=("support",),
        routed_by="rules",
        reports=(support,),
        cost=Cost(),
    )
    built = messages.answer_blocks(answer)
    assert_valid(built)
    sections = [b for b in built if b["type"] == "section"]
    assert len(sections) > 1
    assert "&lt;here&gt; &amp;" in sections[0]["text"]["text"]
    shown = str(built)
    assert "Confidence 82%" in shown and "<https://help.example.com/reset>" in shown


def test_a_huge_digest_keeps_to_fifty_blocks_and_says_what_was_left_out() -> None:
    headline = [
        Kpi(
            name=f"k{i}",
            label=f"Figure {i}",
            unit="money",
            value=1000.0 * i,
            previous=900.0,
            change_ratio=0.1,
        )
        for i in range(12)
    ]
    digest = Digest(
        run_id=RUN_ID,
        week_start=date(2026, 11, 16),
        week_end=date(2026, 11, 22),
        headline=headline,
        prose={name: "A long week. " * 4000 for name in ("marketing", "finance", "insights")},
    )
    built = digest_blocks(digest)
    assert len(built) == kit.MAX_BLOCKS
    assert_valid(built)
    assert built[0]["type"] == "header"
    assert "more blocks left out" in built[-1]["elements"][0]["text"]


def test_a_small_digest_has_header_figures_sections_and_the_run() -> None:
    digest = Digest(
        run_id=RUN_ID,
        week_start=date(2026, 11, 16),
        week_end=date(2026, 11, 22),
        headline=[
            Kpi(
                name="revenue",
                label="Revenue",
                unit="money",
                value=12345.0,
                previous=10000.0,
                change_ratio=0.2345,
            )
        ],
        prose={"finance": "Revenue rose."},
    )
    built = digest_blocks(digest)
    assert_valid(built)
    assert [b["type"] for b in built] == ["header", "section", "divider", "section", "context"]
    assert "*Revenue*" in built[1]["fields"][0]["text"]
    assert RUN_ID[:8] in built[-1]["elements"][0]["text"]


def test_a_proposal_has_three_buttons_carrying_the_run_id() -> None:
    built = approvals.proposal_blocks(RUN_ID, proposal())
    assert_valid(built)
    actions = built[-1]
    assert actions["type"] == "actions"
    assert [e["action_id"] for e in actions["elements"]] == [ids.APPROVE, ids.REJECT, ids.EDIT]
    assert {e["value"] for e in actions["elements"]} == {RUN_ID}
    assert "240 customers" in actions["elements"][0]["confirm"]["text"]["text"]


def test_button_text_is_cut_to_75_characters_and_an_oversized_value_is_refused() -> None:
    long = kit.button("x" * 200, ids.APPROVE, RUN_ID)
    assert len(long["text"]["text"]) == 75 and long["text"]["text"].endswith("…")
    Block.parse({"type": "actions", "elements": [long]}).validate_json()  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="2000"):
        kit.button("Approve", ids.APPROVE, "x" * 2001)


def test_a_decided_proposal_says_who_when_and_the_result_without_buttons() -> None:
    approval = ApprovalRecord(
        run_id=RUN_ID,
        workflow="winback",
        kind="campaign",
        status="approved",
        round=1,
        requested_at=datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
        summary=proposal(),
        decided_by="U0APPROVER",
        decided_at=datetime(2026, 11, 24, 9, 30, tzinfo=UTC),
        reason=None,
        edits=None,
        channel_id="C0APPROVALS",
        message_ts="1.2",
    )
    built = approvals.decided_blocks(approval, result={"status": "sent", "sent": 240, "failed": 2})
    assert_valid(built)
    assert all(b["type"] != "actions" for b in built)
    assert "*Approved* by <@U0APPROVER> at 2026-11-24 09:30 UTC" in str(built)
    assert "240 emails sent (2 failed)" in str(built)


def test_help_says_first_what_was_wrong() -> None:
    built = messages.help_blocks("`gtn` is not a subcommand")
    assert_valid(built)
    assert built[0]["text"]["text"].startswith(":warning: `gtn` is not a subcommand")


def test_the_reject_modal_is_a_valid_view() -> None:
    view = approvals.reject_modal(RUN_ID, '{"run_id": "x"}')
    View(**view).validate_json()
    assert view["callback_id"] == ids.REJECT_MODAL
