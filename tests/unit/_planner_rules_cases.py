"""What the rules planner tests share: their "today", the periods it implies, and plans read
from a request.

"Today" is Wednesday 11 March 2026: last week is 2–8 March, last month February, and a
question with no period is about 2–8 March.
"""

from __future__ import annotations

from datetime import date

from agents.planner.plans import MetricsPlan, Plan
from agents.planner.rules import RulesPlanner
from integrations.warehouse.metrics import DateRange

TODAY = date(2026, 3, 11)
LAST_WEEK = DateRange(start=date(2026, 3, 2), end=date(2026, 3, 8))
FEBRUARY = DateRange(start=date(2026, 2, 1), end=date(2026, 2, 28))
YESTERDAY = DateRange(start=date(2026, 3, 10), end=date(2026, 3, 10))


def plans(planner: RulesPlanner, request: str) -> tuple[Plan, ...]:
    return planner.plan(request, TODAY).plans


def metrics_plan(planner: RulesPlanner, request: str) -> MetricsPlan:
    (plan,) = plans(planner, request)
    assert isinstance(plan, MetricsPlan), plan
    return plan
