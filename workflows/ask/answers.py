"""What an ``ask`` run answers: one part per plan, each with the plan it ran, its text (every
figure rendered by code), its charts and how its figures were computed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from agents.planner.plans import AnalysisPlan, MetricsPlan, Plan, PlannedBy
from agents.specialist import Chart
from agents.support import SupportAnswer
from integrations.llm import Cost, RefusedText
from integrations.text import escape_mrkdwn
from integrations.warehouse.metrics import Explanation, MetricQuery, MetricsLayer

AnswerStatus = Literal["ok", "unavailable"]
WrittenBy = Literal["model", "offline", "code"]


@dataclass(frozen=True, slots=True)
class PlanAnswer:
    """The answer to one plan.

    ``heading`` shows the plan as run ("Revenue · 2–8 Nov 2026 · vs the week before");
    ``text`` is Slack mrkdwn, already escaped, whose figures were rendered from computed facts;
    ``explanations`` say how each figure was computed (definitions and SQL) for "How was this
    computed?"; ``refused`` are the writer's texts the slot check refused (for the run log).
    An unavailable part says why in ``reason``; the other parts still answer.
    """

    plan: Plan
    heading: str
    text: str
    written_by: WrittenBy = "code"
    charts: tuple[Chart, ...] = ()
    explanations: tuple[Explanation, ...] = ()
    refused: tuple[RefusedText, ...] = ()
    status: AnswerStatus = "ok"
    reason: str | None = None
    # A support answer's help-centre sources.
    sources: tuple[str, ...] = ()
    # The Support agent's answer itself (its confidence, reasons and passages).
    support: SupportAnswer | None = None

    @property
    def escalation_draft(self) -> Mapping[str, Any] | None:
        """Below the confidence threshold, the support answer's draft a person reviews."""
        return self.support.as_draft() if self.support and self.support.escalate else None


@dataclass(frozen=True, slots=True)
class Answer:
    """An ``ask`` run's answer: the request, its plans (and who planned them), one part per
    plan in the plans' order, and what the run cost."""

    run_id: str
    request: str
    planned_by: PlannedBy
    parts: tuple[PlanAnswer, ...]
    cost: Cost
    follow_up_of: str | None = None

    @property
    def text(self) -> str:
        """The whole answer as mrkdwn, escaped (the notification text beside the blocks): each
        part's heading in bold, then its text."""
        return "\n\n".join(f"*{escape_mrkdwn(part.heading)}*\n{part.text}" for part in self.parts)

    @property
    def charts(self) -> tuple[Chart, ...]:
        return tuple(chart for part in self.parts for chart in part.charts)

    @property
    def explanations(self) -> tuple[Explanation, ...]:
        seen: dict[str, Explanation] = {}
        for part in self.parts:
            for explanation in part.explanations:
                seen.setdefault(explanation.metric, explanation)
        return tuple(seen.values())


def plan_explanations(layer: MetricsLayer, plans: Iterable[Plan]) -> tuple[Explanation, ...]:
    """How the figures of ``plans`` are computed, each metric once: a metrics plan's metrics,
    and the revenue a forecast is set against (the metrics layer's definitions and SQL)."""
    found: dict[str, Explanation] = {}
    for plan in plans:
        if isinstance(plan, MetricsPlan):
            queries = [plan.query()]
        elif isinstance(plan, AnalysisPlan) and plan.analysis == "forecast":
            periods = [p for p in (plan.period, plan.compare_to) if p is not None]
            queries = [MetricQuery(metrics=("revenue",), period=p, compare=None) for p in periods]
        else:
            continue
        for query in queries:
            for explained in layer.explain(query):
                found.setdefault(explained.metric, explained)
    return tuple(found.values())
