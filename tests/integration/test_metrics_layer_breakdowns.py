"""The metrics layer's breakdowns, series and filters on the 5,000-customer sample company,
against independent SQL (``_metrics_sql``); queries run together, the SQL it shows, and a new
order seen by an open connection."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from integrations.warehouse import Warehouse
from integrations.warehouse.metrics import (
    DateRange,
    Filter,
    MetricQuery,
    MetricResult,
    MetricsLayer,
)
from integrations.warehouse.metrics.compile import compile_query
from tests.conftest import SAMPLE_UNTIL
from tests.integration._metrics_sql import (
    by_metric,
    day_range,
    sql_figures,
)

ADDITIVE_BY_CHANNEL = ("revenue", "orders", "discount_given", "marketing_spend", "new_customers")


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
        metrics=ADDITIVE_BY_CHANNEL, period=day_range("2026-10-02", "2026-10-17"), by="channel"
    )

    result = layer.run(connection, query)

    totals = by_metric(result.totals)
    for metric, summed in _column_sums(result).items():
        assert summed == pytest.approx(totals[metric].value), metric
    rows = {row.dimension_value: by_metric(row.values) for row in result.breakdown}
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
    october = day_range("2026-10-01", "2026-10-31")
    query = MetricQuery(metrics=("revenue", "orders", "aov"), period=october, by="category")

    result = layer.run(connection, query)

    expected = {
        category: (revenue, orders)
        for category, revenue, orders in connection.execute(
            "SELECT category, sum(amount)::DOUBLE, count(*) FROM orders "
            "WHERE order_date BETWEEN DATE '2026-10-01' AND DATE '2026-10-31' GROUP BY category"
        ).fetchall()
    }
    rows = {row.dimension_value: by_metric(row.values) for row in result.breakdown}
    assert set(rows) == set(expected)
    for category, (revenue, orders) in expected.items():
        assert rows[category]["revenue"].value == pytest.approx(revenue)
        assert rows[category]["orders"].value == orders
        assert rows[category]["aov"].value == pytest.approx(revenue / orders)
    sums = _column_sums(result)
    totals = by_metric(result.totals)
    assert sums["revenue"] == pytest.approx(totals["revenue"].value)
    assert sums["orders"] == totals["orders"].value


def test_a_weekly_series_over_eight_weeks_matches_sql_week_by_week(
    connection: duckdb.DuckDBPyConnection, layer: MetricsLayer
) -> None:
    eight_weeks = day_range("2026-09-28", "2026-11-22")
    metrics = ("revenue", "new_customers", "active_customers", "repeat_rate", "tickets")

    result = layer.run(connection, MetricQuery(metrics=metrics, period=eight_weeks, grain="week"))

    assert [series.metric for series in result.series] == list(metrics)
    for series in result.series:
        assert [point.start for point in series.points] == [
            date(2026, 9, 28) + timedelta(weeks=i) for i in range(8)
        ]
        for point in series.points:
            expected = sql_figures(connection, DateRange(start=point.start, end=point.end))
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
        period=day_range("2026-07-01", "2026-09-30"),
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
        assert point.value == pytest.approx(sql_figures(connection, month)["marketing_spend"])


def test_filters_keep_only_the_chosen_dimension_values(
    connection: duckdb.DuckDBPyConnection, layer: MetricsLayer
) -> None:
    october = day_range("2026-10-01", "2026-10-31")
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
    week = day_range("2026-11-09", "2026-11-15")
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
    query = MetricQuery(
        metrics=("new_customers", "cac"), period=day_range("2026-10-01", "2026-10-31")
    )
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
    week = day_range("2026-11-16", "2026-11-22")
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
