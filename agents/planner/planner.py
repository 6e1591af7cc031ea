"""A request becomes plans: from the language model through the plan's JSON schema (strict
structured output) when one is configured, checked against the metrics layer; from the rules
planner when none is, when the model fails, or when its plan names what the layer lacks.

In a thread, a follow-up ("and the week before?", "by channel?", "just paid social") changes
the thread's last metrics plan rather than starting afresh (``agents.planner.follow_up``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from agents.planner.follow_up import follow_up
from agents.planner.periods import impossible_date
from agents.planner.plans import (
    ClarifyPlan,
    DeclinePlan,
    MetricsPlan,
    PlannedBy,
    Plans,
    SupportPlan,
)
from agents.planner.rules import RulesPlanner
from integrations.llm import LanguageModel, LanguageModelError
from integrations.warehouse.metrics import MetricCatalog
from prompts import AgentPrompts

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PlannedRequest:
    """The plans of a request, who made them, and why the model's were not used (if so)."""

    plans: Plans
    planned_by: PlannedBy
    model_refused: str | None = None


# How similar (cosine, the knowledge base's embeddings) a request must be to a help-centre
# passage for the rules' "clarify" or "decline" (they read "password" as IT) to become a
# customer's question: questions the help centre answers score 0.9+, the team's own requests,
# chit-chat and errands 0.2-0.6.
HELP_QUESTION_SIMILARITY = 0.85

# The best similarity of a request to a help-centre passage.
HelpCentreMatch = Callable[[str], float]


class Planner:
    """The model's plans when it gives valid ones, the rules' otherwise; a request the rules
    cannot place that reads like a help-centre question is a customer's question."""

    def __init__(
        self,
        rules: RulesPlanner,
        catalog: MetricCatalog,
        prompts: AgentPrompts,
        help_centre: HelpCentreMatch | None = None,
    ) -> None:
        self.rules = rules
        self._catalog = catalog
        self._prompts = prompts
        self._help_centre = help_centre

    def plan(
        self,
        request: str,
        today: date,
        *,
        model: LanguageModel,
        previous: Plans | None = None,
    ) -> PlannedRequest:
        """Plans for ``request`` on ``today`` (the team's date); ``previous``: the thread's last.
        A date that is no day ("2026-02-30") is asked back, not guessed at."""
        if (written := impossible_date(request)) is not None:
            asked = f"{written} is not a date on the calendar: which day do you mean?"
            return PlannedRequest(Plans(plans=(ClarifyPlan(question=asked),)), "rules")
        if previous is not None:
            changed = follow_up(request, previous, today, self.rules)
            if changed is not None:
                return PlannedRequest(changed, "rules")
        try:
            prompt = self._prompts.tasks["plan"].render(
                request=request,
                today=f"{today:%A %Y-%m-%d}",
                metrics=", ".join(m.name for m in self._catalog.metrics),
            )
            planned = model.structured("supervisor", self._prompts.system, prompt, Plans)
        except LanguageModelError as error:
            logger.info("planning by rules: %s", error)
            return PlannedRequest(self._by_rules(request, today), "rules")
        problem = self._unknown(planned)
        if problem:
            return PlannedRequest(self._by_rules(request, today), "rules", model_refused=problem)
        return PlannedRequest(planned, "model")

    def _by_rules(self, request: str, today: date) -> Plans:
        plans = self.rules.plan(request, today)
        unplaced = len(plans.plans) == 1 and isinstance(plans.plans[0], ClarifyPlan | DeclinePlan)
        help_centre = self._help_centre
        if unplaced and help_centre and help_centre(request) >= HELP_QUESTION_SIMILARITY:
            return Plans(plans=(SupportPlan(question=request),))
        return plans

    def _unknown(self, plans: Plans) -> str | None:
        """What in the model's plans the metrics layer does not have (None: nothing)."""
        known = {m.name for m in self._catalog.metrics if m.computed_by != "analysis"}
        for plan in plans.plans:
            if isinstance(plan, MetricsPlan):
                unknown = sorted(set(plan.metrics) - known)
                if unknown:
                    return f"unknown metrics: {', '.join(unknown)}"
        return None
