"""Answer one free-text request: plan it, answer every plan in parallel, record how.

The LangGraph supervisor: ``plan`` (model or rules, or a follow-up of the thread's last plans)
→ one ``answer`` branch per plan (``Send``) → ``assemble``. A branch that fails yields its part
marked unavailable; the others still answer. The run is recorded with its plans, who planned
them, who wrote each part and every text the slot check refused (audit ``planned`` and
``answered``), so ``controlroom runs show`` explains the answer. A support question it answers
directly goes into the knowledge-gap log as the escalation workflow's do.
"""

from __future__ import annotations

import logging
import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import Send

from agents.planner.planner import PlannedRequest, Planner
from agents.planner.plans import Plan, Plans
from agents.support.gaps import nearest_passage
from integrations.llm import LanguageModel
from integrations.statestore import StateStore, Trigger
from integrations.warehouse import WarehouseNotSeededError
from workflows.ask.answers import Answer, PlanAnswer
from workflows.runtime import RecordedRun, recorded_run

logger = logging.getLogger(__name__)

WORKFLOW = "ask"
PLANNED, ANSWERED = "planned", "answered"

# Answers one plan over a run's (metered) model.
AnswerPlan = Callable[[Plan, str, LanguageModel], PlanAnswer]


@dataclass(frozen=True, slots=True)
class AskContext:
    """Where a request was asked: the team's date, and the plans of the thread it follows up
    (the run that answered them)."""

    today: date
    previous: Plans | None = None
    previous_run: str | None = None


class _State(TypedDict, total=False):
    request: str
    planned: PlannedRequest
    parts: Annotated[list[tuple[int, PlanAnswer]], operator.add]


class _Branch(TypedDict):
    request: str
    index: int
    plan: Plan


def answer_request(
    request: str,
    *,
    state: StateStore,
    model: LanguageModel,
    planner: Planner,
    answer_plan: Callable[[LanguageModel], AnswerPlan],
    context: AskContext,
    started_by: str,
    trigger: Trigger,
) -> Answer:
    """Plan ``request`` and answer each plan; "partial" when some part was unavailable,
    "failed" when every part was (the reason names them)."""
    with recorded_run(state, WORKFLOW, model=model, started_by=started_by, trigger=trigger) as run:
        graph = _graph(planner, answer_plan(run.model), run.model, context).compile()
        final = graph.invoke({"request": request})
        planned: PlannedRequest = final["planned"]
        parts = tuple(part for _, part in sorted(final.get("parts", []), key=lambda p: p[0]))
        _record(state, run, planned, parts, context)
        _log_support_answers(state, run, parts)
        _judge(run, parts)
    return Answer(
        run_id=run.run_id,
        request=request,
        planned_by=planned.planned_by,
        parts=parts,
        cost=run.cost,
        follow_up_of=context.previous_run,
    )


def _graph(
    planner: Planner, answer_plan: AnswerPlan, model: LanguageModel, context: AskContext
) -> StateGraph[_State]:
    graph: StateGraph[_State] = StateGraph(_State)

    # LangGraph calls each node with its input as ``state``.
    def plan(state: _State) -> _State:
        planned = planner.plan(
            state["request"], context.today, model=model, previous=context.previous
        )
        return {"planned": planned}

    def fan_out(state: _State) -> list[Send]:
        return [
            Send("answer", _Branch(request=state["request"], index=i, plan=p))
            for i, p in enumerate(state["planned"].plans.plans)
        ]

    def answer(state: _Branch) -> _State:
        branch = state
        try:
            part = answer_plan(branch["plan"], branch["request"], model)
        except WarehouseNotSeededError:
            raise  # nothing can answer: the person must seed or import data first
        except Exception as error:
            # One part failing must not sink the others; the traceback goes to the run log.
            logger.exception("answering a %s plan failed", branch["plan"].kind)
            part = PlanAnswer(
                plan=branch["plan"],
                heading=branch["plan"].kind.replace("_", " ").capitalize(),
                text="This part could not be answered right now.",
                status="unavailable",
                reason=f"{type(error).__name__}: {error}",
            )
        return {"parts": [(branch["index"], part)]}

    graph.add_node("plan", plan)
    graph.add_node("answer", answer, input_schema=_Branch)
    graph.add_edge(START, "plan")
    graph.add_conditional_edges("plan", fan_out, ["answer"])
    graph.add_edge("answer", END)
    return graph


def _record(
    state: StateStore,
    run: RecordedRun,
    planned: PlannedRequest,
    parts: tuple[PlanAnswer, ...],
    context: AskContext,
) -> None:
    state.record_audit(
        PLANNED,
        actor="controlroom",
        run_id=run.run_id,
        plans=planned.plans.model_dump(mode="json")["plans"],
        planned_by=planned.planned_by,
        model_refused=planned.model_refused,
        follow_up_of=context.previous_run,
    )
    state.record_audit(
        ANSWERED,
        actor="controlroom",
        run_id=run.run_id,
        parts=[
            {
                "kind": part.plan.kind,
                "heading": part.heading,
                "written_by": part.written_by,
                "status": part.status,
                "reason": part.reason,
                "refused": [
                    {"text": r.text, "problems": [p.message for p in r.problems]}
                    for r in part.refused
                ],
            }
            for part in parts
        ],
    )


def _log_support_answers(
    state: StateStore, run: RecordedRun, parts: tuple[PlanAnswer, ...]
) -> None:
    """The support question answered directly, for the weekly knowledge-gap report (an answer
    the Support agent wants a person to check is logged by the escalation workflow that takes
    it: ``workflows.support_escalation``). One per run, as the log keeps."""
    given = next((p.support for p in parts if p.support is not None), None)
    if given is None or given.escalate:
        return
    state.record_support_question(
        run.run_id,
        question=given.question,
        confidence=given.confidence,
        escalated=False,
        reasons=given.reasons,
        nearest=nearest_passage(given),
        language=given.language,
    )


def _judge(run: RecordedRun, parts: tuple[PlanAnswer, ...]) -> None:
    """Partial when some parts were unavailable, failed when all were."""
    missing = [part for part in parts if part.status == "unavailable"]
    if not missing:
        return
    named = "; ".join(f"{part.plan.kind} ({part.reason or 'unavailable'})" for part in missing)
    if len(missing) == len(parts):
        run.fail(f"no part could be answered: {named}")
    else:
        run.degrade(f"{len(missing)} of {len(parts)} parts unavailable: {named}")


def stored_plans(state: StateStore, run_id: str) -> Plans | None:
    """The plans an ``ask`` run answered (its ``planned`` audit entry), for a follow-up."""
    for entry in state.audit_entries(run_id=run_id):
        if entry.action == PLANNED:
            return Plans.model_validate({"plans": entry.detail.get("plans") or []})
    return None
