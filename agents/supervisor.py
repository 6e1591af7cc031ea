"""The supervisor: route a free-text request to specialists, run them in parallel, answer once.

``build_supervisor(specialists, *, model, prompts)`` returns an uncompiled LangGraph
``StateGraph``; the composition root compiles it (with a checkpointer where runs must last).
Routing asks the language model for a structured choice when one is configured and falls back to
the deterministic router (``agents.router``) when none is, or when the model fails. A request
that no specialist fits gets help, not a guess. A specialist that fails yields a report marked
unavailable; the others still answer.
"""

from __future__ import annotations

import logging
import operator
from collections.abc import Mapping
from typing import Annotated, Literal, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import Send
from pydantic import BaseModel, ConfigDict, Field

from agents.router import SPECIALISTS, Router, Specialist
from agents.specialist import Report, SpecialistAgent
from integrations.llm import LanguageModel, LanguageModelError
from integrations.warehouse import WarehouseNotSeededError
from prompts import AgentPrompts

logger = logging.getLogger(__name__)

RoutedBy = Literal["model", "rules"]


class SupervisorState(TypedDict, total=False):
    request: str
    agents: list[Specialist]
    routed_by: RoutedBy
    reports: Annotated[list[Report], operator.add]
    answer: str


class _SpecialistTask(TypedDict):
    request: str


class RoutingChoice(BaseModel):
    """The model's routing answer (structured output)."""

    model_config = ConfigDict(extra="forbid")

    agents: list[Literal["marketing", "finance", "insights", "support"]] = Field(
        description="Every specialist the request needs; empty when none fits."
    )


def build_supervisor(
    specialists: Mapping[Specialist, SpecialistAgent],
    *,
    model: LanguageModel,
    prompts: AgentPrompts,
    router: Router | None = None,
) -> StateGraph[SupervisorState]:
    """The supervisor graph over ``specialists`` (uncompiled); ``router`` routes when the model
    cannot (default: cues only)."""
    graph: StateGraph[SupervisorState] = StateGraph(SupervisorState)
    fallback = router or Router()

    def route(state: SupervisorState) -> SupervisorState:
        request = state["request"]
        if not request.strip():
            return {"agents": [], "routed_by": "rules"}
        try:
            prompt = prompts.tasks["route"].render(request=request)
            choice = model.structured("supervisor", prompts.system, prompt, RoutingChoice)
        except LanguageModelError as error:
            logger.info("routing by rules: %s", error)
            return {"agents": list(fallback.route(request).agents), "routed_by": "rules"}
        chosen = [agent for agent in SPECIALISTS if agent in choice.agents]
        return {"agents": chosen, "routed_by": "model"}

    def fan_out(state: SupervisorState) -> list[Send] | str:
        available = [agent for agent in state["agents"] if agent in specialists]
        if not available:
            return "assemble"
        return [Send(agent, _SpecialistTask(request=state["request"])) for agent in available]

    def assemble(state: SupervisorState) -> SupervisorState:
        reports = _in_order(state.get("reports", []))
        if not reports:
            return {"answer": help_text(specialists)}
        return {"answer": "\n\n".join(f"*{report.title}*\n{report.text}" for report in reports)}

    graph.add_node("route", route)
    for name, specialist in specialists.items():
        graph.add_node(name, _RunSpecialist(specialist), input_schema=_SpecialistTask)
        graph.add_edge(name, "assemble")
    graph.add_node("assemble", assemble)
    graph.add_edge(START, "route")
    graph.add_conditional_edges("route", fan_out, [*specialists, "assemble"])
    graph.add_edge("assemble", END)
    return graph


class _RunSpecialist:
    """The graph node of one specialist."""

    def __init__(self, specialist: SpecialistAgent) -> None:
        self._specialist = specialist

    def __call__(self, state: _SpecialistTask) -> SupervisorState:
        specialist = self._specialist
        try:
            report = specialist.answer(state["request"])
        except WarehouseNotSeededError:
            raise  # nothing can answer: the person must seed or import data first
        except Exception as error:
            # One specialist failing must not sink the others' answers; the error is logged
            # with its traceback for the run log, and the reader sees the section unavailable.
            logger.exception("specialist %s failed", specialist.name)
            report = Report(
                agent=specialist.name,
                title=specialist.name.capitalize(),
                text=f"The {specialist.name} specialist is unavailable right now.",
                status="unavailable",
                reason=f"{type(error).__name__}: {error}",
            )
        return {"reports": [report]}


def _in_order(reports: list[Report]) -> list[Report]:
    return sorted(reports, key=lambda report: SPECIALISTS.index(report.agent))


def help_text(specialists: Mapping[Specialist, SpecialistAgent]) -> str:
    """What the control room can do, for a request it could not place."""
    lines = ["I couldn't tell which specialist should answer that. I can help with:"]
    lines += [f"• *{name.capitalize()}*: {agent.job}" for name, agent in specialists.items()]
    lines.append('Try "how did email do last week?", "who is about to churn?" or "weekly KPIs".')
    return "\n".join(lines)
