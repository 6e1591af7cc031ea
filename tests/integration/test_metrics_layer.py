"""The metrics layer on the 5,000-customer sample company, against independent SQL
(``_metrics_sql``): a Monday–Sunday week's KPIs (``agents.finance.kpis``, the digest's, computed
by the layer) with the week before and the four weeks averaged, and months and custom ranges.
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pytest

from agents.finance import weekly_kpis
from integrations.warehouse.metrics import (
    DateRange,
    MetricQuery,
    MetricsLayer,
)
from tests.conftest import SAMPLE_UNTIL
from tests.integration._metrics_sql import (
    by_metric,
    day_range,
    divide_or_none,
    monday_week,
    sql_figures,
)

# The layer's metric → the field of ``WeeklyKpis`` with the same definition.
KPI_FIELDS = {
    "revenue": "revenue",
    "orders": "orders",
    "aov": "average_order_value",
    "customers": "customers",
    "new_customers": "new_customers",
    "returning_customers": "returning_customers",
    "repeat_rate": "repeat_rate",
    "active_customers": "active_customers",
    "marketing_spend": "marketing_spend",
    "roas": "blended_roas",
    "cac": "blended_cac",
}
SQL_METRICS = (
    "revenue",
    "orders",
    "aov",
    "customers",
    "new_customers",
    "returning_customers",
    "repeat_rate",
    "active_customers",
    "marketing_spend",
    "roas",
    "cac",
    "impressions",
    "clicks",
    "tickets",
    "escalation_rate",
    "time_to_resolve",
    "discount_given",
)


def _assert_figures(values: dict[str, float | None], expected: dict[str, float | None]) -> None:
    for metric, figure in expected.items():
        assert values[metric] == pytest.approx(figure, rel=1e-9), metric


# ── A Monday–Sunday week: the weekly KPIs (the digest's) are the layer's ────────────────────

# A ratio KPI → its numerator and denominator (a four-week average of a ratio is the ratio of
# the summed parts).
RATIO_PARTS = {
    "aov": ("revenue", "orders"),
    "repeat_rate": ("returning_customers", "customers"),
    "roas": ("revenue", "marketing_spend"),
    "cac": ("marketing_spend", "new_customers"),
}


def _four_week_average(weeks: list[dict[str, float | None]], metric: str) -> float | None:
    if metric in RATIO_PARTS:
        top, bottom = RATIO_PARTS[metric]
        return divide_or_none(
            sum(week[top] or 0.0 for week in weeks),
            sum(week[bottom] or 0.0 for week in weeks),
            top_required=metric == "cac",
        )
    return sum(week[metric] or 0.0 for week in weeks) / len(weeks)


@pytest.mark.parametrize("monday", [date(2026, 11, 2), date(2026, 11, 16)])
def test_every_weekly_kpi_matches_independent_sql_with_the_week_before_and_four_week_average(
    connection: duckdb.DuckDBPyConnection, monday: date
) -> None:
    kpis = weekly_kpis(connection, week=monday)
    weeks = [
        sql_figures(connection, monday_week(monday - timedelta(weeks=n))) for n in (3, 2, 1, 0)
    ]

    for metric, field in KPI_FIELDS.items():
        figure = getattr(kpis, field)
        assert figure.value == pytest.approx(weeks[-1][metric], rel=1e-12), metric
        assert figure.previous == pytest.approx(weeks[-2][metric], rel=1e-12), metric
        assert figure.four_week_average == pytest.approx(_four_week_average(weeks, metric)), metric
    assert kpis.weeks_averaged == 4


def test_each_channels_weekly_roas_and_cac_match_independent_sql(
    connection: duckdb.DuckDBPyConnection,
) -> None:
    monday = date(2026, 11, 9)
    kpis = weekly_kpis(connection, week=monday)
    rows = connection.execute(
        """
        WITH revenue AS (SELECT channel, sum(amount)::DOUBLE AS revenue FROM orders
                         WHERE order_date BETWEEN $s AND $e GROUP BY channel),
             spend AS (SELECT channel, sum(spend)::DOUBLE AS spend FROM marketing_spend
                       WHERE week_start BETWEEN $s AND $e GROUP BY channel),
             firsts AS (SELECT customer_id, min(order_date) AS day FROM orders GROUP BY 1),
             new AS (SELECT signup_channel AS channel, count(*) AS new FROM firsts
                     JOIN customers USING (customer_id) WHERE day BETWEEN $s AND $e GROUP BY 1)
        SELECT channel, revenue, spend, new
        FROM revenue FULL JOIN spend USING (channel) FULL JOIN new USING (channel)
        """,
        {"s": monday - timedelta(weeks=3), "e": monday + timedelta(days=6)},
    ).fetchall()
    four_weeks = {channel: (r or 0.0, s or 0.0, n or 0) for channel, r, s, n in rows}

    assert {channel.channel for channel in kpis.channels} == set(four_weeks)
    for channel in kpis.channels:
        revenue, spend, new = four_weeks[channel.channel]
        assert channel.roas.four_week_average == pytest.approx(divide_or_none(revenue, spend))
        assert channel.cac.four_week_average == pytest.approx(
            divide_or_none(spend, new, top_required=True)
        )
        assert channel.roas.value == pytest.approx(
            divide_or_none(channel.attributed_revenue.value or 0.0, channel.spend.value or 0.0)
        )
    assert [channel.spend.value for channel in kpis.channels] == sorted(
        (channel.spend.value or 0.0 for channel in kpis.channels), reverse=True
    )


def test_the_first_week_of_the_data_has_no_previous_week_and_a_shorter_average(
    connection: duckdb.DuckDBPyConnection, layer: MetricsLayer
) -> None:
    (first_order,), *_ = connection.execute("SELECT min(order_date) FROM orders").fetchall()
    monday = first_order + timedelta(days=7 - first_order.weekday())
    second = monday + timedelta(weeks=1)
    weeks = [
        sql_figures(connection, monday_week(monday)),
        sql_figures(connection, monday_week(second)),
    ]

    first = layer.run(connection, MetricQuery(metrics=("revenue",), period=monday_week(monday)))
    averaged = layer.run(
        connection,
        MetricQuery(
            metrics=("revenue", "aov"), period=monday_week(second), compare="four_week_average"
        ),
    ).totals
    kpis = weekly_kpis(connection, week=second)

    assert first.totals[0].value == pytest.approx(weeks[0]["revenue"])
    assert first.totals[0].previous is None and first.totals[0].change is None
    assert averaged[0].comparison_period == DateRange(start=monday, end=monday_week(second).end)
    assert averaged[0].previous == pytest.approx(_four_week_average(weeks, "revenue"))
    assert averaged[1].previous == pytest.approx(_four_week_average(weeks, "aov"))
    assert kpis.weeks_averaged == 2
    assert kpis.revenue.four_week_average == averaged[0].previous


# ── Months and custom ranges against independent SQL ────────────────────────────────────────


@pytest.mark.parametrize(
    ("period", "previous"),
    [
        (day_range("2026-10-01", "2026-10-31"), day_range("2026-09-01", "2026-09-30")),
        (day_range("2026-10-02", "2026-10-17"), day_range("2026-09-16", "2026-10-01")),
    ],
    ids=["calendar month", "2 to 17 October"],
)
def test_every_metric_of_a_month_or_a_custom_range_matches_independent_sql(
    connection: duckdb.DuckDBPyConnection,
    layer: MetricsLayer,
    period: DateRange,
    previous: DateRange,
) -> None:
    result = layer.run(connection, MetricQuery(metrics=SQL_METRICS, period=period))

    values = by_metric(result.totals)
    _assert_figures({m: v.value for m, v in values.items()}, sql_figures(connection, period))
    _assert_figures({m: v.previous for m, v in values.items()}, sql_figures(connection, previous))
    assert {value.comparison_period for value in result.totals} == {previous}
    assert result.data == DateRange(start=date(2023, 11, 23), end=SAMPLE_UNTIL)


def test_the_same_period_last_year_of_a_week_is_the_week_52_weeks_earlier(
    connection: duckdb.DuckDBPyConnection, layer: MetricsLayer
) -> None:
    week = day_range("2026-11-02", "2026-11-08")
    query = MetricQuery(
        metrics=("revenue", "new_customers", "tickets"),
        period=week,
        compare="same_period_last_year",
    )

    values = by_metric(layer.run(connection, query).totals)

    last_year = day_range("2025-11-03", "2025-11-09")
    before, now = sql_figures(connection, last_year), sql_figures(connection, week)
    for metric, value in values.items():
        previous, current = before[metric], now[metric]
        assert previous is not None and current is not None
        assert value.comparison_period == last_year
        assert value.previous == pytest.approx(previous), metric
        assert value.change == pytest.approx(current - previous), metric
