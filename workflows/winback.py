"""The win-back campaign: who → offer and ROI → personal drafts → a person approves → send.

``select`` (Insights) keeps the customers the policy targets — RFM segment, days since the last
order, P(alive) band — and drops those not opted in, on the suppression list, or emailed within
the frequency cap, best value at stake first, capped. ``price`` (Finance) compares the discount
options and picks the recommended one; ``draft`` (Marketing) writes one personal email per
customer with that offer (drafts quote the discount, so pricing comes before drafting). The
run then pauses in ``ask_approval`` with a summary, sample emails and the ROI. Approve → ``send``
(exactly once per customer: ``workflows.sending``); reject → the reason is recorded; edit
(discount, subject, audience cap) → re-priced, re-drafted and asked again.

Sending happens in its own node after the interrupt: the interrupted node re-runs from its start
on resume, so it must not have side effects. The state holds ids, numbers and drafts only.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any, Literal, TypedDict

import numpy as np
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import interrupt

from agents.finance import WinbackCandidates, winback_offer_roi
from agents.insights.churn import churn_scores
from agents.insights.history import customer_history, last_order_date
from agents.insights.rfm import score_rfm
from agents.marketing.emails import CustomerProfile, Offer, customer_profiles, draft_email
from integrations.email import EmailSender
from integrations.statestore import StateStore, Trigger
from integrations.text import person_key, unsafe_character
from integrations.warehouse import Warehouse
from policies.schema import RFMPolicy, WinbackPolicy
from workflows.approvals import (
    InvalidDecisionError,
    RunOutcome,
    StepContext,
    WorkflowSpec,
    advance,
)
from workflows.sending import CampaignEmail, OneClickLinks, SendOptions, queue_emails, send_queued

logger = logging.getLogger(__name__)

WORKFLOW = "winback"
OFFER_DAYS = 14
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


def build_winback(
    *,
    warehouse: Warehouse,
    store: StateStore,
    sender: EmailSender,
    policy: WinbackPolicy,
    rfm: RFMPolicy,
    email_from: str,
    one_click_url: OneClickLinks | None = None,
) -> StateGraph[WinbackState, StepContext]:
    """The win-back graph, uncompiled: the caller compiles it with the checkpointer.
    ``one_click_url`` makes each email's HTTPS one-click unsubscribe link, when served."""
    options = send_options(policy, email_from, one_click_url)

    def select(state: WinbackState) -> WinbackState:
        return select_audience(
            warehouse,
            store,
            policy,
            rfm,
            as_of=state.get("as_of"),
            targeting=Targeting(tuple(state.get("segments") or ()), state.get("min_days")),
        )

    def price(state: WinbackState) -> WinbackState:
        cap = state.get("audience_cap") or policy.audience_cap
        audience = state["eligible"][:cap]
        roi = winback_offer_roi(
            WinbackCandidates.of(
                [c["customer_id"] for c in audience],
                [c["p_alive"] for c in audience],
                [c["expected_order_value"] for c in audience],
            ),
            policy,
        )
        within = [d for d in policy.discount_options if d <= policy.max_discount]
        discount = state.get("chosen_discount") or roi.recommended_discount or min(within)
        return {"discount": discount, "roi": roi.model_dump(mode="json")}

    def draft(state: WinbackState) -> WinbackState:
        cap = state.get("audience_cap") or policy.audience_cap
        offer = Offer(
            discount=state["discount"],
            code=f"COMEBACK{round(state['discount'] * 100)}",
            expires=datetime.now(UTC).date() + timedelta(days=OFFER_DAYS),
        )
        drafts = []
        audience: list[tuple[int, str]] = []
        for customer in state["eligible"][:cap]:
            written = draft_email(_profile(customer), offer)
            audience.append((written.customer_id, written.recipient))
            drafts.append(
                {
                    "customer_id": written.customer_id,
                    "recipient": written.recipient,
                    "subject": state.get("subject") or written.subject,
                    "body": written.body,
                }
            )
        # Idempotent (it replaces the run's audience): who another run emails meanwhile is
        # counted on the proposal.
        store.record_audience(state["run_id"], audience)
        return {"drafts": drafts}

    def ask_approval(state: WinbackState) -> WinbackState:
        # Nothing before interrupt() may have side effects: this node re-runs on resume.
        decision = interrupt(proposal(state))
        return {"decision": dict(decision)}

    def apply_edits(state: WinbackState) -> WinbackState:
        edits = state["decision"].get("edits") or {}
        update: WinbackState = {}
        if "discount" in edits:
            update["chosen_discount"] = float(edits["discount"])
        if "audience_cap" in edits:
            update["audience_cap"] = int(edits["audience_cap"])
        if "subject" in edits:
            update["subject"] = str(edits["subject"])
        return update

    def send(state: WinbackState, runtime: Runtime[StepContext]) -> WinbackState:
        run_id = state["run_id"]
        queue_emails(
            store,
            run_id,
            [
                CampaignEmail(d["customer_id"], d["recipient"], d["subject"], d["body"])
                for d in state["drafts"]
            ],
        )
        progress = runtime.context.on_progress if runtime.context else None
        report = send_queued(store, run_id, sender, options, on_progress=progress)
        if report.in_doubt:
            store.record_audit(
                "emails_in_doubt", actor="controlroom", run_id=run_id, emails=report.in_doubt
            )
        store.record_audit("campaign_sent", actor="controlroom", run_id=run_id, **report.as_dict())
        outcome: dict[str, Any] = {"status": "sent", **report.as_dict()}
        if report.problem:
            outcome["problem"] = f"{report.problem} (controlroom outbox list --run {run_id[:8]})"
        return {"outcome": outcome}

    def record_rejection(state: WinbackState) -> WinbackState:
        decision = state["decision"]
        return {
            "outcome": {
                "status": "rejected",
                "reason": decision.get("reason"),
                "by": decision.get("actor"),
            }
        }

    def record_nobody(state: WinbackState) -> WinbackState:
        # Why nobody qualifies (who was left out), and when the frequency cap lets the first
        # of them be emailed again.
        left_out = {why: n for why, n in state["excluded"].items() if n}
        return {
            "outcome": {
                "status": "nobody",
                "excluded": left_out,
                "next_eligible": state.get("next_eligible"),
            }
        }

    graph: StateGraph[WinbackState, StepContext] = StateGraph(
        WinbackState, context_schema=StepContext
    )
    graph.add_node("select", select)
    graph.add_node("price", price)
    graph.add_node("draft", draft)
    graph.add_node("ask_approval", ask_approval)
    graph.add_node("apply_edits", apply_edits)
    graph.add_node("send", send)
    graph.add_node("record_rejection", record_rejection)
    graph.add_node("record_nobody", record_nobody)
    graph.add_edge(START, "select")
    graph.add_conditional_edges("select", _anyone, {"price": "price", "nobody": "record_nobody"})
    graph.add_edge("record_nobody", END)
    graph.add_edge("price", "draft")
    graph.add_edge("draft", "ask_approval")
    graph.add_conditional_edges(
        "ask_approval",
        _route_decision,
        {"send": "send", "record_rejection": "record_rejection", "apply_edits": "apply_edits"},
    )
    graph.add_edge("apply_edits", "price")
    graph.add_edge("send", END)
    graph.add_edge("record_rejection", END)
    return graph


def send_options(
    policy: WinbackPolicy, email_from: str, one_click_url: OneClickLinks | None = None
) -> SendOptions:
    """How a win-back's emails go: from ``email_from``, within the policy's frequency cap."""
    cap = timedelta(days=policy.frequency_cap_days) if policy.frequency_cap_days else None
    return SendOptions(email_from=email_from, frequency_cap=cap, one_click_url=one_click_url)


def nobody_text(result: Mapping[str, Any], policy: WinbackPolicy) -> str:
    """What a person reads when nobody qualifies: why, and when someone will."""
    left_out = result.get("excluded") or {}
    if not left_out:
        return (
            "Nobody qualifies for a win-back right now: no customer is in the targeted "
            "segments, lapsed long enough and within the P(alive) band "
            "(policies/winback.yaml)."
        )
    words = {
        "contacted recently": f"emailed in the last {policy.frequency_cap_days} days "
        "(the frequency cap)",
    }
    reasons = ", ".join(f"{n:,} {words.get(why, why)}" for why, n in left_out.items())
    text = f"Nobody qualifies for a win-back right now: of those targeted, {reasons}."
    if result.get("next_eligible"):
        when = datetime.fromisoformat(str(result["next_eligible"]))
        text += f" The first of them can be emailed again on {when:%-d %b %Y}."
    return text


def _anyone(current: WinbackState) -> Literal["price", "nobody"]:
    return "price" if current["eligible"] else "nobody"


def _route_decision(current: WinbackState) -> Literal["send", "record_rejection", "apply_edits"]:
    decision = current["decision"]["decision"]
    if decision == "approved":
        return "send"
    if decision == "edited":
        return "apply_edits"
    return "record_rejection"


def select_audience(
    warehouse: Warehouse,
    state: StateStore,
    policy: WinbackPolicy,
    rfm: RFMPolicy,
    *,
    as_of: str | None = None,
    targeting: Targeting | None = None,
) -> WinbackState:
    """The customers the policy targets (narrowed by ``targeting``), best value at stake first,
    and why others were left out.

    Segments, days since the last order and the P(alive) band come from the warehouse's models;
    opt-in from the customer record; suppressions and the frequency cap from the state store.
    """
    with warehouse.connect() as connection:
        day = date.fromisoformat(as_of) if as_of else last_order_date(connection)
        history = customer_history(connection, day)
        segments = np.asarray(score_rfm(history, rfm).customers["segment"].to_pylist())
        churn = churn_scores(history, rfm.churn).customers
        p_alive = churn["p_alive"].to_numpy()
        value = churn["expected_average_value"].to_numpy()
        aim = targeting or Targeting()
        in_segment = np.isin(segments, list(aim.segments or policy.segments))
        lapsed = history.days_since_last_order >= (aim.min_days or policy.min_days_since_last_order)
        in_band = (p_alive >= policy.p_alive_min) & (p_alive <= policy.p_alive_max)
        targeted = np.flatnonzero(in_segment & lapsed & in_band)
        # Most value at stake first: the cap keeps the customers worth most to win back.
        order = targeted[np.lexsort((history.customer_id[targeted], -(p_alive * value)[targeted]))]
        ids = [int(i) for i in history.customer_id[order]]
        profiles = customer_profiles(
            connection,
            ids,
            as_of=day,
            segments={int(history.customer_id[i]): str(segments[i]) for i in order},
        )
    scores = {int(history.customer_id[i]): (float(p_alive[i]), float(value[i])) for i in order}
    suppressed = state.suppressed([p.email for p in profiles])
    since = datetime.now(UTC) - timedelta(days=policy.frequency_cap_days)
    contacted = (
        state.recently_contacted([(p.customer_id, p.email) for p in profiles], since=since)
        if policy.frequency_cap_days
        else {}
    )
    excluded = {
        "not opted in": 0,
        "suppressed": 0,
        "contacted recently": 0,
        "same address as another customer": 0,
        "over the cap": 0,
    }
    eligible: list[dict[str, Any]] = []
    people: set[str] = set()
    capped: list[datetime] = []  # when each one left out by the frequency cap was last emailed
    for profile in profiles:
        person = person_key(profile.email)
        if not profile.marketing_opt_in:
            excluded["not opted in"] += 1
        elif person in suppressed:
            excluded["suppressed"] += 1
        elif profile.customer_id in contacted:
            excluded["contacted recently"] += 1
            capped.append(contacted[profile.customer_id])
        elif person in people:
            excluded["same address as another customer"] += 1
        elif len(eligible) >= policy.audience_cap:
            excluded["over the cap"] += 1
        else:
            p, v = scores[profile.customer_id]
            people.add(person)
            eligible.append(_customer(profile, p, v))
    logger.info("win-back as of %s: %d eligible, excluded %s", day, len(eligible), excluded)
    next_eligible = (
        (min(capped) + timedelta(days=policy.frequency_cap_days)).isoformat() if capped else None
    )
    return {
        "as_of": day.isoformat(),
        "eligible": eligible,
        "excluded": excluded,
        "next_eligible": next_eligible,
    }


class WinbackTargetError(ValueError):
    """A win-back asked for customers the policy does not allow: the message says which may be."""


@dataclass(frozen=True, slots=True)
class Targeting:
    """A narrower audience than the policy's: some of its segments, a longer lapse (days since
    the last order). Empty: the policy's own."""

    segments: tuple[str, ...] = ()
    min_days: int | None = None


def targeting(policy: WinbackPolicy, segment: str | None, days: int | None) -> Targeting:
    """Read a person's "winback at-risk --days 90" against the policy: a segment it targets
    (case, hyphens and underscores ignored) and at least its minimum lapse; else
    ``WinbackTargetError`` naming what is allowed."""
    segments: tuple[str, ...] = ()
    if segment:
        wanted = _segment_key(segment)
        found = [s for s in policy.segments if _segment_key(s) == wanted]
        if not found:
            allowed = ", ".join(policy.segments)
            raise WinbackTargetError(
                f"{segment!r} is not a segment win-backs may target (policies/winback.yaml "
                f"segments: {allowed})"
            )
        segments = tuple(found)
    if days is not None and days < policy.min_days_since_last_order:
        raise WinbackTargetError(
            f"--days {days} is shorter than the policy's lapse: at least "
            f"{policy.min_days_since_last_order} days since the last order"
        )
    return Targeting(segments, days)


def _segment_key(name: str) -> str:
    return " ".join(name.lower().replace("-", " ").replace("_", " ").replace("'", "").split())


def _customer(profile: CustomerProfile, p_alive: float, value: float) -> dict[str, Any]:
    return {
        "customer_id": profile.customer_id,
        "p_alive": p_alive,
        "expected_order_value": value,
        "first_name": profile.first_name,
        "email": profile.email,
        "segment": profile.segment,
        "last_order": profile.last_order.isoformat(),
        "days_since_last_order": profile.days_since_last_order,
        "orders": profile.orders,
        "favourite_category": profile.favourite_category,
    }


def _profile(customer: Mapping[str, Any]) -> CustomerProfile:
    return CustomerProfile(
        customer_id=customer["customer_id"],
        first_name=customer["first_name"],
        email=customer["email"],
        segment=customer["segment"],
        last_order=date.fromisoformat(customer["last_order"]),
        days_since_last_order=customer["days_since_last_order"],
        orders=customer["orders"],
        favourite_category=customer["favourite_category"],
        marketing_opt_in=True,
    )


def proposal(current: WinbackState) -> dict[str, Any]:
    """What the approver sees: audience, offer, ROI of each option, sample emails."""
    roi = current["roi"]
    chosen = next(
        (o for o in roi["options"] if o["discount"] == current["discount"]), roi["options"][0]
    )
    drafts = current["drafts"]
    return {
        "workflow": WORKFLOW,
        "as_of": current["as_of"],
        "segments": current.get("segments") or [],
        "min_days": current.get("min_days"),
        "audience": len(drafts),
        "excluded": current["excluded"],
        "discount": current["discount"],
        "recommended_discount": roi["recommended_discount"],
        # The recommendation speaks of the recommended offer: after an edit to another discount
        # only the edited offer's figures are shown, so the proposal never contradicts itself.
        "recommendation": (
            roi["recommendation"] if current["discount"] == roi["recommended_discount"] else None
        ),
        "expected_profit": chosen["expected_profit"],
        "roi": chosen["roi"],
        "options": [
            {k: o[k] for k in ("discount", "expected_profit", "roi", "within_cap")}
            for o in roi["options"]
        ],
        "notes": roi["notes"],
        "subject": drafts[0]["subject"] if drafts else None,
        "samples": drafts[:SAMPLE_EMAILS],
    }


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


def winback_spec(
    *,
    warehouse: Warehouse,
    state: StateStore,
    sender: EmailSender,
    policy: WinbackPolicy,
    rfm: RFMPolicy,
    email_from: str,
    one_click_url: OneClickLinks | None = None,
) -> WorkflowSpec:
    """The win-back workflow as the approval desk rebuilds it."""
    return WorkflowSpec(
        build=partial(
            build_winback,
            warehouse=warehouse,
            store=state,
            sender=sender,
            policy=policy,
            rfm=rfm,
            email_from=email_from,
            one_click_url=one_click_url,
        ),
        kind="campaign",
        check_edits=partial(check_edits, policy),
    )


def start_winback(
    spec: WorkflowSpec,
    *,
    state: StateStore,
    database_url: str,
    started_by: str,
    trigger: Trigger,
    as_of: date | None = None,
    aim: Targeting | None = None,
) -> RunOutcome:
    """Start a win-back run: it pauses with a proposal (or ends when nobody qualifies);
    ``aim`` narrows the policy's audience (``targeting``)."""
    run = state.start_run(WORKFLOW, started_by=started_by, trigger=trigger)
    initial: WinbackState = {"run_id": run.run_id}
    if as_of is not None:
        initial["as_of"] = as_of.isoformat()
    if aim is not None and aim.segments:
        initial["segments"] = list(aim.segments)
    if aim is not None and aim.min_days is not None:
        initial["min_days"] = aim.min_days
    return advance(
        spec,
        run.run_id,
        dict(initial),
        state=state,
        database_url=database_url,
        workflow=WORKFLOW,
    )
