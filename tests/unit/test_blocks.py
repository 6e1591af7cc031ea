"""The Block Kit builders keep within Slack's limits, checked with slack_sdk's own models."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

import policies
from agents.planner.plans import MetricsPlan, SupportPlan
from bot import ids
from bot.blocks import approvals, edit_history, edit_modal, kit, messages, reject_modal
from bot.blocks.digest import digest_blocks, failed_blocks, progress_blocks, progress_text
from integrations.llm import Cost
from integrations.statestore import AuditEntry
from integrations.warehouse.metrics import DateRange, ExplainedStatement, Explanation
from policies import WinbackPolicy, load_policies
from tests.proposals import RUN_ID, answer_proposal, approval_of, winback_proposal
from workflows.ask import Answer, PlanAnswer
from workflows.digest import Digest, Kpi, Unavailable
from workflows.digest_actions import ReviewSpendAction, WinbackAction
from workflows.proposals import AnsweredResult, Proposal, SendResult


def assert_valid(message_blocks: list[dict[str, Any]]) -> None:
    """Slack would accept these blocks as one message (slack_sdk validates the limits)."""
    parsed = [Block.parse(block) for block in message_blocks]
    for block in parsed:
        assert block is not None
        block.validate_json()
    # slack_sdk's Message model (which checks the 50) is deprecated and warns: count here.
    assert len(parsed) <= kit.MAX_BLOCKS


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


def test_a_proposal_has_three_buttons_carrying_the_run_id() -> None:
    built = approvals.proposal_blocks(RUN_ID, winback_proposal())
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
    approval = approval_of(
        winback_proposal(),
        status="approved",
        decided_by="U0APPROVER",
        decided_at=datetime(2026, 11, 24, 9, 30, tzinfo=UTC),
    )
    built = approvals.decided_blocks(approval, result=sent(240, failed=2))
    assert_valid(built)
    assert all(b["type"] != "actions" for b in built)
    # Slack's date token: each reader sees their own time zone; UTC where it cannot render.
    assert (
        "*Approved* by <@U0APPROVER> at "
        f"<!date^{int(datetime(2026, 11, 24, 9, 30, tzinfo=UTC).timestamp())}"
        "^{date_short_pretty} {time}|2026-11-24 09:30 UTC>"
    ) in str(built)
    assert "240 emails sent (2 failed)" in str(built)


def test_a_stale_form_says_who_decided_first_at_the_team_time() -> None:
    # A modal's field error renders no date token: the time is the team's, its zone named.
    rejected = approval_of(
        winback_proposal(),
        status="rejected",
        decided_by="U0OTHER",
        decided_at=datetime(2026, 7, 20, 16, 15, tzinfo=UTC),
    )

    assert approvals.already_decided_plain(rejected, "America/Denver") == (
        "Already rejected by U0OTHER at 2026-07-20 10:15 MDT: this form is out of date."
    )


def test_help_says_first_what_was_wrong() -> None:
    built = messages.help_blocks("`gtn` is not a subcommand")
    assert_valid(built)
    assert built[0]["text"]["text"].startswith(":warning: `gtn` is not a subcommand")


def test_the_reject_modal_is_a_valid_view() -> None:
    view = reject_modal.reject_modal(RUN_ID, '{"run_id": "x"}')
    View(**view).validate_json()
    assert view["callback_id"] == ids.REJECT_MODAL


# Approvals: confirm dialogs, the edit modal, edits shown, reminders ---------------------------


def sent(count: int, *, failed: int = 0) -> SendResult:
    """A send's final counts: ``count`` emails sent, ``failed`` not."""
    return SendResult(
        sent_now=count, sent=count, suppressed=0, capped=0, failed=failed, in_doubt=0, queued=0
    )


def winback_policy() -> WinbackPolicy:
    return load_policies(Path(policies.__file__).parent).winback


@pytest.mark.parametrize(
    "shown", [winback_proposal(), answer_proposal()], ids=["campaign", "answer"]
)
def test_approve_and_reject_ask_for_confirmation_and_edit_does_not(shown: Proposal) -> None:
    built = approvals.proposal_blocks(RUN_ID, shown)
    assert_valid(built)
    approve, reject, edit = built[-1]["elements"]
    assert approve["confirm"]["confirm"]["text"] and reject["confirm"]["deny"]["text"] == "Cancel"
    assert "asked why" in reject["confirm"]["text"]["text"]
    assert "confirm" not in edit


def test_an_escalated_answer_shows_question_draft_confidence_and_sources() -> None:
    built = approvals.proposal_blocks(RUN_ID, answer_proposal())
    shown = str(built)
    assert "Can I pay with a goat?" in shown and "&lt;only&gt;" in shown
    assert "Confidence 31%" in shown and "<https://help.example.com/payments>" in shown
    assert approvals.proposal_text(RUN_ID, answer_proposal()).startswith(
        "Escalated answer for approval"
    )


def test_the_win_back_edit_modal_is_valid_and_prefilled_within_the_policy() -> None:
    policy = winback_policy()
    view = edit_modal.edit_modal(
        approval_of(winback_proposal()),
        policy=policy,
        where=edit_modal.ProposalMessage(channel="C1", ts="1.2"),
    )
    View(**view).validate_json()
    assert view["callback_id"] == ids.EDIT_MODAL
    inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert list(inputs) == [
        ids.EDIT_DISCOUNT_BLOCK,
        ids.EDIT_SUBJECT_BLOCK,
        ids.EDIT_AUDIENCE_CAP_BLOCK,
    ]
    discount = inputs[ids.EDIT_DISCOUNT_BLOCK]
    assert [o["value"] for o in discount["options"]] == ["0.1", "0.15", "0.2"]  # max 20%
    assert discount["initial_option"]["value"] == "0.15"
    assert inputs[ids.EDIT_SUBJECT_BLOCK]["initial_value"] == "We miss you"
    cap = inputs[ids.EDIT_AUDIENCE_CAP_BLOCK]
    assert (cap["initial_value"], cap["min_value"], cap["max_value"]) == ("240", "1", "500")


def test_the_answer_edit_modal_is_valid_and_holds_the_draft() -> None:
    view = edit_modal.edit_modal(
        approval_of(answer_proposal()), policy=winback_policy(), where=None
    )
    View(**view).validate_json()
    [text] = [b for b in view["blocks"] if b["type"] == "input"]
    assert text["block_id"] == ids.EDIT_TEXT_BLOCK
    assert text["element"]["initial_value"] == answer_proposal().text
    assert text["element"]["multiline"] is True


def test_a_submitted_edit_modal_gives_only_the_fields_changed() -> None:
    view = edit_modal.edit_modal(
        approval_of(winback_proposal()), policy=winback_policy(), where=None
    )
    values = {
        ids.EDIT_DISCOUNT_BLOCK: {
            ids.EDIT_DISCOUNT_INPUT: {
                "type": "static_select",
                "selected_option": {"text": kit.plain("20% off"), "value": "0.2"},
            }
        },
        ids.EDIT_SUBJECT_BLOCK: {
            ids.EDIT_SUBJECT_INPUT: {"type": "plain_text_input", "value": "We miss you"}
        },
        ids.EDIT_AUDIENCE_CAP_BLOCK: {
            ids.EDIT_AUDIENCE_CAP_INPUT: {"type": "number_input", "value": "240"}
        },
    }
    request = edit_modal.edit_request({**view, "state": {"values": values}})
    assert (request.run_id, request.edits) == (RUN_ID, {"discount": "0.2"})


def test_edit_errors_go_beside_their_fields_or_the_first_input() -> None:
    view = edit_modal.edit_modal(
        approval_of(winback_proposal()), policy=winback_policy(), where=None
    )
    by_field = edit_modal.edit_errors(
        view, {"audience_cap": "the audience cap must be between 1 and 500"}, "ignored"
    )
    assert by_field == {ids.EDIT_AUDIENCE_CAP_BLOCK: "The audience cap must be between 1 and 500."}
    general = edit_modal.edit_errors(view, {}, "x" * 1000)
    assert list(general) == [ids.EDIT_DISCOUNT_BLOCK]
    assert len(general[ids.EDIT_DISCOUNT_BLOCK]) <= edit_modal.MAX_FIELD_ERROR


def test_a_decided_proposal_shows_who_edited_what_before_it_was_approved() -> None:
    edited_at = datetime(2026, 11, 24, 9, 10, tzinfo=UTC)
    # As the previous code kept it: the plain values of the proposal, its workflow among them.
    was = {"workflow": "winback", "discount": 0.15, "audience": 240, "subject": "We miss you"}
    history = [
        AuditEntry(1, edited_at, RUN_ID, "U0EDITOR", "approval_refused", {}),
        AuditEntry(
            2,
            edited_at,
            RUN_ID,
            "U0EDITOR",
            "edited",
            {"edits": {"discount": 0.2, "audience_cap": 100}, "was": was},
        ),
    ]
    now = winback_proposal(discount=0.2, audience=100)
    notes = edit_history.edit_notes(history, now)
    approved = approval_of(
        now,
        status="approved",
        round=2,
        decided_by="U0APPROVER",
        decided_at=datetime(2026, 11, 24, 9, 30, tzinfo=UTC),
    )
    built = approvals.decided_blocks(approved, result=sent(100), edits=notes)
    assert_valid(built)
    shown = str(built)
    assert (
        f"Edited by <@U0EDITOR> at <!date^{int(edited_at.timestamp())}"
        "^{date_short_pretty} {time}|"
        "2026-11-24 09:10 UTC>: discount 15% → 20%, "
        "audience 240 → 100 customers"
    ) in shown
    assert "*Approved* by <@U0APPROVER>" in shown and "100 emails sent" in shown


def test_an_edited_answer_shows_the_text_that_was_sent() -> None:
    decided = approval_of(
        answer_proposal(),
        status="edited",
        decided_by="U0APPROVER",
        decided_at=datetime(2026, 11, 24, 9, 30, tzinfo=UTC),
        edits={"text": "No goats; cards and PayPal."},
    )
    answered = AnsweredResult(
        text="No goats; cards and PayPal.", confidence=0.31, sources=[], reviewed_by="U0APPROVER"
    )
    built = approvals.decided_blocks(decided, result=answered)
    assert_valid(built)
    shown = str(built)
    assert "No goats; cards and PayPal." in shown and "We take cards" not in shown
    assert "*Edited and approved* by <@U0APPROVER>" in shown
    assert all(b["type"] != "actions" for b in built)


def test_a_reminder_says_how_long_it_waited_and_mentions_the_approvers() -> None:
    who = approvals.approvers_text(["U0APPROVER"], "S0APPROVERS")
    assert who == "<@U0APPROVER>, <!subteam^S0APPROVERS>"
    text = approvals.reminder_text(
        approval_of(winback_proposal()), who, datetime(2026, 11, 25, 10, 30, tzinfo=UTC)
    )
    assert "win-back proposal has waited 25 hours" in text and who in text
    assert_valid(messages.notice_blocks(text))


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


def test_a_proposals_roi_is_a_percent_as_in_its_recommendation_and_the_cli() -> None:
    shown = str(approvals.proposal_blocks(RUN_ID, winback_proposal()))

    assert "*ROI:* 250%" in shown and "×" not in shown


def test_a_proposal_shows_its_run_by_the_same_eight_characters_as_everywhere() -> None:
    def read(node: Any) -> list[str]:  # what a person reads: every text, no button value
        if isinstance(node, dict):
            own = [node["text"]] if isinstance(node.get("text"), str) else []
            return own + [t for key, v in node.items() if key != "value" for t in read(v)]
        return [t for v in node for t in read(v)] if isinstance(node, list) else []

    shown = "\n".join(read(approvals.proposal_blocks(RUN_ID, winback_proposal())))

    assert f"Run `{RUN_ID[:8]}`" in shown and RUN_ID not in shown
