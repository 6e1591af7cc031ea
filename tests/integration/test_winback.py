"""The win-back workflow on the sample company: proposal, approve, reject, edit, frequency cap."""

from __future__ import annotations

import email
import email.policy
from datetime import timedelta
from pathlib import Path

import pytest

import policies
from integrations.statestore import StateStore
from integrations.warehouse import Warehouse
from tests.integration._campaigns import APPROVER, make_desk
from tests.integration.conftest import propose_winback
from workflows.approvals import ApprovalDesk, InvalidDecisionError
from workflows.proposals import RejectedResult, proposal_of
from workflows.winback import nobody_text, start_winback
from workflows.winback_audience import WinbackTargetError, select_audience, targeting


def test_a_winback_run_pauses_with_a_proposal_and_sample_emails(desk: ApprovalDesk) -> None:
    outcome = propose_winback(desk)
    assert outcome.status == "paused"
    assert outcome.proposal is not None
    assert outcome.proposal.audience == 5
    assert outcome.proposal.discount in (0.10, 0.15, 0.20)
    assert len(outcome.proposal.samples) == 3
    assert f"{outcome.proposal.discount:.0%}" in outcome.proposal.samples[0].body
    assert outcome.proposal.excluded["not opted in"] > 0
    (pending,) = desk.pending()
    assert pending.run_id == outcome.run_id
    assert proposal_of(pending) == outcome.proposal
    assert desk.state.get_run(outcome.run_id).status == "paused"
    assert desk.state.outbox_emails(run_id=outcome.run_id) == []


def test_approving_sends_exactly_the_approved_audience_to_the_outbox(
    desk: ApprovalDesk, outbox: Path
) -> None:
    started = propose_winback(desk)
    assert started.proposal is not None
    done = desk.decide(started.run_id, "approved", APPROVER)
    assert done.status == "succeeded"
    assert done.result.sent == 5
    rows = desk.state.outbox_emails(run_id=started.run_id)
    assert [r.status for r in rows] == ["sent"] * 5
    files = sorted(outbox.glob("*.eml"))
    assert len(files) == 5
    recipients = {
        email.message_from_bytes(f.read_bytes(), policy=email.policy.default)["To"] for f in files
    }
    assert recipients == {r.recipient for r in rows}
    message = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert (
        message["List-Unsubscribe"].strip().startswith("<mailto:unsubscribe@twopeaks.example.com")
    )
    assert "Unsubscribe:" in message.get_content()
    assert desk.state.get_run(started.run_id).status == "succeeded"
    actions = [e.action for e in desk.state.audit_entries(run_id=started.run_id)]
    assert actions == ["approved", "campaign_sent"]


def test_a_rejection_records_the_reason_and_sends_nothing(desk: ApprovalDesk, outbox: Path) -> None:
    started = propose_winback(desk)
    with pytest.raises(InvalidDecisionError, match="reason"):
        desk.decide(started.run_id, "rejected", APPROVER)
    done = desk.decide(started.run_id, "rejected", APPROVER, reason="Black Friday is next week")
    assert done.result == RejectedResult(reason="Black Friday is next week", by=APPROVER)
    approval = desk.state.get_approval(started.run_id)
    assert (approval.status, approval.reason) == ("rejected", "Black Friday is next week")
    # The run history says what happened: rejected, not "succeeded", wherever it is listed.
    assert done.status == desk.state.get_run(started.run_id).status == "rejected"
    (entry,) = desk.state.audit_entries(run_id=started.run_id)
    assert entry.detail["reason"] == "Black Friday is next week"
    assert not outbox.exists() or not list(outbox.glob("*.eml"))


def test_an_edit_changes_the_offer_and_asks_again(desk: ApprovalDesk) -> None:
    started = propose_winback(desk)
    assert started.proposal is not None
    new_discount = 0.10 if started.proposal.discount != 0.10 else 0.15
    with pytest.raises(InvalidDecisionError, match="discount must be one of"):
        desk.decide(started.run_id, "edited", APPROVER, edits={"discount": 0.25})
    asked_again = desk.decide(
        started.run_id,
        "edited",
        APPROVER,
        edits={"discount": new_discount, "subject": "A gift for you", "audience_cap": 2},
    )
    assert asked_again.status == "paused"
    assert asked_again.proposal is not None
    assert asked_again.proposal.discount == new_discount
    assert asked_again.proposal.audience == 2
    assert asked_again.proposal.subject == "A gift for you"
    # Only the edited offer's figures: the recommendation speaks of another discount.
    assert started.proposal.recommendation and asked_again.proposal.recommendation is None
    assert f"{new_discount:.0%} off" in asked_again.proposal.samples[0].body
    approval = desk.state.get_approval(started.run_id)
    assert (approval.status, approval.round) == ("pending", 2)

    done = desk.decide(started.run_id, "approved", APPROVER)
    assert done.result.sent == 2
    subjects = {r.subject for r in desk.state.outbox_emails(run_id=started.run_id)}
    assert subjects == {"A gift for you"}


def test_customers_emailed_within_the_frequency_cap_are_left_out(desk: ApprovalDesk) -> None:
    first = propose_winback(desk)
    desk.decide(first.run_id, "approved", APPROVER)
    contacted = {r.customer_id for r in desk.state.outbox_emails(run_id=first.run_id)}

    second = propose_winback(desk)
    assert second.proposal is not None
    assert second.proposal.excluded["contacted recently"] == 5
    desk.decide(second.run_id, "approved", APPROVER)
    again = {r.customer_id for r in desk.state.outbox_emails(run_id=second.run_id)}
    assert len(again) == 5
    assert not again & contacted


def test_someone_who_is_not_an_approver_is_refused_and_audited(desk: ApprovalDesk) -> None:
    from workflows.approvals import NotAnApproverError

    started = propose_winback(desk)
    with pytest.raises(NotAnApproverError, match="U0INTRUDER is not an approver"):
        desk.decide(started.run_id, "approved", "U0INTRUDER")
    (entry,) = desk.state.audit_entries(run_id=started.run_id)
    assert (entry.action, entry.actor) == ("approval_refused", "U0INTRUDER")
    assert desk.state.get_approval(started.run_id).status == "pending"


def test_a_winback_for_one_segment_and_a_longer_lapse_targets_only_those_customers(
    desk: ApprovalDesk, sample_warehouse: Warehouse
) -> None:
    shipped = policies.load_policies(Path(policies.__file__).parent)
    aim = targeting(shipped.winback, "at-risk", 120)
    chosen = select_audience(
        sample_warehouse, desk.state, shipped.winback, shipped.rfm, targeting=aim
    )
    assert chosen["eligible"]
    assert {c["segment"] for c in chosen["eligible"]} == {"At Risk"}
    assert min(c["days_since_last_order"] for c in chosen["eligible"]) >= 120
    everyone = select_audience(sample_warehouse, desk.state, shipped.winback, shipped.rfm)
    assert len({c["segment"] for c in everyone["eligible"]}) > 1

    narrowed = start_winback(
        desk.workflows["winback"],
        state=desk.state,
        database_url=desk.database_url,
        started_by="tester",
        trigger="cli",
        aim=aim,
    )
    assert narrowed.proposal is not None
    assert narrowed.proposal.segments == ["At Risk"] and narrowed.proposal.min_days == 120
    # The test desk caps the audience at 5 (tests/integration/_campaigns.py).
    assert narrowed.proposal.audience == min(5, len(chosen["eligible"]))


@pytest.mark.parametrize(
    ("segment", "days", "problem"),
    [
        ("Champions", None, "'Champions' is not a segment win-backs may target"),
        ("at risk", 30, "--days 30 is shorter than the policy's lapse: at least 60 days"),
        (
            "20%",
            None,
            r"'20%' reads as a discount: a proposal prices the policy's offers \(10%, 15%, 20%\)",
        ),
        ("15 pct off", None, "'15 pct off' reads as a discount"),
    ],
)
def test_a_winback_asking_for_more_than_the_policy_allows_is_refused(
    segment: str, days: int | None, problem: str
) -> None:
    policy = policies.load_policies(Path(policies.__file__).parent).winback
    with pytest.raises(WinbackTargetError, match=problem):
        targeting(policy, segment, days)
    assert targeting(policy, "CANT_lose-them", None).segments == ("Can't Lose Them",)


def test_when_nobody_qualifies_the_run_says_why_and_when_someone_will(
    store: StateStore, database_url: str, sample_warehouse: Warehouse, outbox: Path
) -> None:
    desk = make_desk(store, database_url, sample_warehouse.path, outbox, audience_cap=100_000)
    everyone = propose_winback(desk)
    desk.decide(everyone.run_id, "approved", APPROVER)
    sent = desk.state.outbox_emails(run_id=everyone.run_id, status="sent", limit=100_000)
    first_sent = min(row.sent_at for row in sent if row.sent_at is not None)

    again = propose_winback(desk)

    assert again.proposal is None and again.status == "succeeded"
    assert again.result.kind == "nobody"
    assert again.result.excluded["contacted recently"] == len(sent)
    policy = policies.load_policies(Path(policies.__file__).parent).winback
    next_time = first_sent + timedelta(days=policy.frequency_cap_days)
    told = nobody_text(again.result, policy)
    assert f"{len(sent):,} emailed in the last {policy.frequency_cap_days} days" in told
    assert f"can be emailed again on {next_time:%-d %b %Y}." in told
