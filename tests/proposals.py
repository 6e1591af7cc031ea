"""Proposals and approvals as the workflows store them, for tests that need one without running a
workflow: each field named, so a renamed field fails here too."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from integrations.statestore import ApprovalRecord, StateStore
from workflows.proposals import (
    AnswerProposal,
    PricedOffer,
    Proposal,
    SampleEmail,
    WinbackProposal,
)

RUN_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


def winback_proposal(**changes: Any) -> WinbackProposal:
    """A win-back for 240 customers at 15% off, with three long sample emails."""
    sample = SampleEmail(
        customer_id=1,
        recipient="a@example.com",
        subject="We miss you",
        body="Hello & welcome back " * 200,
    )
    proposal = WinbackProposal(
        as_of=date(2026, 11, 22),
        audience=240,
        excluded={"contacted recently": 3},
        discount=0.15,
        recommended_discount=0.15,
        recommendation="15% pays best <within the cap>",
        expected_profit=1234.5,
        roi=2.5,
        options=[PricedOffer(discount=0.15, expected_profit=1234.5, roi=2.5, within_cap=True)],
        notes=[],
        subject="We miss you",
        samples=[sample] * 3,
    )
    return proposal.model_copy(update=changes)


def answer_proposal(**changes: Any) -> AnswerProposal:
    """An escalated support answer, with characters Slack must see escaped."""
    proposal = AnswerProposal(
        question="Can I pay with a goat?",
        asker="U0CUSTOMER",
        text="We take cards & PayPal <only>.",
        confidence=0.31,
        reasons=["low confidence"],
        sources=["https://help.example.com/payments"],
    )
    return proposal.model_copy(update=changes)


def workflow_of(proposal: Proposal) -> str:
    """The workflow that asks a person to decide ``proposal``."""
    return "support" if isinstance(proposal, AnswerProposal) else "winback"


def approval_of(proposal: Proposal, **changes: Any) -> ApprovalRecord:
    """A pending approval of ``proposal`` (run ``RUN_ID``), posted in C0APPROVALS."""
    fields: dict[str, Any] = {
        "run_id": RUN_ID,
        "workflow": workflow_of(proposal),
        "kind": proposal.kind,
        "status": "pending",
        "round": 1,
        "requested_at": datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
        "summary": proposal.stored(),
        "decided_by": None,
        "decided_at": None,
        "reason": None,
        "edits": None,
        "channel_id": "C0APPROVALS",
        "message_ts": "1.2",
    }
    return ApprovalRecord(**{**fields, **changes})


def ask_approval(state: StateStore, run_id: str, proposal: Proposal) -> ApprovalRecord:
    """Record ``proposal`` as the approval a paused run waits for, as ``advance`` does."""
    return state.request_approval(
        run_id, workflow=workflow_of(proposal), kind=proposal.kind, summary=proposal.stored()
    )
