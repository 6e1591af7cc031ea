"""`controlroom ask` end to end: a request planned and answered over the real tools, recorded
as a run, and printed by the CLI with the plan each part ran."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agents.insights.agent import InsightsAgent
from agents.planner.plans import AnalysisPlan, SupportPlan
from controlroom.cli import app
from controlroom.services import Services
from integrations.statestore import SlackThread
from integrations.warehouse import Warehouse
from integrations.warehouse.metrics import DateRange
from tests.integration._ask import (
    ASKER,
    LAST_WEEK,
    ask,
    dollars,
    on_team_day,
    revenue,
    scalar,
    whole,
)

runner = CliRunner()
WIDE = {"COLUMNS": "200"}


@pytest.fixture(autouse=True)
def team_day() -> Iterator[None]:
    with on_team_day():
        yield


@pytest.fixture
def control_room(sample_warehouse: Warehouse, ingested_kb: Path, services: Services) -> Services:
    """Services over the sample company and the ingested help centre, in this test's var/."""
    return services


def test_a_churn_question_is_answered_with_the_models_figures_and_recorded_as_a_run(
    control_room: Services,
) -> None:
    answer = ask(control_room, "who is at risk of churning?")

    (part,) = answer.parts
    assert part.plan == AnalysisPlan(analysis="churn")
    assert answer.planned_by == "rules"
    assert part.heading == "Churn risk"
    assert "likely to still be buying (MBG/NBD model)" in part.text
    # The same figures as the Insights specialist states them on its own.
    insights = InsightsAgent(
        warehouse=control_room.warehouse,
        model=control_room.llm,
        prompts=control_room.prompts["insights"],
        policy=control_room.policies.rfm,
    )
    churn = insights.report(["churn"]).facts["churn"]
    assert f"{churn['at_risk_customers']:,} of the {churn['recent_customers']:,}" in part.text
    run = control_room.state.get_run(answer.run_id)
    assert (run.workflow, run.status, run.started_by, run.trigger) == (
        "ask",
        "succeeded",
        ASKER,
        "command",
    )
    assert run.cost_usd == 0.0


def test_segments_asked_for_a_past_month_are_the_customers_as_of_its_last_day(
    control_room: Services, sample_warehouse: Warehouse
) -> None:
    answer = ask(control_room, "how many customers were in each segment in september?")

    (part,) = answer.parts
    assert part.plan == AnalysisPlan(
        analysis="segments", period=DateRange(start=date(2026, 9, 1), end=date(2026, 9, 30))
    )
    assert part.heading == "Customer segments (RFM) · as of 30 Sep 2026"
    count = "SELECT count(DISTINCT customer_id) FROM orders WHERE order_date <= ?"
    then = scalar(sample_warehouse, count, date(2026, 9, 30))
    assert then < scalar(sample_warehouse, count, date(2026, 11, 22))  # today's would differ
    assert part.text.startswith(f"{whole(then)} customers: ")
    assert "Since 23 Sep 2026:" in part.text  # who moved in the week to 30 Sep


def test_a_period_asked_in_the_thread_of_a_churn_answer_is_churn_as_of_its_end(
    control_room: Services,
) -> None:
    thread = SlackThread("C0GTM", "1764000000.000002")
    first = ask(control_room, "who is at risk of churning?")
    control_room.state.record_run_thread(first.run_id, thread)

    answer = ask(control_room, "and in september?", thread=thread)

    (part,) = answer.parts
    assert part.heading == "Churn risk · as of 30 Sep 2026"
    assert part.text != first.parts[0].text


def test_churn_asked_before_the_first_order_or_after_the_last_says_so(
    control_room: Services,
) -> None:
    before, after = ask(control_room, "churn risk in 2019"), ask(control_room, "churn risk today")

    assert before.parts[0].text == (
        "There were no orders yet in the week to 31 Dec 2019: no customers to look at then."
    )
    assert after.parts[0].heading == "Churn risk · as of 22 Nov 2026"
    assert after.parts[0].text.startswith(
        "_The data runs to 22 Nov 2026: these are the customers as of then._"
    )


def test_a_date_that_is_no_day_is_asked_back_not_guessed(control_room: Services) -> None:
    answer = ask(control_room, "revenue on 2026-02-30 pls")

    (part,) = answer.parts
    assert part.plan.kind == "clarify"
    assert part.text == "2026-02-30 is not a date on the calendar: which day do you mean?"


def test_a_customer_question_is_answered_from_the_help_centre_with_its_source(
    control_room: Services,
) -> None:
    answer = ask(control_room, "do gift cards expire?")

    (part,) = answer.parts
    assert isinstance(part.plan, SupportPlan)
    assert part.heading == "Support"
    assert any("/help/payments/gift-cards#" in source for source in part.sources)
    assert "Confidence" in part.text


def test_a_support_question_answered_directly_goes_into_the_knowledge_gap_log(
    control_room: Services,
) -> None:
    now = datetime.now(UTC)
    direct = ask(control_room, "how long do refunds take?")
    escalated = ask(control_room, "where is my order TP-4829173 right now?")

    logged = control_room.state.support_questions(
        since=now - timedelta(minutes=1), until=now + timedelta(minutes=5)
    )

    (part,) = direct.parts
    assert part.support is not None and not part.support.escalate
    assert [(r.run_id, r.question, r.escalated) for r in logged] == [
        (direct.run_id, "how long do refunds take?", False)
    ]
    assert logged[0].confidence == part.support.confidence
    assert logged[0].nearest is not None and logged[0].nearest.article == "refund-timing"
    # Escalated, it is logged by the escalation workflow that takes it, not twice.
    (other,) = escalated.parts
    assert other.support is not None and other.support.escalate, other.plan


def test_a_two_part_request_gets_both_parts_in_one_answer_in_the_order_asked(
    control_room: Services, sample_warehouse: Warehouse
) -> None:
    answer = ask(control_room, "revenue last week, and who is at risk of churning?")

    assert [part.plan.kind for part in answer.parts] == ["metrics", "analysis"]
    text = answer.text
    assert text.index("*Revenue · 16–22 Nov 2026") < text.index("*Churn risk*")
    assert f"• Revenue: {dollars(revenue(sample_warehouse, *LAST_WEEK))} (" in text


@pytest.mark.parametrize(
    ("request_text", "asked", "compared", "label"),
    [
        (
            "revenue in October vs August",
            (date(2026, 10, 1), date(2026, 10, 31)),
            (date(2026, 8, 1), date(2026, 8, 31)),
            "Aug 2026",
        ),
        (
            "revenue on 20 November vs the same day last week",
            (date(2026, 11, 20), date(2026, 11, 20)),
            (date(2026, 11, 13), date(2026, 11, 13)),
            "13 Nov 2026",
        ),
    ],
)
def test_a_period_named_to_compare_with_is_the_figure_compared_with(
    control_room: Services,
    sample_warehouse: Warehouse,
    request_text: str,
    asked: tuple[date, date],
    compared: tuple[date, date],
    label: str,
) -> None:
    (part,) = ask(control_room, request_text).parts

    assert part.heading.endswith(f"· vs {label}")
    now, before = revenue(sample_warehouse, *asked), revenue(sample_warehouse, *compared)
    assert now != before
    assert f"Revenue: {dollars(now)} (" in part.text
    assert f"vs {label}: {dollars(before)})" in part.text


def test_the_cli_prints_each_plan_with_its_answer_and_who_planned_it(
    control_room: Services, sample_warehouse: Warehouse
) -> None:
    result = runner.invoke(app, ["ask", "revenue last week & what's our return window?"], env=WIDE)

    assert result.exit_code == 0, result.output
    assert "Revenue · 16–22 Nov 2026 · vs " in result.output
    assert f"Revenue: {dollars(revenue(sample_warehouse, *LAST_WEEK))}" in result.output
    assert "Support" in result.output
    assert "Planned by rules" in result.output
    assert "offline writer, no cost" in result.output
    assert "&amp;" not in result.output and "&lt;" not in result.output


def test_the_cli_before_seeding_says_to_seed(ingested_kb: Path) -> None:
    result = runner.invoke(app, ["ask", "revenue last week"], env=WIDE)

    assert result.exit_code == 1
    assert "run `controlroom data seed` first" in result.output
    assert "Traceback" not in result.output
