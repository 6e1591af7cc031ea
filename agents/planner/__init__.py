"""Planning: a request in the team's words becomes typed plans (``plans``).

- ``plans``: the plan models (metrics query, analysis, win-back what-if, copy, support,
  clarify, decline), shared by the model planner and the rules planner.
- ``periods``: period phrases ("last week", "Q3", "seit dem 1. September") → days, from the
  words of ``_period_words``, the resolvers of ``_period_rules`` and the team calendar of
  ``_calendar``.
- ``rules``: the deterministic planner, ``RulesPlanner(catalog, segments).plan(request, today)``,
  over the metrics layer's words and ``lexicon.yaml``; typos are mended (``words``) but never
  a real word of the four languages (``common_words``).
"""

from agents.planner.lexicon import LexiconError
from agents.planner.metric_rules import Stated
from agents.planner.plans import (
    AnalysisPlan,
    ClarifyPlan,
    CopyPlan,
    DeclinePlan,
    MetricsPlan,
    Plan,
    Plans,
    SupportPlan,
    WinbackWhatIfPlan,
)
from agents.planner.rules import RulesPlanner

__all__ = [
    "AnalysisPlan",
    "ClarifyPlan",
    "CopyPlan",
    "DeclinePlan",
    "LexiconError",
    "MetricsPlan",
    "Plan",
    "Plans",
    "RulesPlanner",
    "Stated",
    "SupportPlan",
    "WinbackWhatIfPlan",
]
