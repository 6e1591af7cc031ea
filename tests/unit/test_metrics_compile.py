"""The period arithmetic the metrics layer compiles over (previous period, last year, four-week
average, series buckets) and the compiler.

Figures on a tiny hand-counted warehouse check the parts a reader can verify in their head
(spend shared over part-weeks, a hostile filter value); the sample company's figures are in
``tests/integration/test_metrics_layer.py`` and ``test_metrics_layer_breakdowns.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from integrations.warehouse.metrics import (
    DateRange,
    Filter,
    MetricCatalog,
    MetricQuery,
    MetricQueryError,
    MetricsLayer,
)
from integrations.warehouse.metrics.compile import compile_pass, compile_query
from integrations.warehouse.metrics.periods import (
    four_week_blocks,
    previous_period,
    same_period_last_year,
    series_buckets,
)
from integrations.warehouse.warehouse import create_schema


def _range(start: str, end: str) -> DateRange:
    return DateRange(start=date.fromisoformat(start), end=date.fromisoformat(end))


# ── Periods ─────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("period", "previous"),
    [
        (_range("2026-03-01", "2026-03-31"), _range("2026-02-01", "2026-02-28")),
        (_range("2026-07-01", "2026-09-30"), _range("2026-04-01", "2026-06-30")),
        (_range("2025-01-01", "2025-12-31"), _range("2024-01-01", "2024-12-31")),
        (_range("2026-11-02", "2026-11-08"), _range("2026-10-26", "2026-11-01")),
        (_range("2026-10-02", "2026-10-17"), _range("2026-09-16", "2026-10-01")),
    ],
)
def test_the_previous_period_is_the_previous_whole_months_or_as_many_days_before(
    period: DateRange, previous: DateRange
) -> None:
    assert previous_period(period) == previous


@pytest.mark.parametrize(
    ("period", "last_year"),
    [
        (_range("2028-02-01", "2028-02-29"), _range("2027-02-01", "2027-02-28")),
        (_range("2026-11-02", "2026-11-08"), _range("2025-11-03", "2025-11-09")),
        (_range("2028-02-29", "2028-03-03"), _range("2027-02-28", "2027-03-03")),
    ],
)
def test_the_same_period_last_year_keeps_months_whole_and_weeks_on_their_weekdays(
    period: DateRange, last_year: DateRange
) -> None:
    assert same_period_last_year(period) == last_year


def test_the_four_week_average_covers_the_28_days_ending_with_the_period() -> None:
    weeks = four_week_blocks(_range("2026-11-16", "2026-11-22"))
    days = four_week_blocks(_range("2026-11-22", "2026-11-22"))

    assert [week.start for week in weeks] == [
        date(2026, 10, 26) + timedelta(7 * i) for i in range(4)
    ]
    assert len(days) == 28 and days[0] == _range("2026-10-26", "2026-10-26")
    with pytest.raises(MetricQueryError, match="is 10 days"):
        four_week_blocks(_range("2026-11-13", "2026-11-22"))


def test_weekly_buckets_start_on_mondays_and_are_cut_at_the_periods_ends() -> None:
    buckets = series_buckets(_range("2026-10-01", "2026-10-14"), "week")

    assert buckets == (
        _range("2026-10-01", "2026-10-04"),
        _range("2026-10-05", "2026-10-11"),
        _range("2026-10-12", "2026-10-14"),
    )
    assert [b.start for b in series_buckets(_range("2026-02-15", "2026-12-31"), "quarter")] == [
        date(2026, 2, 15),
        date(2026, 4, 1),
        date(2026, 7, 1),
        date(2026, 10, 1),
    ]


@given(
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)),
    days=st.integers(min_value=0, max_value=800),
    grain=st.sampled_from(["day", "week", "month", "quarter", "year"]),
)
def test_series_buckets_cover_every_day_of_the_period_once(
    start: date, days: int, grain: Any
) -> None:
    period = DateRange(start=start, end=start + timedelta(days=days))

    buckets = series_buckets(period, grain)

    assert buckets[0].start == period.start and buckets[-1].end == period.end
    for before, after in zip(buckets, buckets[1:], strict=False):
        assert after.start == before.end + timedelta(days=1)
    assert sum(bucket.days for bucket in buckets) == period.days


# ── Compiling ───────────────────────────────────────────────────────────────────────────────


def test_filter_values_and_dates_are_bound_parameters_never_sql_text(
    catalog: MetricCatalog,
) -> None:
    hostile = "'; DROP TABLE orders; --"
    query = MetricQuery(
        metrics=("revenue", "roas"),
        period=_range("2026-11-02", "2026-11-08"),
        filters=(Filter(dimension="channel", values=("email", hostile)),),
    )

    compiled = compile_query(catalog, query)

    assert len(compiled.statements) == 2
    for statement in compiled.statements:
        assert hostile not in statement.sql and "DROP" not in statement.sql
        assert "2026-11" not in statement.sql
        assert set(re.findall(r"\$(\w+)", statement.sql)) <= set(statement.parameters)
        assert statement.parameters["filter_0_1"] == hostile


def test_metrics_sharing_a_table_are_computed_in_one_statement(catalog: MetricCatalog) -> None:
    query = MetricQuery(
        metrics=("revenue", "orders", "aov", "customers", "repeat_rate"),
        period=_range("2026-11-02", "2026-11-08"),
    )

    (statement,) = compile_query(catalog, query).statements

    assert [m.name for m in statement.metrics] == [
        "revenue",
        "orders",
        "customers",
        "returning_customers",
    ]


def test_queries_over_the_same_rows_share_one_statement_per_source_for_all_their_buckets(
    catalog: MetricCatalog,
) -> None:
    week = _range("2026-11-09", "2026-11-15")
    metrics = ("revenue", "customers", "new_customers", "active_customers", "roas")
    against_last_week, against_average, by_channel = (
        MetricQuery(metrics=metrics, period=week),
        MetricQuery(metrics=metrics, period=week, compare="four_week_average"),
        MetricQuery(metrics=("revenue",), period=week, by="channel"),
    )

    compiled = compile_pass(catalog, (against_last_week, against_average, by_channel))

    last_week, average, channels = compiled.queries
    assert last_week.statements == average.statements
    assert len(last_week.statements) == len(compile_query(catalog, against_average).statements)
    assert {s.index for s in channels.statements}.isdisjoint(s.index for s in average.statements)
    assert compiled.statements == last_week.statements + channels.statements
    assert len(last_week.buckets.ranges) == 4  # the week and the three before it, each once
    # The four weeks averaged end with the week itself; the week before is the one before it.
    assert average.buckets.comparison[-2:] == (
        *last_week.buckets.comparison,
        last_week.buckets.period,
    )
    assert compiled.sql.count("UNION ALL BY NAME") == len(compiled.statements) - 1


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            MetricQuery(
                metrics=("revenue",), period=_range("2026-11-02", "2026-11-08"), by="topic"
            ),
            "metric 'revenue' cannot be broken down by 'topic'",
        ),
        (
            MetricQuery(
                metrics=("roas",),
                period=_range("2026-11-02", "2026-11-08"),
                filters=(Filter(dimension="category", values=("Footwear",)),),
            ),
            "metric 'roas' cannot be filtered by 'category'",
        ),
        (
            MetricQuery(
                metrics=("marketing_spend",), period=_range("2026-11-02", "2026-11-08"), grain="day"
            ),
            "metric 'marketing_spend' has no series by 'day'",
        ),
        (
            MetricQuery(metrics=("churn_probability",), period=_range("2026-11-02", "2026-11-08")),
            "metric 'churn_probability' is computed by the analytics tools",
        ),
        (
            MetricQuery(
                metrics=("revenue",),
                period=_range("2026-10-01", "2026-10-31"),
                compare="four_week_average",
            ),
            "is 31 days",
        ),
    ],
)
def test_a_combination_the_catalog_does_not_allow_is_refused_naming_both(
    catalog: MetricCatalog, query: MetricQuery, message: str
) -> None:
    with pytest.raises(MetricQueryError, match=re.escape(message)):
        compile_query(catalog, query)


# ── A warehouse counted by hand ─────────────────────────────────────────────────────────────


@pytest.fixture
def tiny() -> Iterator[duckdb.DuckDBPyConnection]:
    """Three orders (the first on 1 Oct starts the data) and one week of spend: 70 on paid_search
    in the week of Monday 2 Nov."""
    connection = duckdb.connect()
    create_schema(connection)
    connection.execute(
        """
        INSERT INTO orders VALUES
            (1, 1, DATE '2026-10-01', 10.00, 0.00, 'Packs', 'direct'),
            (2, 1, DATE '2026-11-03', 40.00, 0.00, 'Packs', 'paid_search'),
            (3, 2, DATE '2026-11-07', 60.00, 5.00, 'Footwear', 'email');
        INSERT INTO marketing_spend VALUES (DATE '2026-11-02', 'paid_search', 70.00, 7000, 70);
        """
    )
    yield connection
    connection.close()


def test_a_weeks_spend_is_shared_evenly_over_its_days(
    catalog: MetricCatalog, tiny: duckdb.DuckDBPyConnection
) -> None:
    layer = MetricsLayer(catalog)
    two_days = MetricQuery(
        metrics=("marketing_spend", "clicks", "roas"),
        period=_range("2026-11-07", "2026-11-10"),
        compare=None,
    )

    spend, clicks, roas = layer.run(tiny, two_days).totals

    assert spend.value == pytest.approx(20.0) and clicks.value == pytest.approx(20.0)
    assert roas.value == pytest.approx(60.0 / 20.0)
    assert spend.previous is None and spend.comparison_period is None


def test_a_hostile_filter_value_is_only_a_value(
    catalog: MetricCatalog, tiny: duckdb.DuckDBPyConnection
) -> None:
    query = MetricQuery(
        metrics=("revenue", "orders"),
        period=_range("2026-11-02", "2026-11-08"),
        filters=(Filter(dimension="channel", values=("'; DROP TABLE orders; --",)),),
    )

    revenue, orders = MetricsLayer(catalog).run(tiny, query).totals

    assert revenue.value == 0.0 and orders.value == 0.0
    assert tiny.execute("SELECT count(*) FROM orders").fetchall() == [(3,)]


def test_ratios_over_zero_are_none_and_explain_shows_the_formula_and_sql(
    catalog: MetricCatalog, tiny: duckdb.DuckDBPyConnection
) -> None:
    layer = MetricsLayer(catalog)
    query = MetricQuery(metrics=("aov", "cac"), period=_range("2026-11-09", "2026-11-15"))

    aov, cac = layer.run(tiny, query).totals
    explained = layer.explain(query)

    assert aov.value is None and cac.value is None
    assert aov.previous == pytest.approx(50.0) and aov.change is None
    assert explained[0].formula == "Revenue ÷ Orders"
    assert explained[0].definition == catalog.get("aov").description
    (statement,) = explained[0].statements
    assert "sum(orders.amount)" in statement.sql
    assert statement.parameters["bucket_start"] == "[2026-11-09, 2026-11-02]"


def test_a_named_period_is_the_comparison_and_must_be_named(catalog: MetricCatalog) -> None:
    october, august = _range("2026-10-01", "2026-10-31"), _range("2026-08-01", "2026-08-31")
    query = MetricQuery(metrics=("revenue",), period=october, compare="period", compare_to=august)

    buckets = compile_query(catalog, query).buckets

    assert [buckets.ranges[i] for i in buckets.comparison] == [august]
    with pytest.raises(ValueError, match="compare_to"):
        MetricQuery(metrics=("revenue",), period=october, compare="period")
    with pytest.raises(ValueError, match="compare_to"):
        MetricQuery(metrics=("revenue",), period=october, compare_to=august)
