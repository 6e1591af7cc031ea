"""What a paused run asks a person to decide, and what a finished run did: the typed seam
between the workflows and their callers (the Slack app, the CLI).

A proposal is the interrupt's value and the approval's stored summary; a result is the graph's
``outcome``. Each is one of a few pydantic models told apart by its ``kind``, stored as JSON with
a ``version``, so a renamed field fails in mypy and in tests rather than in Slack.

Approvals stored before proposals had a version (their kind named by ``"workflow"``) are read as
version 1: ``load_proposal`` upgrades them as it reads them, and nothing rewrites the rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from integrations.statestore import ApprovalRecord
from workflows.sending import SendReport


class _Stored(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = 1

    def stored(self) -> dict[str, Any]:
        """As JSON-ready data, the way the state store and the checkpoint keep it."""
        return self.model_dump(mode="json")


# Proposals -----------------------------------------------------------------------------------


class SampleEmail(BaseModel):
    """One drafted email, as the approver reads it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    customer_id: int
    recipient: str
    subject: str
    body: str


class Recipient(BaseModel):
    """One person a campaign would email, as the approver reviews the audience; ``draft_edited``
    when a person rewrote her email."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    customer_id: int
    recipient: str
    first_name: str
    segment: str
    draft_edited: bool = False


class PricedOffer(BaseModel):
    """One discount the finance agent compared: its expected profit and ROI (a ratio)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    discount: float
    expected_profit: float
    roi: float | None
    within_cap: bool


class WinbackProposal(_Stored):
    """A win-back campaign for approval: who, which offer at what expected profit and ROI,
    who was left out and why, and a few of the drafted emails."""

    kind: Literal["campaign"] = "campaign"
    as_of: date
    # Who the person asked for when narrower than the policy: segments, a longer lapse.
    segments: list[str] = Field(default_factory=list)
    min_days: int | None = None
    audience: int
    excluded: dict[str, int]
    discount: float
    recommended_discount: float | None
    # Speaks of the recommended offer only: None once an edit chose another discount.
    recommendation: str | None
    expected_profit: float
    roi: float | None
    options: list[PricedOffer]
    notes: list[str]
    subject: str | None
    samples: list[SampleEmail]
    # Everyone the campaign would email, for a per-recipient review, and how many people the
    # reviewers excluded from it so far (never emailed by this run).
    recipients: list[Recipient] = Field(default_factory=list)
    excluded_in_review: int = 0


class AnswerProposal(_Stored):
    """A support answer the Support agent was unsure of, for a person to send, edit or reject."""

    kind: Literal["answer"] = "answer"
    question: str
    asker: str
    text: str
    confidence: float
    # The guard's codes ("semantic_injection", "confidence 0.41 below 0.65").
    reasons: list[str]
    sources: list[str]


Proposal = Annotated[WinbackProposal | AnswerProposal, Field(discriminator="kind")]
_PROPOSAL: TypeAdapter[Proposal] = TypeAdapter(Proposal)
# The kind of an unversioned proposal, from the workflow it named.
_UNVERSIONED_KINDS = {"winback": "campaign", "support": "answer"}


def load_proposal(stored: Mapping[str, Any]) -> Proposal:
    """A proposal from its stored JSON; raises pydantic's ``ValidationError`` when it is not one."""
    data = dict(stored)
    if "version" not in data and "workflow" in data:
        data["kind"] = _UNVERSIONED_KINDS.get(str(data.pop("workflow")))
        data.pop("escalate", None)  # always true of an escalated answer
    return _PROPOSAL.validate_python(data)


def proposal_of(approval: ApprovalRecord) -> Proposal:
    """What the person deciding ``approval`` was (or is) shown."""
    return load_proposal(approval.summary)


# Results -------------------------------------------------------------------------------------


class SendResult(_Stored):
    """An approved campaign's emails: how many went, were skipped or are not settled."""

    kind: Literal["sent"] = "sent"
    sent_now: int
    sent: int
    suppressed: int
    capped: int
    failed: int
    in_doubt: int
    queued: int
    # Why the send is not wholly done (failed or in-doubt emails), and where to look.
    problem: str | None = None

    @classmethod
    def of(cls, report: SendReport, *, problem: str | None) -> SendResult:
        """The final counts of a send (``send_queued``'s report)."""
        return cls(
            sent_now=report.sent_now,
            sent=report.sent,
            suppressed=report.suppressed,
            capped=report.capped,
            failed=report.failed,
            in_doubt=report.in_doubt,
            queued=report.queued,
            problem=problem,
        )


class RejectedResult(_Stored):
    """A proposal a person rejected: nothing was done."""

    kind: Literal["rejected"] = "rejected"
    reason: str | None
    by: str | None


class NobodyResult(_Stored):
    """A win-back that found nobody to email: who was left out, by reason, and when the
    frequency cap lets the first of them be emailed again."""

    kind: Literal["nobody"] = "nobody"
    excluded: dict[str, int]
    next_eligible: datetime | None


class AnsweredResult(_Stored):
    """A support answer sent to the asker: the draft, or a person's (``reviewed_by``)."""

    kind: Literal["answered"] = "answered"
    text: str
    confidence: float
    sources: list[str]
    reviewed_by: str | None


class TicketResult(_Stored):
    """A support answer a person rejected: a ticket was opened instead (``where``)."""

    kind: Literal["ticket"] = "ticket"
    reason: str | None
    where: str
    url: str | None


Result = Annotated[
    SendResult | RejectedResult | NobodyResult | AnsweredResult | TicketResult,
    Field(discriminator="kind"),
]
_RESULT: TypeAdapter[Result] = TypeAdapter(Result)


def load_result(stored: Mapping[str, Any]) -> Result:
    """A result from its stored JSON (a graph's ``outcome``)."""
    return _RESULT.validate_python(dict(stored))


# Edits ---------------------------------------------------------------------------------------


class EditedFigures(BaseModel):
    """The figures of a proposal an edit changes, as an ``edited`` audit entry keeps what the
    person saw before (its ``was``: the plain values of the proposal then)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    discount: float | None = None
    audience: int | None = None
    subject: str | None = None

    @classmethod
    def of(cls, proposal: Proposal) -> EditedFigures:
        """The figures of ``proposal`` as it stands (an answer has none of them)."""
        return cls.model_validate(proposal.stored())
