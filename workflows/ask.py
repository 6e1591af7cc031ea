"""Answer one free-text request through the supervisor, as a recorded and metered run."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from agents.router import Router, Specialist
from agents.specialist import Report, SpecialistAgent
from agents.supervisor import RoutedBy, build_supervisor
from integrations.llm import Cost, CostMeter, LanguageModel
from integrations.statestore import StateStore, Trigger
from prompts import AgentPrompts

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
    run = state.start_run("ask", started_by=started_by, trigger=trigger)
    metered = model.metered(CostMeter())
    graph = build_supervisor(team(metered), model=metered, prompts=prompts, router=router).compile()
    try:
        final = graph.invoke({"request": request})
    except Exception as error:
        cost = metered.meter.total()
        state.finish_run(
            run.run_id,
            "failed",
            error=f"{type(error).__name__}: {error}",
            input_tokens=cost.input_tokens,
            output_tokens=cost.output_tokens,
            cost_usd=cost.usd,
        )
        raise
    cost = metered.meter.total()
    state.finish_run(
        run.run_id,
        "succeeded",
        input_tokens=cost.input_tokens,
        output_tokens=cost.output_tokens,
        cost_usd=cost.usd,
    )
    return Answer(
        run_id=run.run_id,
        request=request,
        text=final["answer"],
        agents=tuple(final["agents"]),
        routed_by=final["routed_by"],
        reports=tuple(final.get("reports", ())),
        cost=cost,
    )
