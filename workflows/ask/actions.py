"""Action plans: a win-back what-if priced by the Finance tools, copy in a format from Marketing,
a support answer from the knowledge base, and the words for ``clarify`` and ``decline``."""

from __future__ import annotations

from agents.finance.roi import InvalidRequestError, WinbackCandidates, winback_offer_roi
from agents.marketing.agent import MarketingAgent
from agents.planner.intent_rules import CAN_DO
from agents.planner.plans import ClarifyPlan, CopyPlan, DeclinePlan, SupportPlan, WinbackWhatIfPlan
from agents.support.agent import SupportAgent, answer_text
from integrations.llm import Fact, LanguageModel, SlotText
from integrations.statestore import StateStore
from integrations.text import escape_mrkdwn, escape_mrkdwn_keeping_quotes
from integrations.warehouse import Warehouse
from policies import RFMPolicy, WinbackPolicy
from prompts import AgentPrompts
from workflows.ask.answers import PlanAnswer
from workflows.winback_audience import Targeting, select_audience


def answer_what_if(
    plan: WinbackWhatIfPlan,
    *,
    warehouse: Warehouse,
    state: StateStore,
    policy: WinbackPolicy,
    rfm: RFMPolicy,
    model: LanguageModel,
    prompts: AgentPrompts,
    request: str,
) -> PlanAnswer:
    """What a win-back at ``plan.discount`` (the policy's options without one) would return for
    the audience a campaign would have today (the segment's, or the policy's)."""
    segments = (plan.segment,) if plan.segment else ()
    selected = select_audience(warehouse, state, policy, rfm, targeting=Targeting(segments))
    audience = selected["eligible"][: policy.audience_cap]
    who = escape_mrkdwn(plan.segment) if plan.segment else "the policy's segments"
    heading = f"Win-back what-if · {plan.segment or 'policy segments'}"
    if not audience:
        text = f"Nobody in {who} qualifies for a win-back today, so an offer would return nothing."
        return PlanAnswer(plan=plan, heading=heading, text=text)
    candidates = WinbackCandidates.of(
        [c["customer_id"] for c in audience],
        [c["p_alive"] for c in audience],
        [c["expected_order_value"] for c in audience],
    )
    discounts = [plan.discount] if plan.discount is not None else None
    try:
        roi = winback_offer_roi(candidates, policy, discounts=discounts)
    except InvalidRequestError:
        offered = ", ".join(f"{d:.0%}" for d in policy.discount_options)
        text = (
            f"The win-back policy has response rates for {offered} off only "
            "(`policies/winback.yaml`); ask for one of those."
        )
        return PlanAnswer(plan=plan, heading=heading, text=text)
    option = next(
        (o for o in roi.options if o.discount == plan.discount),
        next((o for o in roi.options if o.discount == roi.recommended_discount), roi.options[0]),
    )
    facts = [
        Fact(name="audience", unit="count", value=len(audience), label="customers emailed"),
        Fact(name="discount", unit="ratio", value=option.discount, decimals=0, label="discount"),
        Fact(
            name="reactivations",
            unit="count",
            value=option.expected_reactivations,
            label="expected customers back",
        ),
        Fact(
            name="revenue", unit="currency", value=option.expected_revenue, label="expected revenue"
        ),
        Fact(
            name="cost",
            unit="currency",
            value=option.discount_cost + option.sending_cost,
            label="discount and sending cost",
        ),
        Fact(name="profit", unit="currency", value=option.expected_profit, label="expected profit"),
        Fact(
            name="roi",
            unit="ratio",
            value=option.roi,
            decimals=0,
            label="return on the offer's cost (a percent, as on the proposal)",
        ),
    ]
    text = (
        "A {discount} offer to {audience} customers would bring back about {reactivations},"
        " for {revenue} of revenue and {profit} of expected profit after {cost} of discounts and"
        " sending: an ROI of {roi}."
    )
    if not option.within_cap:
        text += " That discount is above the policy's cap, so a campaign cannot use it."
    prompt = prompts.tasks["what_if_answer"].render(request=request)
    written = model.write_slots("finance", prompts.system, prompt, facts, offline=SlotText(text))
    note = f"\n_To propose it: `/controlroom winback{_segment_arg(plan.segment)}`._"
    return PlanAnswer(
        plan=plan,
        heading=heading + f" · {option.discount:.0%} off",
        text=written.text + note,
        written_by=written.source,
        refused=written.refused,
    )


def _segment_arg(segment: str | None) -> str:
    return f" {segment.lower().replace(' ', '-').replace(chr(39), '')}" if segment else ""


def answer_copy(plan: CopyPlan, marketing: MarketingAgent, request: str) -> PlanAnswer:
    """Copy in the plan's format on its theme (the season's best sellers without one)."""
    report = marketing.copy(plan.format, plan.theme, request)
    return PlanAnswer(
        plan=plan,
        heading=report.title,
        text=escape_mrkdwn(report.text),
        written_by=report.written_by,
    )


def answer_support(plan: SupportPlan, support: SupportAgent) -> PlanAnswer:
    """The knowledge base's answer, with its confidence; below the policy's threshold, the
    draft a person reviews (the Slack app escalates it)."""
    reply = support.reply(plan.question)
    return PlanAnswer(
        plan=plan,
        heading="Support",
        text=escape_mrkdwn_keeping_quotes(answer_text(reply, support.threshold)),
        written_by=reply.written_by,
        sources=tuple(source.url for source in reply.sources),
        support=reply,
    )


def answer_clarify(plan: ClarifyPlan) -> PlanAnswer:
    return PlanAnswer(plan=plan, heading="A question back", text=escape_mrkdwn(plan.question))


def answer_decline(plan: DeclinePlan) -> PlanAnswer:
    """The reason, and what the control room can do (unless the reason says it already)."""
    text = escape_mrkdwn(plan.reason)
    if "I can" not in plan.reason:
        text += f" {CAN_DO}"
    return PlanAnswer(plan=plan, heading="Not something I can do", text=text)
