"""The win-back campaign: who → offer and ROI → personal drafts → a person approves → send.

``select`` (Insights) keeps the customers the policy targets — RFM segment, days since the last
order, P(alive) band — and drops those not opted in, on the suppression list, or emailed within
the frequency cap, best value at stake first, capped. ``price`` (Finance) compares the discount
options and picks the recommended one; ``draft`` (Marketing) writes one personal email per
customer with that offer (drafts quote the discount, so pricing comes before drafting). The
run then pauses in ``ask_approval`` with a summary, sample emails and the ROI. Approve → ``send``
(exactly once per customer: ``workflows.sending``, never to anyone a reviewer excluded);
reject → the reason is recorded; edit (discount, subject, audience cap; or a per-recipient
review: recipients excluded, one email rewritten, ``winback_review``) → re-priced, re-drafted
and asked again.

Sending happens in its own node after the interrupt: the interrupted node re-runs from its start
on resume, so it must not have side effects. The state holds ids, numbers and drafts only.

Who is selected is ``winback_audience``; the state, the proposal built from it and the checks
on an approver's edits are ``winback_state``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Literal

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import interrupt

from agents.finance import WinbackCandidates, winback_offer_roi
from agents.marketing.emails import Offer, draft_email
from integrations.email import EmailSender
from integrations.statestore import StateStore, Trigger
from integrations.warehouse import Warehouse
from policies.schema import RFMPolicy, WinbackPolicy
from workflows.proposals import NobodyResult, RejectedResult, SendResult
from workflows.sending import CampaignEmail, OneClickLinks, SendOptions, queue_emails, send_queued
from workflows.steps import RunOutcome, StepContext, WorkflowSpec, advance
from workflows.winback_audience import Targeting, profile_of, select_audience
from workflows.winback_review import apply_review, campaign_audience, unsent_to_excluded
from workflows.winback_state import WinbackState, check_edits, proposal, rewritten_email

WORKFLOW = "winback"
OFFER_DAYS = 14


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
        audience = campaign_audience(state, policy)
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
        offer = Offer(
            discount=state["discount"],
            code=f"COMEBACK{round(state['discount'] * 100)}",
            expires=datetime.now(UTC).date() + timedelta(days=OFFER_DAYS),
        )
        drafts = []
        audience: list[tuple[int, str]] = []
        for customer in campaign_audience(state, policy):
            written = draft_email(profile_of(customer), offer)
            audience.append((written.customer_id, written.recipient))
            # A reviewer's rewrite of this one email wins over the drafted text and subject.
            own = rewritten_email(state, written.customer_id) or {}
            drafts.append(
                {
                    "customer_id": written.customer_id,
                    "recipient": written.recipient,
                    "subject": own.get("subject") or state.get("subject") or written.subject,
                    "body": own.get("body") or written.body,
                }
            )
        # Idempotent (it replaces the run's audience): who another run emails meanwhile is
        # counted on the proposal.
        store.record_audience(state["run_id"], audience)
        return {"drafts": drafts}

    def ask_approval(state: WinbackState) -> WinbackState:
        # Nothing before interrupt() may have side effects: this node re-runs on resume.
        decision = interrupt(proposal(state).stored())
        return {"decision": dict(decision)}

    def apply_edits(state: WinbackState) -> WinbackState:
        edits = state["decision"].get("edits") or {}
        update = apply_review(store, state, edits)
        if "discount" in edits:
            update["chosen_discount"] = float(edits["discount"])
        if "audience_cap" in edits:
            update["audience_cap"] = int(edits["audience_cap"])
        if "subject" in edits:
            update["subject"] = str(edits["subject"])
        return update

    def send(state: WinbackState, runtime: Runtime[StepContext]) -> WinbackState:
        run_id = state["run_id"]
        # Checked against the stored exclusions, not only the drafts: nobody a reviewer
        # excluded is queued, whatever state the drafts are in.
        queue_emails(
            store,
            run_id,
            [
                CampaignEmail(d["customer_id"], d["recipient"], d["subject"], d["body"])
                for d in unsent_to_excluded(store, run_id, state["drafts"])
            ],
        )
        progress = runtime.context.on_progress if runtime.context else None
        report = send_queued(store, run_id, sender, options, on_progress=progress)
        if report.in_doubt:
            store.record_audit(
                "emails_in_doubt", actor="controlroom", run_id=run_id, emails=report.in_doubt
            )
        store.record_audit("campaign_sent", actor="controlroom", run_id=run_id, **report.as_dict())
        problem = (
            report.problem and f"{report.problem} (controlroom outbox list --run {run_id[:8]})"
        )
        return {"outcome": SendResult.of(report, problem=problem).stored()}

    def record_rejection(state: WinbackState) -> WinbackState:
        decision = state["decision"]
        rejected = RejectedResult(reason=decision.get("reason"), by=decision.get("actor"))
        return {"outcome": rejected.stored()}

    def record_nobody(state: WinbackState) -> WinbackState:
        # Why nobody qualifies (who was left out), and when the frequency cap lets the first
        # of them be emailed again.
        left_out = {why: n for why, n in state["excluded"].items() if n}
        next_eligible = state.get("next_eligible")
        nobody = NobodyResult(
            excluded=left_out,
            next_eligible=datetime.fromisoformat(next_eligible) if next_eligible else None,
        )
        return {"outcome": nobody.stored()}

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


def nobody_text(result: NobodyResult, policy: WinbackPolicy) -> str:
    """What a person reads when nobody qualifies: why, and when someone will."""
    left_out = result.excluded
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
    if result.next_eligible is not None:
        text += f" The first of them can be emailed again on {result.next_eligible:%-d %b %Y}."
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
