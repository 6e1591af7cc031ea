"""The rules planner on customers' questions relayed or pasted, and on errands and advice
beside figures: what the team writes when it is not asking for a number.

"Today" is Wednesday 11 March 2026.
"""

from __future__ import annotations

from datetime import date

import pytest

from agents.planner.plans import AnalysisPlan, DeclinePlan, MetricsPlan, Plan, SupportPlan
from agents.planner.rules import RulesPlanner
from integrations.warehouse.metrics import DateRange

TODAY = date(2026, 3, 11)


def kinds(planner: RulesPlanner, request: str) -> list[str]:
    return sorted(plan.kind for plan in planner.plan(request, TODAY).plans)


def one(planner: RulesPlanner, request: str) -> Plan:
    (plan,) = planner.plan(request, TODAY).plans
    return plan


@pytest.mark.parametrize(
    "request_",
    [
        '"I ordered boots on Feb 3 (order #4821) and nothing came. Where is it??" what do I say',
        "« Ma carte cadeau a expiré hier, vous pouvez la prolonger ? » — je réponds quoi ?",
        "do you guys ship to hawaii??",
        "my refund from january still isn't on my card, it's been 3 weeks",
        "how long does it take for a refund to show on a debit card? she sent it back 3/2",
        "customer forgot her password and the reset link never came, what should she try",
        "do the approach shoes run small? customer's between a 10 and a 10.5",
        "got a ticket asking if exchanges ship free",
        "does the lifetime warranty cover a hip belt the dog chewed",
        "Liefert ihr auch in die Schweiz?",
        "¿hacen envíos a Baleares?",
        "un señor dice que su código de descuento no funciona, qué le digo?",
    ],
)
def test_a_customers_question_is_support(planner: RulesPlanner, request_: str) -> None:
    assert isinstance(one(planner, request_), SupportPlan)


@pytest.mark.parametrize(
    "request_",
    [
        "can Jo deduct her home office on her taxes?",
        "¿cómo declaro los gastos de teletrabajo en la renta?",
        "me haces una macro de Excel para las facturas?",
        "¿cuánto facturó Inditex el último trimestre?",
        "c'est quoi la capitale du Canada ?",
        "Wie sind die Strassenverhältnisse am Brenner heute?",
        "put a hold on Sam's calendar friday to review the forecast",
    ],
)
def test_advice_chores_and_other_companies_are_declined(
    planner: RulesPlanner, request_: str
) -> None:
    assert isinstance(one(planner, request_), DeclinePlan)


def test_an_errand_beside_figures_is_declined_beside_them(planner: RulesPlanner) -> None:
    found = kinds(planner, "marketing numbers for february by channel, and move his 3pm to friday")
    assert found == ["decline", "metrics"]
    found = kinds(planner, "last week's headline numbers, and can you order 40 bagels for friday")
    assert found == ["decline", "metrics"]


def test_a_customer_in_the_singular_is_a_person_not_the_customers_figure(
    planner: RulesPlanner,
) -> None:
    plan = one(planner, "how many customers ordered last week")
    assert isinstance(plan, MetricsPlan) and plan.metrics == ("customers",)


def test_beating_last_years_event_forecasts_this_years_event(planner: RulesPlanner) -> None:
    plan = one(planner, "will we top last year's black friday weekend? what's the projection")
    assert isinstance(plan, AnalysisPlan) and plan.analysis == "forecast"
    # 2025's weekend was 28–30 November, 2026's is 27–29 November
    assert plan.compare_to == DateRange(start=date(2025, 11, 28), end=date(2025, 11, 30))
    assert plan.period == DateRange(start=date(2026, 11, 27), end=date(2026, 11, 29))
