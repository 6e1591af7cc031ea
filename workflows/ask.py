"""Answer one free-text request through the supervisor, as a recorded and metered run."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from agents.router import Router, Specialist
from agents.specialist import Report, SpecialistAgent
from agents.supervisor import RoutedBy, build_supervisor
from integrations.llm import Cost, LanguageModel
from integrations.statestore import StateStore, Trigger
from prompts import AgentPrompts
from workflows.runtime import recorded_run

logger = logging.getLogger(__name__)

# Builds the specialists over a (metered) model: one team per run, so each run has its own cost.
TeamFactory = Callable[[LanguageModel], Mapping[Specialist, SpecialistAgent]]


@dataclass(frozen=True, slots=True)
class Answer:
    """The supervisor's answer to a request, with how it was routed and what it cost."""

    run_id: str
    request: str
    text: str
    agents: tuple[Specialist, ...]
    routed_by: RoutedBy
    reports: tuple[Report, ...]
    cost: Cost


def answer_request(
    request: str,
    *,
    state: StateStore,
    model: LanguageModel,
    team: TeamFactory,
    prompts: AgentPrompts,
    router: Router | None = None,
    started_by: str,
    trigger: Trigger,
) -> Answer:
    """Route ``request`` to the specialists it needs and answer as one message.

    The run is recorded in the run history (status, who, how, tokens and cost); a failure
    marks the run failed and propagates.
    """
    with recorded_run(state, "ask", model=model, started_by=started_by, trigger=trigger) as run:
        graph = build_supervisor(
            team(run.model), model=run.model, prompts=prompts, router=router
        ).compile()
        final = graph.invoke({"request": request})
    return Answer(
        run_id=run.run_id,
        request=request,
        text=final["answer"],
        agents=tuple(final["agents"]),
        routed_by=final["routed_by"],
        reports=tuple(final.get("reports", ())),
        cost=run.cost,
    )
