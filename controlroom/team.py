"""The four specialists, built over the services and one run's (metered) language model."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from agents.finance.agent import FinanceAgent
from agents.finance.kpis import LastWeekKpis
from agents.insights.agent import InsightsAgent
from agents.marketing.agent import MarketingAgent
from agents.specialist import Specialist, SpecialistAgent, TeamFactory
from agents.support import KnowledgeBase
from agents.support.agent import SupportAgent
from controlroom.services import Services, ready_knowledge_base
from integrations.llm import LanguageModel
from integrations.statestore import SlackThread, Trigger
from integrations.warehouse.metrics import MetricCatalog, MetricsLayer

if TYPE_CHECKING:
    from agents.planner.planner import Planner
    from agents.planner.rules import RulesPlanner
    from workflows.ask import Answer, Specialists


def team_factory(services: Services, knowledge_base: KnowledgeBase | None) -> TeamFactory:
    """A function giving the specialists over a run's model (so each run meters its own cost).

    Without a knowledge base (the weekly digest needs none) support reports ticket volume only.
    """

    def build(model: LanguageModel) -> Mapping[Specialist, SpecialistAgent]:
        prompts = services.prompts
        last_week = LastWeekKpis()  # the digest's marketing and finance figures, computed once
        return {
            "marketing": MarketingAgent(
                warehouse=services.warehouse,
                model=model,
                prompts=prompts["marketing"],
                last_week=last_week,
            ),
            "finance": FinanceAgent(
                warehouse=services.warehouse,
                model=model,
                prompts=prompts["finance"],
                last_week=last_week,
            ),
            "insights": InsightsAgent(
                warehouse=services.warehouse,
                model=model,
                prompts=prompts["insights"],
                policy=services.policies.rfm,
            ),
            "support": SupportAgent(
                knowledge_base=knowledge_base,
                warehouse=services.warehouse,
                model=model,
                prompts=prompts["support"],
                policy=services.policies.support,
                questions=services.state,
            ),
        }

    return build


def ask(
    services: Services,
    question: str,
    *,
    started_by: str,
    trigger: Trigger,
    thread: SlackThread | None = None,
) -> Answer:
    """Answer a free-text question (the CLI's `ask`, Slack's `/controlroom ask` and replies in
    an answer's thread): planned, then answered from the metrics layer and the specialists'
    tools, over the knowledge base ingested on first use. In ``thread``, a follow-up continues
    the thread's last answer."""
    # Imported here: the weekly digest builds the team too, and needs none of ask's machinery.
    from workflows.ask import WORKFLOW as ASK
    from workflows.ask import AskContext, AskTools, answer_request, plan_answerer, stored_plans

    kb = ready_knowledge_base(services)
    previous_run = services.state.latest_run_in_thread(thread, ASK) if thread is not None else None
    previous = stored_plans(services.state, previous_run) if previous_run else None
    zone = ZoneInfo(services.policies.schedule.timezone)
    tools = AskTools(
        warehouse=services.warehouse,
        state=services.state,
        layer=MetricsLayer(MetricCatalog.load()),
        winback=services.policies.winback,
        rfm=services.policies.rfm,
        prompts=services.prompts,
        specialists=lambda model: _specialists(services, kb, model),
    )
    return answer_request(
        question,
        state=services.state,
        model=services.llm,
        planner=planner(services, kb),
        answer_plan=plan_answerer(tools),
        context=AskContext(
            today=datetime.now(zone).date(), previous=previous, previous_run=previous_run
        ),
        started_by=started_by,
        trigger=trigger,
    )


def planner(services: Services, knowledge_base: KnowledgeBase | None = None) -> Planner:
    """The planner over the metrics layer's catalog and the RFM policy's segments; with the
    knowledge base, a request the rules cannot place that reads like a help-centre question
    is a customer's question."""
    # Here, not at the top: the weekly digest builds the team too, and plans nothing.
    from agents.planner.planner import Planner

    segments = tuple(services.policies.rfm.segment_names)
    help_centre = None
    if knowledge_base is not None:
        kb = knowledge_base

        def help_centre(request: str) -> float:
            found = kb.search(request, 1)
            return found[0].similarity if found else 0.0

    return Planner(
        _rules(segments), MetricCatalog.load(), services.prompts["supervisor"], help_centre
    )


@cache
def _rules(segments: tuple[str, ...]) -> RulesPlanner:
    from agents.planner.rules import RulesPlanner

    # Built once per process: its vocabulary and patterns are compiled from the catalog.
    return RulesPlanner(MetricCatalog.load(), segments)


def _specialists(services: Services, kb: KnowledgeBase, model: LanguageModel) -> Specialists:
    from workflows.ask import Specialists

    team = team_factory(services, kb)(model)
    marketing, insights, support = team["marketing"], team["insights"], team["support"]
    assert isinstance(marketing, MarketingAgent) and isinstance(insights, InsightsAgent)
    assert isinstance(support, SupportAgent)
    return Specialists(marketing=marketing, insights=insights, support=support)
