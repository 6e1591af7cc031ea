"""A per-recipient review of a win-back on the sample company: exclusions re-priced by Finance,
recorded once with who and when, enforced by the send step from the state store; one email
rewritten, kept while its offer stands."""

from __future__ import annotations

import email
from pathlib import Path
from typing import Any

import pytest

import policies
from agents.finance import WinbackCandidates, winback_offer_roi
from tests.integration._campaigns import APPROVER
from tests.integration.conftest import propose_winback
from workflows.approvals import ApprovalDesk, InvalidDecisionError
from workflows.proposals import WinbackProposal
from workflows.runtime import open_checkpointer, run_config
from workflows.winback_review import recipient_draft


def paused_state(desk: ApprovalDesk, run_id: str) -> dict[str, Any]:
    with open_checkpointer(desk.database_url) as saver:
        graph = desk.workflows["winback"].build().compile(checkpointer=saver)
        return dict(graph.get_state(run_config(run_id)).values)


def proposed(desk: ApprovalDesk) -> tuple[str, WinbackProposal]:
    started = propose_winback(desk)
    assert isinstance(started.proposal, WinbackProposal)
    return started.run_id, started.proposal


def test_excluding_recipients_reprices_the_offer_with_finance_on_those_left(
    desk: ApprovalDesk,
) -> None:
    run_id, before = proposed(desk)
    gone = [r.customer_id for r in before.recipients[:2]]

    outcome = desk.decide(run_id, "edited", APPROVER, edits={"exclude": gone})

    after = outcome.proposal
    assert isinstance(after, WinbackProposal)
    assert (after.audience, after.excluded_in_review) == (before.audience - 2, 2)
    assert {r.customer_id for r in after.recipients}.isdisjoint(gone)
    left = [c for c in paused_state(desk, run_id)["eligible"] if c["customer_id"] not in gone]
    roi = winback_offer_roi(
        WinbackCandidates.of(
            [c["customer_id"] for c in left],
            [c["p_alive"] for c in left],
            [c["expected_order_value"] for c in left],
        ),
        policies.load_policies(Path(policies.__file__).parent).winback,
    )
    chosen = next(o for o in roi.options if o.discount == after.discount)
    # The same figures, in the same units (ROI a ratio), as Finance computes for the rest.
    assert after.expected_profit == pytest.approx(chosen.expected_profit)
    assert after.roi == pytest.approx(chosen.roi)
    assert after.expected_profit != pytest.approx(before.expected_profit)


def test_an_exclusion_is_audited_once_with_who_and_when(desk: ApprovalDesk) -> None:
    run_id, before = proposed(desk)
    first = before.recipients[0]
    people = [(first.customer_id, first.recipient)]

    assert desk.state.exclude_recipients(run_id, people, by=APPROVER) == [first.customer_id]
    assert desk.state.exclude_recipients(run_id, people, by="U0OTHER") == []

    [entry] = [e for e in desk.state.audit_entries(run_id=run_id) if e.action.startswith("rec")]
    assert (entry.action, entry.actor) == ("recipients_excluded", APPROVER)
    assert entry.detail == {
        "customers": [{"customer_id": first.customer_id, "recipient": first.recipient}]
    }


def test_the_send_step_never_emails_someone_excluded_in_the_state_store(
    desk: ApprovalDesk, outbox: Path
) -> None:
    # Excluded in the store only: the run's drafts still hold her, the send step must not.
    run_id, before = proposed(desk)
    target = before.recipients[1]
    desk.state.exclude_recipients(run_id, [(target.customer_id, target.recipient)], by=APPROVER)

    done = desk.decide(run_id, "approved", APPROVER)

    rows = desk.state.outbox_emails(run_id=run_id)
    assert target.customer_id not in {r.customer_id for r in rows}
    assert done.result is not None and done.result.sent == before.audience - 1
    sent_to = [email.message_from_bytes(f.read_bytes())["To"] for f in outbox.glob("*.eml")]
    assert target.recipient not in sent_to
    assert sorted(sent_to) == sorted(r.recipient for r in before.recipients if r != target)


def test_a_rewritten_email_is_sent_as_written_until_the_discount_changes(
    desk: ApprovalDesk,
) -> None:
    run_id, before = proposed(desk)
    mine = before.recipients[0]
    spec = desk.workflows["winback"]
    text = {"customer_id": mine.customer_id, "subject": "For you", "body": "Dear friend."}

    outcome = desk.decide(run_id, "edited", APPROVER, edits={"draft": text})

    written = recipient_draft(spec, run_id, mine.customer_id, database_url=desk.database_url)
    assert written is not None and (written.subject, written.body) == ("For you", "Dear friend.")
    assert isinstance(outcome.proposal, WinbackProposal)
    assert outcome.proposal.recipients[0].draft_edited
    assert outcome.proposal.subject != "For you"  # the campaign's subject is unchanged

    other = next(o.discount for o in outcome.proposal.options if o.discount != before.discount)
    desk.decide(run_id, "edited", APPROVER, edits={"discount": other})

    redrafted = recipient_draft(spec, run_id, mine.customer_id, database_url=desk.database_url)
    assert redrafted is not None and f"{other:.0%}" in redrafted.body


def test_a_review_that_excludes_everyone_is_refused_and_records_nothing(
    desk: ApprovalDesk,
) -> None:
    run_id, before = proposed(desk)
    everyone = [r.customer_id for r in before.recipients]

    with pytest.raises(InvalidDecisionError, match="to email nobody, reject the proposal"):
        desk.decide(run_id, "edited", APPROVER, edits={"exclude": everyone})

    assert desk.state.get_approval(run_id).status == "pending"
    assert desk.state.excluded_recipients(run_id).customer_ids == frozenset()
