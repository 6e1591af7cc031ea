"""Proposals and results are typed, stored as JSON with a version, and told apart by their kind;
approvals stored by the code before them (no version, a "workflow" key) still load."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from tests.proposals import answer_proposal, approval_of, winback_proposal
from workflows.proposals import (
    AnswerProposal,
    EditedFigures,
    NobodyResult,
    SendResult,
    WinbackProposal,
    load_proposal,
    load_result,
    proposal_of,
)

# As the previous code stored them in the approvals table.
UNVERSIONED_WINBACK = {
    "workflow": "winback",
    "as_of": "2026-11-22",
    "segments": [],
    "min_days": None,
    "audience": 2,
    "excluded": {"not opted in": 1},
    "discount": 0.15,
    "recommended_discount": 0.15,
    "recommendation": "15% pays best",
    "expected_profit": 118.0,
    "roi": 1.5,
    "options": [{"discount": 0.15, "expected_profit": 118.0, "roi": 1.5, "within_cap": True}],
    "notes": [],
    "subject": "We miss you",
    "samples": [
        {"customer_id": 7, "recipient": "a@example.com", "subject": "We miss you", "body": "Hi"}
    ],
}
UNVERSIONED_ANSWER = {
    "workflow": "support",
    "question": "Can I pay with a goat?",
    "asker": "U0CUSTOMER",
    "text": "Cards only.",
    "confidence": 0.31,
    "escalate": True,
    "reasons": ["semantic_injection"],
    "sources": [],
}


def test_each_proposal_is_stored_with_its_kind_and_version_and_loads_back_as_itself() -> None:
    for proposal in (winback_proposal(), answer_proposal()):
        stored = proposal.stored()
        assert stored["version"] == 1 and stored["kind"] == proposal.kind
        assert load_proposal(stored) == proposal


def test_a_proposal_stored_before_proposals_had_a_version_loads_as_version_one() -> None:
    winback = load_proposal(UNVERSIONED_WINBACK)
    assert isinstance(winback, WinbackProposal)
    assert (winback.version, winback.as_of, winback.samples[0].customer_id) == (
        1,
        date(2026, 11, 22),
        7,
    )
    answer = load_proposal(UNVERSIONED_ANSWER)
    assert isinstance(answer, AnswerProposal) and answer.reasons == ["semantic_injection"]


def test_an_approval_gives_the_proposal_its_person_was_shown() -> None:
    approval = approval_of(answer_proposal(), summary=UNVERSIONED_ANSWER)
    assert isinstance(proposal_of(approval), AnswerProposal)


def test_a_stored_proposal_with_a_field_renamed_or_missing_is_refused() -> None:
    renamed = winback_proposal().stored()
    renamed["customers"] = renamed.pop("audience")
    with pytest.raises(ValidationError, match="audience"):
        load_proposal(renamed)
    with pytest.raises(ValidationError):
        load_proposal({"audience": 87})  # no kind, no workflow


def test_a_result_is_told_apart_by_its_kind() -> None:
    nobody = NobodyResult(
        excluded={"contacted recently": 3}, next_eligible=datetime(2026, 12, 1, tzinfo=UTC)
    )
    assert load_result(nobody.stored()) == nobody
    sent = SendResult(
        sent_now=2, sent=2, suppressed=0, capped=0, failed=1, in_doubt=0, queued=0, problem="x"
    )
    assert load_result(sent.stored()) == sent
    with pytest.raises(ValidationError):
        load_result({**sent.stored(), "kind": "answered"})


def test_the_figures_an_edit_changes_are_read_from_the_audit_and_the_proposal() -> None:
    was = EditedFigures.model_validate({"workflow": "winback", "discount": 0.1, "audience": 9})
    assert (was.discount, was.audience, was.subject) == (0.1, 9, None)
    now = EditedFigures.of(winback_proposal(audience=100))
    assert (now.discount, now.audience, now.subject) == (0.15, 100, "We miss you")
    assert EditedFigures.of(answer_proposal()) == EditedFigures()
