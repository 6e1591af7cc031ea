"""Which tools answer which plan: one function per plan kind, over the run's model."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from agents.insights.agent import InsightsAgent
from agents.marketing.agent import MarketingAgent
from agents.planner.plans import (
    AnalysisPlan,
    ClarifyPlan,
    CopyPlan,
    DeclinePlan,
    MetricsPlan,
    Plan,
    SupportPlan,
    WinbackWhatIfPlan,
)
from agents.support.agent import SupportAgent
from integrations.llm import LanguageModel
from integrations.statestore import StateStore
from integrations.warehouse import Warehouse
from integrations.warehouse.metrics import MetricsLayer
from policies import RFMPolicy, WinbackPolicy
from prompts import AgentPrompts
from workflows.ask.actions import (
    answer_clarify,
    answer_copy,
    answer_decline,
    answer_support,
    answer_what_if,
)
from workflows.ask.analysis import answer_forecast, answer_insights
from workflows.ask.answers import PlanAnswer
from workflows.ask.metrics import answer_metrics
from workflows.ask.run import AnswerPlan


@dataclass(frozen=True, slots=True)
class Specialists:
    """The specialists whose tools answer plans, over one run's model."""

    marketing: MarketingAgent
    insights: InsightsAgent
    support: SupportAgent


@dataclass(frozen=True, slots=True)
class AskTools:
    """What answering needs beside the model: the warehouse and its metrics layer, the state
    store (a what-if's audience skips who the cap protects), the policies, the prompts, and
    the specialists built over a run's model."""

    warehouse: Warehouse
    state: StateStore
    layer: MetricsLayer
    winback: WinbackPolicy
    rfm: RFMPolicy
    prompts: Mapping[str, AgentPrompts]
    specialists: Callable[[LanguageModel], Specialists]


def plan_answerer(tools: AskTools) -> Callable[[LanguageModel], AnswerPlan]:
    """For a run's model, the function answering one plan of a request."""

    def over(model: LanguageModel) -> AnswerPlan:
        team = tools.specialists(model)
        finance = tools.prompts["finance"]

        def answer(plan: Plan, request: str, model: LanguageModel) -> PlanAnswer:
            if isinstance(plan, MetricsPlan):
                return answer_metrics(
                    plan,
                    warehouse=tools.warehouse,
                    layer=tools.layer,
                    model=model,
                    prompts=finance,
                    request=request,
                )
            if isinstance(plan, AnalysisPlan):
                if plan.analysis == "forecast":
                    return answer_forecast(
                        plan,
                        warehouse=tools.warehouse,
                        layer=tools.layer,
                        model=model,
                        prompts=finance,
                        request=request,
                    )
                return answer_insights(plan, team.insights)
            if isinstance(plan, WinbackWhatIfPlan):
                return answer_what_if(
                    plan,
                    warehouse=tools.warehouse,
                    state=tools.state,
                    policy=tools.winback,
                    rfm=tools.rfm,
                    model=model,
                    prompts=finance,
                    request=request,
                )
            if isinstance(plan, CopyPlan):
                return answer_copy(plan, team.marketing, request)
            if isinstance(plan, SupportPlan):
                return answer_support(plan, team.support)
            if isinstance(plan, ClarifyPlan):
                return answer_clarify(plan)
            assert isinstance(plan, DeclinePlan)
            return answer_decline(plan)

        return answer

    return over
