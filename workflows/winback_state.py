"""The win-back run's state, and what a person sees and may change of it: the proposal built
from the state (``proposal``) and the checks on an approver's edits (``check_edits``): the
offer's (discount, subject, audience cap) and a per-recipient review's (``exclude``, ``draft``:
``workflows.winback_review``)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date
from typing import Any, TypedDict

from integrations.text import unsafe_character
from policies.schema import WinbackPolicy
from workflows.approvals import InvalidDecisionError
from workflows.proposals import PricedOffer, Proposal, Recipient, SampleEmail, WinbackProposal

SAMPLE_EMAILS = 3
MAX_SUBJECT_CHARS = 150
# A rewritten email's body: room for a personal note, and within what a Slack modal carries.
MAX_DRAFT_CHARS = 1500
# The edits of a per-recipient review (the others change the offer).
REVIEW_EDITS = frozenset({"exclude", "draft"})


class WinbackState(TypedDict, total=False):
    run_id: str
    as_of: str
    # Who was asked for, within the policy: some of its segments, a longer lapse (``Targeting``).
    segments: list[str]
    min_days: int
    # Customers the policy allows, best first, at most the policy's audience cap.
    eligible: list[dict[str, Any]]
    excluded: dict[str, int]
    # When the first customer left out by the frequency cap may be emailed again (ISO time).
    next_eligible: str | None
    # A person's edits: they override the recommendation until edited again.
    chosen_discount: float | None
    audience_cap: int | None
    subject: str | None
    # A reviewer's: customers excluded (never emailed by this run) and rewritten emails, by
    # customer id as text (a JSON key): {"subject": …, "body": …, "discount": the offer quoted}.
    excluded_customers: list[int]
    draft_edits: dict[str, dict[str, Any]]
    discount: float
    roi: dict[str, Any]
    drafts: list[dict[str, Any]]
    decision: dict[str, Any]
    outcome: dict[str, Any]


def proposal(current: WinbackState) -> WinbackProposal:
    """What the approver sees: audience, offer, ROI of each option, sample emails."""
    roi = current["roi"]
    options = [
        PricedOffer(
            discount=o["discount"],
            expected_profit=o["expected_profit"],
            roi=o["roi"],
            within_cap=o["within_cap"],
        )
        for o in roi["options"]
    ]
    chosen = next((o for o in options if o.discount == current["discount"]), options[0])
    drafts = current["drafts"]
    return WinbackProposal(
        as_of=date.fromisoformat(current["as_of"]),
        segments=current.get("segments") or [],
        min_days=current.get("min_days"),
        audience=len(drafts),
        excluded=current["excluded"],
        discount=current["discount"],
        recommended_discount=roi["recommended_discount"],
        # The recommendation speaks of the recommended offer: after an edit to another discount
        # only the edited offer's figures are shown, so the proposal never contradicts itself.
        recommendation=(
            roi["recommendation"] if current["discount"] == roi["recommended_discount"] else None
        ),
        expected_profit=chosen.expected_profit,
        roi=chosen.roi,
        options=options,
        notes=roi["notes"],
        # The campaign's subject: a reviewer's rewrite of one email is that email's own.
        subject=next(
            (d["subject"] for d in drafts if rewritten_email(current, d["customer_id"]) is None),
            drafts[0]["subject"] if drafts else None,
        ),
        samples=[
            SampleEmail(
                customer_id=d["customer_id"],
                recipient=d["recipient"],
                subject=d["subject"],
                body=d["body"],
            )
            for d in drafts[:SAMPLE_EMAILS]
        ],
        recipients=_recipients(current),
        excluded_in_review=len(current.get("excluded_customers") or ()),
    )


def _recipients(current: WinbackState) -> list[Recipient]:
    """Everyone the drafts are for, with the name and segment the audience selection read."""
    known = {c["customer_id"]: c for c in current["eligible"]}
    return [
        Recipient(
            customer_id=d["customer_id"],
            recipient=d["recipient"],
            first_name=known[d["customer_id"]]["first_name"],
            segment=known[d["customer_id"]]["segment"],
            draft_edited=rewritten_email(current, d["customer_id"]) is not None,
        )
        for d in current["drafts"]
    ]


def rewritten_email(current: WinbackState, customer_id: int) -> dict[str, Any] | None:
    """A reviewer's text for one customer's email (subject, body), while the offer is the one
    it quotes; None when she gets the drafted email."""
    own = (current.get("draft_edits") or {}).get(str(customer_id))
    return own if own is not None and own.get("discount") == current.get("discount") else None


def check_edits(
    policy: WinbackPolicy, edits: Mapping[str, Any], current: Proposal
) -> dict[str, Any]:
    """Validate an approver's edits of ``current`` (a win-back's proposal) against the policy
    and its recipients; raise ``InvalidDecisionError`` naming each field that was wrong
    (``fields``), so a form can show each message beside its field."""
    allowed = {"discount", "subject", "audience_cap", *REVIEW_EDITS}
    unknown = set(edits) - allowed
    if unknown or not edits or not isinstance(current, WinbackProposal):
        raise InvalidDecisionError(
            "an edit changes the discount, the subject or the audience cap, or excludes "
            "recipients or rewrites one's email"
            + (f"; not {', '.join(sorted(unknown))}" if unknown else "")
        )
    checked, problems = _check_review_edits(
        {k: v for k, v in edits.items() if k in REVIEW_EDITS}, current
    )
    if "audience_cap" in edits and "exclude" in edits:
        # Who a new cap leaves is not the audience the person reviewed.
        problems["audience_cap"] = "change the audience cap and exclude recipients separately"
    if "discount" in edits:
        options = [d for d in policy.discount_options if d <= policy.max_discount]
        discount = _number(edits["discount"], float)
        if discount is None or discount not in options:
            shown = ", ".join(f"{d:.0%}" for d in options)
            problems["discount"] = f"the discount must be one of {shown}"
        else:
            checked["discount"] = discount
    if "audience_cap" in edits:
        cap = _number(edits["audience_cap"], int)
        if cap is None or not 1 <= cap <= policy.audience_cap:
            problems["audience_cap"] = (
                f"the audience cap must be a whole number between 1 and the policy's "
                f"{policy.audience_cap}"
            )
        else:
            checked["audience_cap"] = cap
    if "subject" in edits:
        subject = str(edits["subject"] or "").strip()
        unsafe = unsafe_character(subject)
        if not subject or unsafe or len(subject) > MAX_SUBJECT_CHARS:
            problems["subject"] = (
                f"the subject must be one line of 1 to {MAX_SUBJECT_CHARS} characters"
                + (f" (it holds {unsafe})" if unsafe else "")
            )
        else:
            checked["subject"] = subject
    if problems:
        raise InvalidDecisionError("; ".join(problems.values()), fields=problems)
    return checked


def _number(value: Any, kind: type[float] | type[int]) -> float | int | None:
    """``value`` (a number, or its text from a form) as ``kind``; None when it is not one."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if kind is int:
        return int(number) if number.is_integer() else None
    return number


def _check_review_edits(
    edits: Mapping[str, Any], proposal: WinbackProposal
) -> tuple[dict[str, Any], dict[str, str]]:
    """The review's edits (``exclude``: customer ids; ``draft``: one recipient's subject and
    body) checked against the proposal's recipients: what is valid, and what was wrong, by
    field."""
    audience = {r.customer_id: r for r in proposal.recipients}
    checked: dict[str, Any] = {}
    problems: dict[str, str] = {}
    excluded: list[int] = []
    if "exclude" in edits:
        excluded = _customer_ids(edits["exclude"])
        unknown = [c for c in excluded if c not in audience]
        if not excluded or unknown:
            problems["exclude"] = "exclude customers of this campaign's audience" + (
                f"; not {', '.join(str(c) for c in unknown[:5])}" if unknown else ""
            )
        elif len(set(excluded)) >= len(audience):
            problems["exclude"] = (
                f"exclude at most {len(audience) - 1} of the {len(audience)} recipients: "
                "to email nobody, reject the proposal"
            )
        else:
            checked["exclude"] = sorted(set(excluded))
    if "draft" in edits:
        draft, problem = _check_draft(edits["draft"], audience.keys(), excluded)
        if problem:
            problems["draft"] = problem
        else:
            checked["draft"] = draft
    return checked, problems


def _customer_ids(value: Any) -> list[int]:
    """Customer ids from a list of numbers or their texts; unreadable ones as -1 (unknown)."""
    items = value if isinstance(value, list | tuple) else [value]
    found = []
    for item in items:
        try:
            found.append(int(str(item)))
        except ValueError:
            found.append(-1)
    return found


def _check_draft(
    value: Any, audience: Collection[int], excluded: Sequence[int]
) -> tuple[dict[str, Any], str | None]:
    if not isinstance(value, Mapping):
        return {}, "a rewritten email names its customer, subject and body"
    [customer] = _customer_ids(value.get("customer_id")) or [-1]
    if customer not in audience or customer in excluded:
        return {}, "rewrite the email of someone the campaign still emails"
    subject = str(value.get("subject") or "").strip()
    body = str(value.get("body") or "").strip()
    if not subject or len(subject) > MAX_SUBJECT_CHARS or unsafe_character(subject):
        return {}, f"the email's subject must be one line of 1 to {MAX_SUBJECT_CHARS} characters"
    unsafe = unsafe_character(body, allow_newlines=True)
    if not body or len(body) > MAX_DRAFT_CHARS or unsafe:
        return {}, (
            f"the email's body must be 1 to {MAX_DRAFT_CHARS:,} characters"
            + (f" (it holds {unsafe})" if unsafe else "")
        )
    return {"customer_id": customer, "subject": subject, "body": body}, None
