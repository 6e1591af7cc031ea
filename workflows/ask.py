"""Answer one free-text request through the supervisor, as a recorded and metered run."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from agents.router import Router, Specialist
from agents.specialist import Report, SpecialistAgent
from agents.supervisor import RoutedBy, build_supervisor
from integrations.llm import Cost, LanguageModel
from integrations.statestore import StateStore, Trigger
from prompts import AgentPrompts
from workflows.runtime import RecordedRun, recorded_run

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

    The run is recorded in the run history (status, who, how, tokens and cost): "partial" when
    a specialist it needed was unavailable, "failed" when all were (the reason names them); a
    failure of the run itself marks it failed and propagates. Model replies that were refused
    (the offline writer or the rules answered instead) are in its audit log; the answer is
    complete, so they alone do not make it partial.
    """
    with recorded_run(state, "ask", model=model, started_by=started_by, trigger=trigger) as run:
        graph = build_supervisor(
            team(run.model), model=run.model, prompts=prompts, router=router
        ).compile()
        final = graph.invoke({"request": request})
        _judge(run, final.get("reports", []))
    return Answer(
        run_id=run.run_id,
        request=request,
        text=final["answer"],
        agents=tuple(final["agents"]),
        routed_by=final["routed_by"],
        reports=tuple(final.get("reports", ())),
        cost=run.cost,
    )


def _judge(run: RecordedRun, reports: Sequence[Report]) -> None:
    """Partial when some specialists the request needed were unavailable, failed when all were."""
    missing = [report for report in reports if report.status == "unavailable"]
    if not missing:
        return
    named = "; ".join(f"{report.agent} ({report.reason or 'unavailable'})" for report in missing)
    if len(missing) == len(reports):
        run.fail(f"no specialist could answer: {named}")
    else:
        run.degrade(f"{len(missing)} of {len(reports)} specialists unavailable: {named}")
