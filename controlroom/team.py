"""The four specialists, built over the services and one run's (metered) language model."""

from __future__ import annotations

from collections.abc import Mapping

from agents.finance.agent import FinanceAgent
from agents.insights.agent import InsightsAgent
from agents.marketing.agent import MarketingAgent
from agents.router import Router, Specialist, load_examples
from agents.specialist import SpecialistAgent
from agents.support import KnowledgeBase
from agents.support.agent import SupportAgent
from controlroom.services import Services, ready_knowledge_base
from integrations.llm import LanguageModel
from integrations.statestore import Trigger
from workflows.ask import Answer, TeamFactory, answer_request


def team_factory(services: Services, knowledge_base: KnowledgeBase | None) -> TeamFactory:
    """A function giving the specialists over a run's model (so each run meters its own cost).

    Without a knowledge base (the weekly digest needs none) support reports ticket volume only.
    """

    def build(model: LanguageModel) -> Mapping[Specialist, SpecialistAgent]:
        prompts = services.prompts
        return {
            "marketing": MarketingAgent(
                warehouse=services.warehouse, model=model, prompts=prompts["marketing"]
            ),
            "finance": FinanceAgent(
                warehouse=services.warehouse, model=model, prompts=prompts["finance"]
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
            ),
        }

    return build


def build_router(knowledge_base: KnowledgeBase) -> Router:
    """The rules router with its labelled examples, embedded by the knowledge base's model."""
    return Router(load_examples(), knowledge_base.store.embed)


def ask(services: Services, question: str, *, started_by: str, trigger: Trigger) -> Answer:
    """Answer a free-text question through the supervisor (the CLI's `ask`, Slack's `/controlroom
    ask` and free text), over the knowledge base ingested on first use."""
    kb = ready_knowledge_base(services)
    return answer_request(
        question,
        state=services.state,
        model=services.llm,
        team=team_factory(services, kb),
        prompts=services.prompts["supervisor"],
        router=build_router(kb),
        started_by=started_by,
        trigger=trigger,
    )
