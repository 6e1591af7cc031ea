"""The win-back run's state, and what a person sees and may change of it: the proposal built
from the state (``proposal``) and the checks on an approver's edits (``check_edits``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, TypedDict

from integrations.text import unsafe_character
from policies.schema import WinbackPolicy
from workflows.approvals import InvalidDecisionError
from workflows.proposals import PricedOffer, SampleEmail, WinbackProposal

SAMPLE_EMAILS = 3
MAX_SUBJECT_CHARS = 150


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
        subject=drafts[0]["subject"] if drafts else None,
        samples=[
            SampleEmail(
                customer_id=d["customer_id"],
                recipient=d["recipient"],
                subject=d["subject"],
                body=d["body"],
            )
            for d in drafts[:SAMPLE_EMAILS]
        ],
    )


def check_edits(policy: WinbackPolicy, edits: Mapping[str, Any]) -> dict[str, Any]:
    """Validate an approver's edits against the policy; raise ``InvalidDecisionError`` naming
    each field that was wrong (``fields``), so a form can show each message beside its field."""
    allowed = {"discount", "subject", "audience_cap"}
    unknown = set(edits) - allowed
    if unknown or not edits:
        raise InvalidDecisionError(
            "an edit changes the discount, the subject or the audience cap"
            + (f"; not {', '.join(sorted(unknown))}" if unknown else "")
        )
    checked: dict[str, Any] = {}
    problems: dict[str, str] = {}
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
