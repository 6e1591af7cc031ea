"""The Block Kit builders for approvals keep within Slack's limits, checked with slack_sdk's
own models: proposals and their buttons, confirm dialogs, the reject and edit modals, edits and
decisions shown, reminders."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.models.views import View

import policies
from bot import ids
from bot.blocks import approvals, edit_history, edit_modal, kit, messages, reject_modal
from integrations.statestore import AuditEntry
from policies import WinbackPolicy, load_policies
from tests.proposals import RUN_ID, answer_proposal, approval_of, winback_proposal
from tests.unit._slack_blocks import assert_valid
from workflows.proposals import AnsweredResult, Proposal, SendResult


def test_a_proposal_has_three_buttons_carrying_the_run_id() -> None:
    built = approvals.proposal_blocks(RUN_ID, winback_proposal())
    assert_valid(built)
    actions = built[-1]
    assert actions["type"] == "actions"
    assert [e["action_id"] for e in actions["elements"]] == [ids.APPROVE, ids.REJECT, ids.EDIT]
    assert {e["value"] for e in actions["elements"]} == {RUN_ID}
    assert "240 customers" in actions["elements"][0]["confirm"]["text"]["text"]


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
