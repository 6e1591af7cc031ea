"""``ask`` on the sample company, one test per plan kind: the figures a person reads in the answer
equal SQL written here (not the metrics layer's), for periods other than the last week too, and
every run records its plans, who planned them and who wrote each part.

The team's day is Tuesday 24 Nov 2026 (``tests.integration._ask``): the data ends on Sunday 22
Nov, so "last week" is 16–22 Nov 2026.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from agents.finance.roi import WinbackCandidates, winback_offer_roi
from agents.planner.plans import (
    AnalysisPlan,
    ClarifyPlan,
    DeclinePlan,
    MetricsPlan,
    WinbackWhatIfPlan,
)
from controlroom.services import Services
from integrations.statestore import SlackThread
from integrations.warehouse import Warehouse
from integrations.warehouse.metrics import DateRange, Filter
from sandbox.files import png_size
from tests.integration._ask import (
    CHANNELS,
    LAST_WEEK,
    WEEK_BEFORE,
    ask,
    change,
    dollars,
    on_team_day,
    percent,
    revenue,
    scalar,
    whole,
)
from workflows.ask import Answer
from workflows.winback_audience import select_audience

NEW_CUSTOMERS_SQL = """
    SELECT count(*) FROM (
        SELECT customer_id, min(order_date) AS first_day FROM orders GROUP BY customer_id
    ) WHERE first_day BETWEEN ? AND ?
"""


@pytest.fixture(autouse=True)
def team_day() -> Iterator[None]:
    with on_team_day():
        yield


@pytest.fixture
def control_room(sample_warehouse: Warehouse, ingested_kb: Path, services: Services) -> Services:
    """The services over the sample company and the ingested help centre."""
    return services


def _days(start: date, end: date) -> DateRange:
    return DateRange(start=start, end=end)


def _only(answer: Answer) -> tuple[object, str]:
    """The plan and text of an answer that has one part, answered."""
    (part,) = answer.parts
    assert part.status == "ok", part.reason
    return part.plan, part.text


def _assert_recorded(services: Services, answer: Answer) -> None:
    """The run's audit log: ``planned`` (the plans answered, who planned them) and
    ``answered`` (each part's kind and writer, in order)."""
    entries = {e.action: e.detail for e in services.state.audit_entries(run_id=answer.run_id)}
    planned, answered = entries["planned"], entries["answered"]
    assert planned["plans"] == [part.plan.model_dump(mode="json") for part in answer.parts]
    assert planned["planned_by"] == answer.planned_by
    assert [(p["kind"], p["written_by"]) for p in answered["parts"]] == [
        (part.plan.kind, part.written_by) for part in answer.parts
    ]
    assert services.state.get_run(answer.run_id).status == "succeeded"


def _ask(services: Services, request: str, thread: SlackThread | None = None) -> Answer:
    """``request`` answered, its run's audit record checked."""
    answer = ask(services, request, thread=thread)
    _assert_recorded(services, answer)
    return answer


# Metrics ------------------------------------------------------------------------------------


def test_revenue_for_the_week_of_2_november_is_the_sql_sum_against_the_week_before(
    control_room: Services, sample_warehouse: Warehouse
) -> None:
    answer = _ask(control_room, "What was our revenue in the week of 2 November 2026?")

    plan, text = _only(answer)
    assert plan == MetricsPlan(
        metrics=("revenue",), period=_days(date(2026, 11, 2), date(2026, 11, 8))
    )
    week = revenue(sample_warehouse, date(2026, 11, 2), date(2026, 11, 8))
    before = revenue(sample_warehouse, date(2026, 10, 26), date(2026, 11, 1))
    assert f"• Revenue: {dollars(week)} ({change(week, before)} vs 26 Oct – 1 Nov 2026:" in text
    assert text.endswith(f"{dollars(before)})")
    assert answer.parts[0].heading.startswith("Revenue · 2–8 Nov 2026 · vs ")
    assert answer.planned_by == "rules" and answer.parts[0].written_by == "offline"
    assert [e.metric for e in answer.explanations] == ["revenue"]


def test_a_calendar_month_total_is_the_months_sql_sum_against_the_month_before(
    control_room: Services, sample_warehouse: Warehouse
) -> None:
    answer = _ask(control_room, "Total revenue for October 2026?")

    plan, text = _only(answer)
    assert isinstance(plan, MetricsPlan)
    assert plan.period == _days(date(2026, 10, 1), date(2026, 10, 31))
    october = revenue(sample_warehouse, date(2026, 10, 1), date(2026, 10, 31))
    september = revenue(sample_warehouse, date(2026, 9, 1), date(2026, 9, 30))
    assert (
        f"• Revenue: {dollars(october)} ({change(october, september)} vs Sep 2026: "
        f"{dollars(september)})"
    ) in text


def test_a_custom_range_is_summed_over_exactly_its_days(
    control_room: Services, sample_warehouse: Warehouse
) -> None:
    answer = _ask(control_room, "how much did we sell between 5 October and 18 October 2026?")

    plan, text = _only(answer)
    assert isinstance(plan, MetricsPlan)
    assert plan.period == _days(date(2026, 10, 5), date(2026, 10, 18))
    days = revenue(sample_warehouse, date(2026, 10, 5), date(2026, 10, 18))
    before = revenue(sample_warehouse, date(2026, 9, 21), date(2026, 10, 4))
    assert (
        f"• Revenue: {dollars(days)} ({change(days, before)} vs 21 Sep – 4 Oct 2026: "
        f"{dollars(before)})"
    ) in text
    assert "5–18 Oct 2026" in answer.parts[0].heading


def test_a_breakdown_by_channel_shows_each_channels_sql_revenue_and_change(
    control_room: Services, sample_warehouse: Warehouse
) -> None:
    answer = _ask(control_room, "revenue by channel last week")

    plan, text = _only(answer)
    assert isinstance(plan, MetricsPlan)
    assert (plan.by, plan.period) == ("channel", _days(*LAST_WEEK))
    lines = text.splitlines()
    rows = lines[lines.index("*By channel:*") + 1 :]
    expected = []
    for channel in CHANNELS:
        week = revenue(sample_warehouse, *LAST_WEEK, channel=channel)
        before = revenue(sample_warehouse, *WEEK_BEFORE, channel=channel)
        shown = channel.replace("_", " ")
        expected.append(f"• {shown}: {dollars(week)} ({change(week, before)})")
    assert sorted(rows) == sorted(expected)
    total = revenue(sample_warehouse, *LAST_WEEK)
    assert f"• Revenue: {dollars(total)} (" in text


def test_two_channels_set_against_each_other_are_each_shown_with_their_sql_revenue(
    control_room: Services, sample_warehouse: Warehouse
) -> None:
    answer = _ask(control_room, "did email do better than organic last week?")

    plan, text = _only(answer)
    assert isinstance(plan, MetricsPlan) and plan.by == "channel"
    lines = text.splitlines()
    rows = lines[lines.index("*By channel:*") + 1 :]
    assert sorted(row.split(" (")[0] for row in rows) == sorted(
        f"• {channel}: Revenue {dollars(revenue(sample_warehouse, *LAST_WEEK, channel=channel))}"
        for channel in ("email", "organic")
    )


def test_a_weekly_series_lists_each_weeks_sql_revenue_and_comes_with_a_chart(
    control_room: Services, sample_warehouse: Warehouse
) -> None:
    answer = _ask(control_room, "weekly revenue for the last 8 weeks")

    plan, text = _only(answer)
    assert isinstance(plan, MetricsPlan)
    assert (plan.grain, plan.period) == ("week", _days(date(2026, 9, 28), date(2026, 11, 22)))
    lines = text.splitlines()
    points = lines[lines.index("*Revenue by week:*") + 1 :][:8]
    weeks = [date(2026, 9, 28) + timedelta(weeks=i) for i in range(8)]
    expected = [
        dollars(revenue(sample_warehouse, start, start + timedelta(days=6))) for start in weeks
    ]
    assert [line.rsplit(": ", 1)[1] for line in points] == expected
    assert points[0].startswith("• 28 Sep – 4 Oct 2026: ")
    assert points[-1].startswith("• 16–22 Nov 2026: ")
    (chart,) = answer.charts
    assert png_size(chart.png) is not None and "Revenue" in chart.title


def test_a_comparison_with_the_same_period_last_year_uses_last_years_sql_revenue(
    control_room: Services, sample_warehouse: Warehouse
) -> None:
    answer = _ask(control_room, "revenue in October 2026 compared with the same period last year")

    plan, text = _only(answer)
    assert isinstance(plan, MetricsPlan)
    assert (plan.period, plan.compare) == (
        _days(date(2026, 10, 1), date(2026, 10, 31)),
        "same_period_last_year",
    )
    now = revenue(sample_warehouse, date(2026, 10, 1), date(2026, 10, 31))
    then = revenue(sample_warehouse, date(2025, 10, 1), date(2025, 10, 31))
    assert (
        f"• Revenue: {dollars(now)} ({change(now, then)} vs the same period last year "
        f"(Oct 2025): {dollars(then)})"
    ) in text
    assert answer.parts[0].heading.startswith("Revenue · Oct 2026 · vs ")


def test_just_paid_social_in_an_answers_thread_filters_its_plan_to_that_channel(
    control_room: Services, sample_warehouse: Warehouse
) -> None:
    thread = SlackThread("C0GTM", "1764000000.000001")
    first = _ask(control_room, "revenue last week")
    control_room.state.record_run_thread(first.run_id, thread)

    answer = _ask(control_room, "just paid social", thread=thread)

    plan, text = _only(answer)
    assert plan == MetricsPlan(
        metrics=("revenue",),
        period=_days(*LAST_WEEK),
        filters=(Filter(dimension="channel", values=("paid_social",)),),
    )
    assert answer.follow_up_of == first.run_id
    week = revenue(sample_warehouse, *LAST_WEEK, channel="paid_social")
    before = revenue(sample_warehouse, *WEEK_BEFORE, channel="paid_social")
    assert f"• Revenue: {dollars(week)} ({change(week, before)} vs 9–15 Nov 2026:" in text
    assert "channel: paid_social" in answer.parts[0].heading
    assert dollars(revenue(sample_warehouse, *LAST_WEEK)) not in text  # not the total


def test_new_customers_last_week_states_the_count_of_first_ever_orders(
    control_room: Services, sample_warehouse: Warehouse
) -> None:
    answer = _ask(control_room, "how many new customers did we get last week")

    plan, text = _only(answer)
    assert isinstance(plan, MetricsPlan)
    assert (plan.metrics, plan.period) == (("new_customers",), _days(*LAST_WEEK))
    new = scalar(sample_warehouse, NEW_CUSTOMERS_SQL, *LAST_WEEK)
    before = scalar(sample_warehouse, NEW_CUSTOMERS_SQL, *WEEK_BEFORE)
    assert (
        f"• New customers: {whole(new)} ({change(new, before)} vs 9–15 Nov 2026: {whole(before)})"
    ) in text


# Actions and analyses -----------------------------------------------------------------------


def test_a_win_back_what_if_at_20_percent_prices_the_audience_a_campaign_would_have(
    control_room: Services,
) -> None:
    answer = _ask(control_room, "what would a 20% win-back offer return?")

    plan, text = _only(answer)
    assert plan == WinbackWhatIfPlan(discount=0.2)
    policies = control_room.policies
    audience = select_audience(
        control_room.warehouse, control_room.state, policies.winback, policies.rfm
    )["eligible"]
    candidates = WinbackCandidates.of(
        [c["customer_id"] for c in audience],
        [c["p_alive"] for c in audience],
        [c["expected_order_value"] for c in audience],
    )
    (option,) = winback_offer_roi(candidates, policies.winback, discounts=[0.2]).options
    assert option.roi is not None
    assert f"A 20% offer to {whole(len(audience))} customers" in text
    assert f"{dollars(option.expected_revenue)} of revenue" in text
    assert f"{dollars(option.expected_profit)} of expected profit" in text
    assert f"an ROI of {percent(option.roi)}." in text  # a percent, as on the proposal
    assert answer.parts[0].heading == "Win-back what-if · policy segments · 20% off"
    assert "`/controlroom winback`" in text


def test_a_forecast_against_last_december_compares_with_decembers_sql_revenue(
    control_room: Services, sample_warehouse: Warehouse
) -> None:
    answer = _ask(control_room, "are we going to beat last December's sales?")

    plan, text = _only(answer)
    assert plan == AnalysisPlan(
        analysis="forecast",
        period=_days(date(2026, 12, 1), date(2026, 12, 31)),
        compare_to=_days(date(2025, 12, 1), date(2025, 12, 31)),
    )
    december = revenue(sample_warehouse, date(2025, 12, 1), date(2025, 12, 31))
    assert december > Decimal(0)
    assert f"Against Dec 2025 ({dollars(december)}):" in text
    assert answer.parts[0].heading == "Revenue forecast · Dec 2026 · vs Dec 2025"


# No figure at all ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "request_text",
    ["book a meeting room for Tuesday", "update my slack status to OOO"],
)
def test_an_out_of_scope_request_is_declined_with_no_figure(
    control_room: Services, request_text: str
) -> None:
    answer = _ask(control_room, request_text)

    plan, text = _only(answer)
    assert isinstance(plan, DeclinePlan)
    assert answer.parts[0].heading == "Not something I can do"
    assert "I can answer" in text
    assert not re.search(r"\d", answer.text)
    assert (answer.charts, answer.explanations, answer.parts[0].written_by) == ((), (), "code")


def test_a_vague_request_gets_one_question_back_and_no_figure(control_room: Services) -> None:
    answer = _ask(control_room, "compare them")

    plan, text = _only(answer)
    assert isinstance(plan, ClarifyPlan)
    assert answer.parts[0].heading == "A question back"
    assert "?" in text
    assert not re.search(r"\d", answer.text)
    assert (answer.charts, answer.explanations) == ((), ())


# The record ---------------------------------------------------------------------------------


def test_a_two_part_request_records_both_plans_and_each_parts_writer(
    control_room: Services, sample_warehouse: Warehouse
) -> None:
    answer = _ask(control_room, "revenue last week, and what would a 20% win-back offer return?")

    assert [part.plan.kind for part in answer.parts] == ["metrics", "winback_what_if"]
    week = revenue(sample_warehouse, *LAST_WEEK)
    assert f"• Revenue: {dollars(week)} (" in answer.parts[0].text
    entries = control_room.state.audit_entries(run_id=answer.run_id)
    planned = next(e for e in entries if e.action == "planned")
    answered = next(e for e in entries if e.action == "answered")
    assert planned.detail["planned_by"] == "rules"
    assert [p["kind"] for p in planned.detail["plans"]] == ["metrics", "winback_what_if"]
    assert planned.detail["plans"][0]["period"] == {"start": "2026-11-16", "end": "2026-11-22"}
    assert [(p["kind"], p["written_by"], p["refused"]) for p in answered.detail["parts"]] == [
        ("metrics", "offline", []),
        ("winback_what_if", "offline", []),
    ]


def test_a_metric_the_filter_does_not_apply_to_is_left_out_saying_why_and_the_rest_answer(
    control_room: Services, sample_warehouse: Warehouse
) -> None:
    answer = _ask(control_room, "how did footwear do last week")

    plan, text = _only(answer)
    assert isinstance(plan, MetricsPlan)
    assert "new_customers" in plan.metrics  # the headline set, as planned
    footwear = scalar(
        sample_warehouse,
        "SELECT sum(amount) FROM orders WHERE category = 'Footwear' AND order_date BETWEEN ? AND ?",
        *LAST_WEEK,
    )
    assert f"• Revenue: {dollars(footwear)}" in text
    assert "Not computed: metric 'new_customers' cannot be filtered by 'category'" in text
    assert answer.parts[0].status == "ok"
    assert control_room.state.get_run(answer.run_id).status == "succeeded"
