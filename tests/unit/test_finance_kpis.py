"""Weekly KPIs on a warehouse small enough to count by hand.

Four customers, eight orders, four weeks of spend. The weeks (Mondays): W1 = 26 Oct, W2 = 2 Nov,
W3 = 9 Nov (no orders at all), W4 = 16 Nov 2026 (ends Sunday 22 Nov, the last day of data).
Customer 1 first ordered on 1 Sep, so the first complete week is the one of 7 Sep.

    W1: c1 100 email (returning), c2 60 paid_search (new, signed up via paid_search)
    W2: c2 40 email (returning)
    W3: nothing
    W4: c3 80 paid_social (new, paid_social) + c3 20 email, c1 150 direct (returning),
        c4 30 organic (new, organic)
    spend: W1 paid_search 60 · W2 paid_search 50 · W3 paid_search 50, paid_social 30 ·
           W4 paid_search 40, paid_social 20, email 10
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import duckdb
import pytest

from agents.finance import ChannelKpis, WeekNotInDataError, complete_weeks, weekly_kpis
from integrations.warehouse.metrics import MetricCatalog
from integrations.warehouse.warehouse import create_schema

CUSTOMERS = [
    (1, "paid_search"),
    (2, "paid_search"),
    (3, "paid_social"),
    (4, "organic"),
]
ORDERS = [
    (1, 1, "2026-09-01", 50.00, 0.00, "paid_search"),
    (2, 1, "2026-10-27", 100.00, 0.00, "email"),
    (3, 2, "2026-10-28", 60.00, 0.00, "paid_search"),
    (4, 2, "2026-11-03", 40.00, 0.00, "email"),
    (5, 3, "2026-11-16", 80.00, 20.00, "paid_social"),
    (6, 3, "2026-11-18", 20.00, 0.00, "email"),
    (7, 1, "2026-11-20", 150.00, 0.00, "direct"),
    (8, 4, "2026-11-22", 30.00, 0.00, "organic"),
]
SPEND = [
    ("2026-10-26", "paid_search", 60.00),
    ("2026-11-02", "paid_search", 50.00),
    ("2026-11-09", "paid_search", 50.00),
    ("2026-11-09", "paid_social", 30.00),
    ("2026-11-16", "paid_search", 40.00),
    ("2026-11-16", "paid_social", 20.00),
    ("2026-11-16", "email", 10.00),
]


@pytest.fixture
def warehouse() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    create_schema(connection)
    connection.executemany(
        "INSERT INTO customers VALUES (?, 'Ann', 'Lee', 'a@example.com', DATE '2026-09-01', ?, "
        "'US', true)",
        CUSTOMERS,
    )
    connection.executemany(
        "INSERT INTO orders VALUES (?, ?, ?::DATE, ?, ?, 'Packs', ?)",
        ORDERS,
    )
    connection.executemany(
        "INSERT INTO marketing_spend VALUES (?::DATE, ?, ?, 0, 0)",
        SPEND,
    )
    yield connection
    connection.close()


def _channel(kpis: list[ChannelKpis], name: str) -> ChannelKpis:
    return next(channel for channel in kpis if channel.channel == name)


def test_complete_weeks_run_from_the_first_full_week_to_the_last_sunday(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    weeks = complete_weeks(warehouse)

    assert (weeks.first, weeks.last) == (date(2026, 9, 7), date(2026, 11, 16))


def test_the_default_week_is_the_last_complete_one(warehouse: duckdb.DuckDBPyConnection) -> None:
    kpis = weekly_kpis(warehouse)

    assert (kpis.week_start, kpis.week_end) == (date(2026, 11, 16), date(2026, 11, 22))
    assert kpis.weeks_averaged == 4


def test_revenue_orders_and_aov_are_counted_by_hand(warehouse: duckdb.DuckDBPyConnection) -> None:
    kpis = weekly_kpis(warehouse, week=date(2026, 11, 19))

    assert kpis.revenue.value == pytest.approx(280.0)
    assert kpis.orders.value == 4
    assert kpis.average_order_value.value == pytest.approx(70.0)
    # four-week figures: revenue (160 + 40 + 0 + 280) / 4; AOV = 480 / 7 orders
    assert kpis.revenue.four_week_average == pytest.approx(120.0)
    assert kpis.orders.four_week_average == pytest.approx(1.75)
    assert kpis.average_order_value.four_week_average == pytest.approx(480 / 7)


def test_a_week_without_orders_gives_none_for_aov_and_no_change_ratio_after_it(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    kpis = weekly_kpis(warehouse)

    assert kpis.revenue.previous == 0.0
    assert kpis.revenue.change == pytest.approx(280.0)
    assert kpis.revenue.change_ratio is None
    assert kpis.average_order_value.previous is None
    assert kpis.average_order_value.change is None
    assert kpis.repeat_rate.previous is None


def test_new_and_returning_customers_and_repeat_rate(warehouse: duckdb.DuckDBPyConnection) -> None:
    kpis = weekly_kpis(warehouse)

    assert kpis.customers.value == 3
    assert kpis.new_customers.value == 2
    assert kpis.returning_customers.value == 1
    assert kpis.repeat_rate.value == pytest.approx(1 / 3)
    # four weeks: returning 1 + 1 + 0 + 1 over customers 2 + 1 + 0 + 3
    assert kpis.repeat_rate.four_week_average == pytest.approx(0.5)
    assert kpis.new_customers.four_week_average == pytest.approx(0.75)


def test_active_customers_count_orders_in_the_trailing_90_days(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    kpis = weekly_kpis(warehouse)

    active = MetricCatalog.load().sql_metric("active_customers")
    assert kpis.active_window_days == getattr(active, "window_days", None) == 90
    assert kpis.active_customers.value == 4
    assert kpis.active_customers.previous == 2
    assert kpis.active_customers.four_week_average == pytest.approx(2.5)


def test_week_over_week_change_and_four_week_average_of_an_earlier_week(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    kpis = weekly_kpis(warehouse, week=date(2026, 11, 4))

    assert kpis.week_start == date(2026, 11, 2)
    assert kpis.revenue.value == pytest.approx(40.0)
    assert kpis.revenue.previous == pytest.approx(160.0)
    assert kpis.revenue.change == pytest.approx(-120.0)
    assert kpis.revenue.change_ratio == pytest.approx(-0.75)
    assert kpis.revenue.four_week_average == pytest.approx((0 + 0 + 160 + 40) / 4)


def test_spend_blended_roas_and_blended_cac(warehouse: duckdb.DuckDBPyConnection) -> None:
    kpis = weekly_kpis(warehouse)

    assert kpis.marketing_spend.value == pytest.approx(70.0)
    assert kpis.marketing_spend.previous == pytest.approx(80.0)
    assert kpis.marketing_spend.change_ratio == pytest.approx(-0.125)
    assert kpis.marketing_spend.four_week_average == pytest.approx(65.0)
    assert kpis.blended_roas.value == pytest.approx(4.0)
    assert kpis.blended_roas.previous == pytest.approx(0.0)
    assert kpis.blended_cac.value == pytest.approx(35.0)
    assert kpis.blended_cac.previous is None  # spend but no new customers in W3


def test_roas_and_cac_by_channel(warehouse: duckdb.DuckDBPyConnection) -> None:
    channels = weekly_kpis(warehouse).channels

    social = _channel(channels, "paid_social")
    assert social.roas.value == pytest.approx(4.0)
    assert social.roas.previous == pytest.approx(0.0)
    assert social.roas.change == pytest.approx(4.0)
    assert social.roas.change_ratio is None
    assert social.cac.value == pytest.approx(20.0)
    assert social.cac.previous is None

    search = _channel(channels, "paid_search")
    assert search.roas.value == pytest.approx(0.0)
    assert search.cac.value is None
    assert search.roas.four_week_average == pytest.approx(60 / 200)
    assert search.cac.four_week_average == pytest.approx(200.0)

    email = _channel(channels, "email")
    assert email.roas.value == pytest.approx(2.0)
    assert email.roas.four_week_average == pytest.approx(160 / 10)
    assert email.cac.value is None


def test_a_channel_without_spend_has_no_roas_or_cac(warehouse: duckdb.DuckDBPyConnection) -> None:
    channels = weekly_kpis(warehouse).channels

    organic = _channel(channels, "organic")
    assert organic.spend.value == 0.0
    assert organic.attributed_revenue.value == pytest.approx(30.0)
    assert organic.new_customers.value == 1
    assert organic.roas.value is None
    assert organic.cac.value is None
    assert _channel(channels, "direct").roas.value is None
    assert [c.channel for c in channels][:2] == ["paid_search", "paid_social"]


def test_the_first_week_has_no_previous_week_and_nothing_divides_by_zero(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    kpis = weekly_kpis(warehouse, week=date(2026, 9, 7))

    assert kpis.weeks_averaged == 1
    assert kpis.revenue.value == 0.0
    assert kpis.revenue.previous is None
    assert kpis.average_order_value.value is None
    assert kpis.marketing_spend.value == 0.0
    assert kpis.blended_roas.value is None
    assert kpis.blended_cac.value is None
    assert kpis.channels == []


@pytest.mark.parametrize("day", [date(2026, 8, 31), date(2026, 11, 23)])
def test_a_week_that_is_not_complete_in_the_data_is_refused_with_the_range(
    warehouse: duckdb.DuckDBPyConnection, day: date
) -> None:
    with pytest.raises(WeekNotInDataError, match="choose a day from 2026-09-07 to 2026-11-22"):
        weekly_kpis(warehouse, week=day)
