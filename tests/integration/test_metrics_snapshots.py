"""Snapshot metrics (``window_days``: active customers, the distinct customers with an order in
the 90 days to each point) on the sample company, against independent SQL: overlapping windows,
comparisons, breakdowns and filters, more points than a 64-bit word holds, other values counted
and a filter few rows pass."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import yaml

from integrations.warehouse.metrics import (
    DEFAULT_PATH,
    DateRange,
    Filter,
    MetricCatalog,
    MetricQuery,
    MetricsLayer,
)
from tests.integration._metrics_sql import day_range, sql_figures


def _active_customers(
    connection: duckdb.DuckDBPyConnection, last_day: date, *, countries: tuple[str, ...]
) -> dict[str | None, float]:
    """Customers with an order in the 90 days to ``last_day``, in total (None) and by the
    order's channel, among customers of ``countries``."""
    rows = connection.execute(
        """
        SELECT o.channel, count(DISTINCT o.customer_id) FROM orders o
        JOIN customers c ON c.customer_id = o.customer_id
        WHERE o.order_date > $e - 90 AND o.order_date <= $e AND list_contains($countries, c.country)
        GROUP BY ROLLUP (o.channel)
        """,
        {"e": last_day, "countries": list(countries)},
    ).fetchall()
    return {channel: float(count) for channel, count in rows}


def test_active_customers_by_channel_in_windows_of_months_match_sql(
    connection: duckdb.DuckDBPyConnection, layer: MetricsLayer
) -> None:
    # Months of 30 and 31 days whose 90-day windows overlap, the same months a year earlier,
    # a breakdown and a filter on a joined table: each point against its own count.
    countries = ("US", "GB", "no_such_country")
    query = MetricQuery(
        metrics=("active_customers", "customers"),
        period=day_range("2026-06-01", "2026-09-30"),
        grain="month",
        by="channel",
        compare="same_period_last_year",
        filters=(Filter(dimension="country", values=countries),),
    )

    result = layer.run(connection, query)

    series = [s for s in result.series if s.metric == "active_customers"]
    assert len(series) == len(result.breakdown) + 1 >= 3
    for one in series:
        for point in one.points:
            expected = _active_customers(connection, point.end, countries=countries)
            assert point.value == expected.get(one.dimension_value, 0.0), (one, point)
    last_year = _active_customers(connection, date(2025, 9, 30), countries=countries)
    assert result.totals[0].previous == last_year[None]
    for row in result.breakdown:
        assert row.values[0].previous == last_year.get(row.dimension_value, 0.0)


def test_active_customers_day_by_day_over_more_days_than_a_word_has_bits_match_sql(
    connection: duckdb.DuckDBPyConnection, layer: MetricsLayer
) -> None:
    seventy_days = day_range("2026-08-01", "2026-10-09")

    result = layer.run(
        connection,
        MetricQuery(metrics=("active_customers",), period=seventy_days, grain="day"),
    )

    (series,) = result.series
    assert len(series.points) == 70
    for point in series.points:
        expected = sql_figures(connection, DateRange(start=point.end, end=point.end))
        assert point.value == expected["active_customers"], point


def test_snapshots_of_other_values_and_filtered_rows_match_sql_for_each_category(
    connection: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    # Two more 30-day snapshots beside the 90-day one: the channels ordered through (another
    # value counted), and the customers with a large order (a filter few rows pass, so some
    # category's window has rows but none counted: 0, and the category is still listed).
    data = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    active = next(entry for entry in data["metrics"] if entry["name"] == "active_customers")
    data["metrics"] += [
        dict(active, name="channels_used", label="Channels used", synonyms=[], window_days=30,
             expression="orders.channel"),
        dict(active, name="big_spenders", label="Big spenders", synonyms=[], window_days=30,
             filter="orders.amount > 450"),
    ]  # fmt: skip
    path = tmp_path / "metrics.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    metrics = ("active_customers", "channels_used", "big_spenders")
    query = MetricQuery(
        metrics=metrics, period=day_range("2026-09-07", "2026-10-04"), grain="week", by="category"
    )

    result = MetricsLayer(MetricCatalog.load(path)).run(connection, query)

    for series in result.series:
        window = 90 if series.metric == "active_customers" else 30
        expression = "channel" if series.metric == "channels_used" else "customer_id"
        kept = "amount > 450" if series.metric == "big_spenders" else "true"
        for point in series.points:
            rows = connection.execute(
                f"SELECT category, count(DISTINCT {expression}) FILTER (WHERE {kept}) "
                "FROM orders WHERE order_date > $e - $w AND order_date <= $e "
                "GROUP BY ROLLUP (category)",
                {"e": point.end, "w": window},
            ).fetchall()
            assert point.value == dict(rows).get(series.dimension_value, 0.0), (series, point)
    ((categories,),) = connection.execute(
        "SELECT count(DISTINCT category) FROM orders "
        "WHERE order_date > DATE '2026-10-04' - 30 AND order_date <= DATE '2026-10-04'"
    ).fetchall()
    big = {row.dimension_value: row.values[2].value for row in result.breakdown}
    assert len(big) == categories and 0.0 in big.values()
