"""The Block Kit builders for answers, digests, help and the kit itself keep within Slack's
limits, checked with slack_sdk's own models."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block

from agents.planner.plans import MetricsPlan, SupportPlan
from bot import ids
from bot.blocks import kit, messages
from bot.blocks.digest import digest_blocks, failed_blocks, progress_blocks, progress_text
from integrations.llm import Cost
from integrations.warehouse.metrics import DateRange, ExplainedStatement, Explanation
from tests.proposals import RUN_ID
from tests.unit._slack_blocks import assert_valid
from workflows.ask import Answer, PlanAnswer
from workflows.digest import Digest, Kpi, Unavailable
from workflows.digest_actions import ReviewSpendAction, WinbackAction


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
    # A part's text is mrkdwn already escaped by the workflow: shown as is, never escaped twice.
    support = PlanAnswer(
        plan=SupportPlan(question="how do I reset?"),
        heading="Support <for @here>",
        text="Reset it &lt;here&gt; &amp; there. " * 1000 + "\nConfidence 82%",
        written_by="offline",
        sources=("https://help.example.com/reset",),
    )
    answer = Answer(
        run_id=RUN_ID, request="how do I reset?", planned_by="rules", parts=(support,), cost=Cost()
    )
    built = messages.answer_blocks(answer)
    assert_valid(built)
    sections = [b for b in built if b["type"] == "section"]
    assert len(sections) > 1
    assert sections[0]["text"]["text"] == "*Support &lt;for @here&gt;*"
    assert sections[1]["text"]["text"].startswith("Reset it &lt;here&gt; &amp; there.")
    shown = str(built)
    assert "&amp;amp;" not in shown and "&amp;lt;" not in shown
    assert "Confidence 82%" in shown and "<https://help.example.com/reset>" in shown
    assert "Planned by rules" in shown
    assert ids.ASK_EXPLAIN not in shown  # no figure from the metrics layer: nothing to explain


def test_an_answer_with_figures_offers_how_it_was_computed_and_the_explanation_fits_slack() -> None:
    plan = MetricsPlan(
        metrics=("revenue",),
        period=DateRange(start=date(2026, 11, 16), end=date(2026, 11, 22)),
    )
    explanation = Explanation(
        metric="revenue",
        label="Revenue",
        definition="What customers paid <after discounts>.",
        formula=None,
        statements=(
            ExplainedStatement(
                sql="SELECT sum(orders.amount) FROM orders WHERE x < 1 " * 200,
                parameters={"start": "2026-11-16", "end": "2026-11-22"},
            ),
        ),
    )
    part = PlanAnswer(
        plan=plan,
        heading="Revenue · 16–22 Nov 2026 · vs the period before",
        text="• Revenue: $94,264",
        written_by="offline",
        explanations=(explanation,),
    )
    answer = Answer(
        run_id=RUN_ID, request="revenue last week", planned_by="rules", parts=(part,), cost=Cost()
    )

    built = messages.answer_blocks(answer)
    assert_valid(built)
    (actions,) = [b for b in built if b["type"] == "actions"]
    (explain,) = actions["elements"]
    assert (explain["action_id"], explain["value"]) == (ids.ASK_EXPLAIN, RUN_ID)
    assert explain["text"]["text"] == "How was this computed?"
    shown = messages.explanation_blocks(answer.explanations)
    assert_valid(shown)
    assert "*Revenue*: What customers paid &lt;after discounts&gt;." in str(shown)
    assert "x &lt; 1" in str(shown) and "start = 2026-11-16" in str(shown)


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


def test_button_text_is_cut_to_75_characters_and_an_oversized_value_is_refused() -> None:
    long = kit.button("x" * 200, ids.APPROVE, RUN_ID)
    assert len(long["text"]["text"]) == 75 and long["text"]["text"].endswith("…")
    Block.parse({"type": "actions", "elements": [long]}).validate_json()  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="2000"):
        kit.button("Approve", ids.APPROVE, "x" * 2001)


def test_help_says_first_what_was_wrong() -> None:
    built = messages.help_blocks("`gtn` is not a subcommand")
    assert_valid(built)
    assert built[0]["text"]["text"].startswith(":warning: `gtn` is not a subcommand")


def test_digest_progress_marks_each_section_pending_done_or_unavailable() -> None:
    progress = {"finance": "ok", "support": "unavailable"}
    assert progress_text({}) == "Weekly GTM digest: Marketing … Finance … Insights … Support …"
    assert progress_text(progress) == (
        "Weekly GTM digest: Marketing … Finance ✓ Insights … Support ✗ unavailable"
    )
    built = progress_blocks(progress)
    assert_valid(built)
    assert "Marketing … · Finance ✓ · Insights … · Support ✗ unavailable" in str(built)


def test_a_digest_recommending_a_winback_ends_with_its_start_button() -> None:
    winback = WinbackAction(
        text="14 customers moved into At Risk — start a win-back for the At Risk segment",
        segment="At Risk",
        customers=14,
    )
    small = Digest(
        run_id=RUN_ID,
        week_start=date(2026, 11, 16),
        week_end=date(2026, 11, 22),
        recommended_actions=[winback],
        unavailable=[Unavailable(section="support", reason="OperationalError: no such table")],
    )
    built = digest_blocks(small)
    assert_valid(built)
    assert [b["type"] for b in built[-3:]] == ["section", "context", "actions"]
    [start] = built[-1]["elements"]
    assert (start["action_id"], start["value"]) == (ids.START_WINBACK, "At Risk")
    assert start["text"]["text"] == "Start win-back for At Risk"
    assert "Unavailable this week: Support ✗" in str(built)
    assert "no such table" not in str(built)


def test_a_huge_digest_keeps_its_winback_button_within_fifty_blocks() -> None:
    huge = Digest(
        run_id=RUN_ID,
        week_start=None,
        week_end=None,
        prose={name: "A long week. " * 4000 for name in ("marketing", "finance", "insights")},
        recommended_actions=[WinbackAction(text="Win back", segment="At Risk", customers=14)],
    )
    built = digest_blocks(huge)
    assert_valid(built)
    assert len(built) == kit.MAX_BLOCKS
    assert "more blocks left out" in built[-2]["elements"][0]["text"]
    assert built[-1]["elements"][0]["action_id"] == ids.START_WINBACK


def test_a_digest_without_a_winback_recommendation_has_no_buttons() -> None:
    plain = Digest(
        run_id=RUN_ID,
        week_start=None,
        week_end=None,
        recommended_actions=[
            ReviewSpendAction(text="Review paid social", channel="paid_social", roas=1.2)
        ],
    )
    built = digest_blocks(plain)
    assert_valid(built)
    assert all(b["type"] != "actions" for b in built)
    assert built[0]["text"]["text"] == "Weekly GTM digest"


def test_a_failed_digest_run_says_so_without_the_error() -> None:
    built = failed_blocks()
    assert_valid(built)
    assert built[0]["text"]["text"].startswith(":warning: The weekly GTM digest could not")
