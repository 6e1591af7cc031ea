"""The metrics layer on the 5,000-customer sample company, against independent SQL.

Every figure is checked against SQL written here in another way than the compiler writes it
(subqueries per figure, EXISTS for returning customers, marketing spend expanded to days), and a
Monday–Sunday week's KPIs (``agents.finance.kpis``, the digest's, computed by the layer) against
the same SQL over the week, the week before and the four weeks averaged.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from agents.finance import weekly_kpis
from integrations.warehouse import Warehouse
from integrations.warehouse.metrics import (
    DateRange,
    Filter,
    MetricCatalog,
    MetricQuery,
    MetricResult,
    MetricsLayer,
    MetricValue,
)
from integrations.warehouse.metrics.compile import compile_query
from tests.conftest import SAMPLE_UNTIL

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
ADDITIVE_BY_CHANNEL = ("revenue", "orders", "discount_given", "marketing_spend", "new_customers")


@pytest.fixture(scope="module")
def connection(sample_warehouse_file: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with Warehouse(sample_warehouse_file).connect() as opened:
        yield opened


@pytest.fixture(scope="module")
def layer() -> MetricsLayer:
    return MetricsLayer(MetricCatalog.load())


def _days(start: str, end: str) -> DateRange:
    return DateRange(start=date.fromisoformat(start), end=date.fromisoformat(end))


def _by_metric(values: tuple[MetricValue, ...]) -> dict[str, MetricValue]:
    return {value.metric: value for value in values}


def _divide(top: float, bottom: float, *, top_required: bool = False) -> float | None:
    return None if bottom == 0 or (top_required and top == 0) else top / bottom


def _expected(connection: duckdb.DuckDBPyConnection, period: DateRange) -> dict[str, float | None]:
    """Every metric over ``period``, one subquery each (the test's own reading of the defs)."""
    (row,) = connection.execute(
        """
        SELECT
          (SELECT coalesce(sum(amount), 0)::DOUBLE FROM orders
            WHERE order_date BETWEEN $s AND $e),
          (SELECT count(*) FROM orders WHERE order_date BETWEEN $s AND $e),
          (SELECT count(DISTINCT customer_id) FROM orders WHERE order_date BETWEEN $s AND $e),
          (SELECT count(*) FROM (SELECT customer_id FROM orders GROUP BY customer_id
                                 HAVING min(order_date) BETWEEN $s AND $e)),
          (SELECT count(DISTINCT o.customer_id) FROM orders o
            WHERE o.order_date BETWEEN $s AND $e
              AND EXISTS (SELECT 1 FROM orders p
                          WHERE p.customer_id = o.customer_id AND p.order_date < $s)),
          (SELECT count(DISTINCT customer_id) FROM orders
            WHERE order_date > $e - 90 AND order_date <= $e),
          (SELECT coalesce(sum(spend / 7), 0)::DOUBLE FROM (
             SELECT spend, unnest(range(week_start, week_start + 7, INTERVAL 1 DAY))::DATE AS day
             FROM marketing_spend) WHERE day BETWEEN $s AND $e),
          (SELECT coalesce(sum(impressions / 7), 0)::DOUBLE FROM (
             SELECT impressions,
                    unnest(range(week_start, week_start + 7, INTERVAL 1 DAY))::DATE AS day
             FROM marketing_spend) WHERE day BETWEEN $s AND $e),
          (SELECT coalesce(sum(clicks / 7), 0)::DOUBLE FROM (
             SELECT clicks, unnest(range(week_start, week_start + 7, INTERVAL 1 DAY))::DATE AS day
             FROM marketing_spend) WHERE day BETWEEN $s AND $e),
          (SELECT count(*) FROM support_tickets
            WHERE created_at >= $s AND created_at < $e + 1),
          (SELECT count(*) FROM support_tickets
            WHERE created_at >= $s AND created_at < $e + 1 AND escalated),
          (SELECT quantile_cont(epoch(resolved_at - created_at) / 3600, 0.5) FROM support_tickets
            WHERE created_at >= $s AND created_at < $e + 1 AND resolved_at IS NOT NULL),
          (SELECT coalesce(sum(discount), 0)::DOUBLE FROM orders
            WHERE order_date BETWEEN $s AND $e)
        """,
        {"s": period.start, "e": period.end},
    ).fetchall()
    (revenue, orders, customers, new, returning, active, spend, impressions, clicks, tickets,
     escalated, hours, discount) = row  # fmt: skip
    return {
        "revenue": revenue,
        "orders": orders,
        "aov": _divide(revenue, orders),
        "customers": customers,
        "new_customers": new,
        "returning_customers": returning,
        "repeat_rate": _divide(returning, customers),
        "active_customers": active,
        "marketing_spend": spend,
        "roas": _divide(revenue, spend),
        "cac": _divide(spend, new, top_required=True),
        "impressions": impressions,
        "clicks": clicks,
        "tickets": tickets,
        "escalation_rate": _divide(escalated, tickets),
        "time_to_resolve": hours,
        "discount_given": discount,
    }


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


def _week(monday: date) -> DateRange:
    return DateRange(start=monday, end=monday + timedelta(days=6))


def _four_week_average(weeks: list[dict[str, float | None]], metric: str) -> float | None:
    if metric in RATIO_PARTS:
        top, bottom = RATIO_PARTS[metric]
        return _divide(
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
    weeks = [_expected(connection, _week(monday - timedelta(weeks=n))) for n in (3, 2, 1, 0)]

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
        assert channel.roas.four_week_average == pytest.approx(_divide(revenue, spend))
        assert channel.cac.four_week_average == pytest.approx(
            _divide(spend, new, top_required=True)
        )
        assert channel.roas.value == pytest.approx(
            _divide(channel.attributed_revenue.value or 0.0, channel.spend.value or 0.0)
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
    weeks = [_expected(connection, _week(monday)), _expected(connection, _week(second))]

    first = layer.run(connection, MetricQuery(metrics=("revenue",), period=_week(monday)))
    averaged = layer.run(
        connection,
        MetricQuery(metrics=("revenue", "aov"), period=_week(second), compare="four_week_average"),
    ).totals
    kpis = weekly_kpis(connection, week=second)

    assert first.totals[0].value == pytest.approx(weeks[0]["revenue"])
    assert first.totals[0].previous is None and first.totals[0].change is None
    assert averaged[0].comparison_period == DateRange(start=monday, end=_week(second).end)
    assert averaged[0].previous == pytest.approx(_four_week_average(weeks, "revenue"))
    assert averaged[1].previous == pytest.approx(_four_week_average(weeks, "aov"))
    assert kpis.weeks_averaged == 2
    assert kpis.revenue.four_week_average == averaged[0].previous


# ── Months and custom ranges against independent SQL ────────────────────────────────────────


@pytest.mark.parametrize(
    ("period", "previous"),
    [
        (_days("2026-10-01", "2026-10-31"), _days("2026-09-01", "2026-09-30")),
        (_days("2026-10-02", "2026-10-17"), _days("2026-09-16", "2026-10-01")),
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

    values = _by_metric(result.totals)
    _assert_figures({m: v.value for m, v in values.items()}, _expected(connection, period))
    _assert_figures({m: v.previous for m, v in values.items()}, _expected(connection, previous))
    assert {value.comparison_period for value in result.totals} == {previous}
    assert result.data == DateRange(start=date(2023, 11, 23), end=SAMPLE_UNTIL)


def test_the_same_period_last_year_of_a_week_is_the_week_52_weeks_earlier(
    connection: duckdb.DuckDBPyConnection, layer: MetricsLayer
) -> None:
    week = _days("2026-11-02", "2026-11-08")
    query = MetricQuery(
        metrics=("revenue", "new_customers", "tickets"),
        period=week,
        compare="same_period_last_year",
    )

    values = _by_metric(layer.run(connection, query).totals)

    last_year = _days("2025-11-03", "2025-11-09")
    before, now = _expected(connection, last_year), _expected(connection, week)
    for metric, value in values.items():
        previous, current = before[metric], now[metric]
        assert previous is not None and current is not None
        assert value.comparison_period == last_year
        assert value.previous == pytest.approx(previous), metric
        assert value.change == pytest.approx(current - previous), metric


# ── Breakdowns, series and filters ──────────────────────────────────────────────────────────


def _column_sums(result: MetricResult) -> dict[str, float]:
    sums: dict[str, float] = {}
    for row in result.breakdown:
        for value in row.values:
            sums[value.metric] = sums.get(value.metric, 0.0) + (value.value or 0.0)
    return sums


def test_a_breakdown_by_channel_sums_to_the_total(
    connection: duckdb.DuckDBPyConnection, layer: MetricsLayer
) -> None:
    query = MetricQuery(
        metrics=ADDITIVE_BY_CHANNEL, period=_days("2026-10-02", "2026-10-17"), by="channel"
    )

    result = layer.run(connection, query)

    totals = _by_metric(result.totals)
    for metric, summed in _column_sums(result).items():
        assert summed == pytest.approx(totals[metric].value), metric
    rows = {row.dimension_value: _by_metric(row.values) for row in result.breakdown}
    (email_revenue,), *_ = connection.execute(
        "SELECT sum(amount)::DOUBLE FROM orders WHERE channel = 'email' "
        "AND order_date BETWEEN DATE '2026-10-02' AND DATE '2026-10-17'"
    ).fetchall()
    assert rows["email"]["revenue"].value == pytest.approx(email_revenue)
    assert [row.values[0].value for row in result.breakdown] == sorted(
        (row.values[0].value or 0.0 for row in result.breakdown), reverse=True
    )


def test_a_breakdown_by_category_matches_sql_and_sums_to_the_total(
    connection: duckdb.DuckDBPyConnection, layer: MetricsLayer
) -> None:
    october = _days("2026-10-01", "2026-10-31")
    query = MetricQuery(metrics=("revenue", "orders", "aov"), period=october, by="category")

    result = layer.run(connection, query)

    expected = {
        category: (revenue, orders)
        for category, revenue, orders in connection.execute(
            "SELECT category, sum(amount)::DOUBLE, count(*) FROM orders "
            "WHERE order_date BETWEEN DATE '2026-10-01' AND DATE '2026-10-31' GROUP BY category"
        ).fetchall()
    }
    rows = {row.dimension_value: _by_metric(row.values) for row in result.breakdown}
    assert set(rows) == set(expected)
    for category, (revenue, orders) in expected.items():
        assert rows[category]["revenue"].value == pytest.approx(revenue)
        assert rows[category]["orders"].value == orders
        assert rows[category]["aov"].value == pytest.approx(revenue / orders)
    sums = _column_sums(result)
    totals = _by_metric(result.totals)
    assert sums["revenue"] == pytest.approx(totals["revenue"].value)
    assert sums["orders"] == totals["orders"].value


def test_a_weekly_series_over_eight_weeks_matches_sql_week_by_week(
    connection: duckdb.DuckDBPyConnection, layer: MetricsLayer
) -> None:
    eight_weeks = _days("2026-09-28", "2026-11-22")
    metrics = ("revenue", "new_customers", "active_customers", "repeat_rate", "tickets")

    result = layer.run(connection, MetricQuery(metrics=metrics, period=eight_weeks, grain="week"))

    assert [series.metric for series in result.series] == list(metrics)
    for series in result.series:
        assert [point.start for point in series.points] == [
            date(2026, 9, 28) + timedelta(weeks=i) for i in range(8)
        ]
        for point in series.points:
            expected = _expected(connection, DateRange(start=point.start, end=point.end))
            assert point.value == pytest.approx(expected[series.metric]), (series.metric, point)


def test_a_series_has_every_bucket_even_without_rows(
    connection: duckdb.DuckDBPyConnection, layer: MetricsLayer
) -> None:
    past_the_data = DateRange(
        start=SAMPLE_UNTIL - timedelta(days=2), end=SAMPLE_UNTIL + timedelta(days=4)
    )

    result = layer.run(
        connection,
        MetricQuery(metrics=("orders", "time_to_resolve"), period=past_the_data, grain="day"),
    )

    orders, hours = result.series
    assert [point.start for point in orders.points] == [
        past_the_data.start + timedelta(days=i) for i in range(7)
    ]
    assert [point.value for point in orders.points][3:] == [0.0] * 4
    assert all(point.value and point.value > 0 for point in orders.points[:3])
    assert [point.value for point in hours.points][3:] == [None] * 4


def test_a_series_broken_down_by_channel_adds_up_to_the_total_series(
    connection: duckdb.DuckDBPyConnection, layer: MetricsLayer
) -> None:
    query = MetricQuery(
        metrics=("marketing_spend",),
        period=_days("2026-07-01", "2026-09-30"),
        grain="month",
        by="channel",
    )

    result = layer.run(connection, query)

    total = next(series for series in result.series if series.dimension_value is None)
    channels = [series for series in result.series if series.dimension_value is not None]
    assert len(channels) == len(result.breakdown) >= 2
    for index, point in enumerate(total.points):
        assert point.value == pytest.approx(sum(s.points[index].value or 0.0 for s in channels))
        month = DateRange(start=point.start, end=point.end)
        assert point.value == pytest.approx(_expected(connection, month)["marketing_spend"])


def test_filters_keep_only_the_chosen_dimension_values(
    connection: duckdb.DuckDBPyConnection, layer: MetricsLayer
) -> None:
    october = _days("2026-10-01", "2026-10-31")
    orders_query = MetricQuery(
        metrics=("revenue", "customers"),
        period=october,
        filters=(
            Filter(dimension="channel", values=("email", "paid_social")),
            Filter(dimension="country", values=("US",)),
        ),
    )
    tickets_query = MetricQuery(
        metrics=("tickets",),
        period=october,
        filters=(Filter(dimension="topic", values=("shipping",)),),
    )

    revenue, customers = layer.run(connection, orders_query).totals
    (tickets,) = layer.run(connection, tickets_query).totals

    (expected_revenue, expected_customers), *_ = connection.execute(
        """
        SELECT sum(o.amount)::DOUBLE, count(DISTINCT o.customer_id)
        FROM orders o JOIN customers c ON c.customer_id = o.customer_id
        WHERE o.order_date BETWEEN DATE '2026-10-01' AND DATE '2026-10-31'
          AND o.channel IN ('email', 'paid_social') AND c.country = 'US'
        """
    ).fetchall()
    (expected_tickets,), *_ = connection.execute(
        "SELECT count(*) FROM support_tickets WHERE topic = 'shipping' "
        "AND created_at >= DATE '2026-10-01' AND created_at < DATE '2026-11-01'"
    ).fetchall()
    assert revenue.value == pytest.approx(expected_revenue)
    assert customers.value == expected_customers
    assert tickets.value == expected_tickets > 0


def test_queries_run_together_give_each_the_figures_it_gives_alone(
    connection: duckdb.DuckDBPyConnection, layer: MetricsLayer
) -> None:
    week = _days("2026-11-09", "2026-11-15")
    some_channels = ("email", "referral", *(f"no_such_channel_{n}" for n in range(10)))
    queries = [
        *(
            MetricQuery(
                metrics=("revenue", "repeat_rate", "active_customers", "cac"),
                period=week,
                compare=compare,
            )
            for compare in ("previous_period", "four_week_average", "same_period_last_year")
        ),
        MetricQuery(metrics=("revenue", "new_customers", "roas"), period=week, by="channel"),
        MetricQuery(metrics=("customers",), period=week, by="channel", compare="four_week_average"),
        MetricQuery(metrics=("orders",), period=week, by="channel", grain="day"),
        MetricQuery(
            metrics=("revenue", "marketing_spend"),
            period=week,
            filters=(Filter(dimension="channel", values=some_channels),),
        ),
    ]

    together = layer.run_all(connection, queries)

    assert together == tuple(layer.run(connection, query) for query in queries)
    assert together[-1].totals[0].value == pytest.approx(
        sum(
            row.values[0].value or 0.0
            for row in together[3].breakdown
            if row.dimension_value in some_channels
        )
    )


def test_the_sql_shown_for_new_customers_computes_on_its_own_what_the_layer_computed(
    sample_warehouse_file: Path, layer: MetricsLayer
) -> None:
    query = MetricQuery(metrics=("new_customers", "cac"), period=_days("2026-10-01", "2026-10-31"))
    statements = compile_query(layer.catalog, query).statements
    shown = [s for s in statements if s.reads_first_orders]

    # A connection that never ran the layer has no shared first_orders table to lean on.
    with Warehouse(sample_warehouse_file).connect() as fresh:
        alone = [
            sorted(fresh.execute(s.readable_sql, dict(s.parameters)).fetchall()) for s in shown
        ]
    with Warehouse(sample_warehouse_file).connect() as used:
        layer.run(used, query)
        shared = [sorted(used.execute(s.sql, dict(s.parameters)).fetchall()) for s in shown]

    assert shown and "first_orders AS (" in shown[0].readable_sql
    assert "first_orders AS (" not in shown[0].sql
    assert alone == shared


def test_new_customers_counts_an_order_added_after_the_connection_first_counted(
    sample_warehouse_file: Path, layer: MetricsLayer, tmp_path: Path
) -> None:
    copy = tmp_path / "warehouse.duckdb"
    copy.write_bytes(sample_warehouse_file.read_bytes())
    week = _days("2026-11-16", "2026-11-22")
    query = MetricQuery(metrics=("new_customers",), period=week)

    with Warehouse(copy).connect(read_only=False) as connection:
        (before,) = layer.run(connection, query).totals
        (newcomer,), *_ = connection.execute(
            "SELECT max(customer_id) + 1 FROM customers"
        ).fetchall()
        connection.execute(
            "INSERT INTO orders SELECT max(order_id) + 1, $customer, DATE '2026-11-18', 80.0, "
            "0.0, any_value(category), any_value(channel) FROM orders",
            {"customer": newcomer},
        )
        (after,) = layer.run(connection, query).totals

    assert before.value is not None and after.value == before.value + 1
