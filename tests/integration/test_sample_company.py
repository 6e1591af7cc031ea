"""The sample company: deterministic, realistic, and safe to regenerate."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from integrations.warehouse import SampleCompanySpec, Warehouse, last_complete_week_end
from tests.conftest import SAMPLE_CUSTOMERS, SAMPLE_UNTIL

FINGERPRINT = """
SELECT count(*), sum(hash(customer_id, order_date, amount, discount, category, channel))
FROM orders
"""


def _fingerprint(warehouse: Warehouse) -> tuple[int, int]:
    with warehouse.connect() as connection:
        row = connection.execute(FINGERPRINT).fetchone()
    assert row is not None
    return row[0], row[1]


def test_the_same_seed_gives_the_same_company(tmp_path: Path, sample_warehouse: Warehouse) -> None:
    again = Warehouse(tmp_path / "again.duckdb")
    again.seed(SampleCompanySpec(customers=SAMPLE_CUSTOMERS, seed=42, until=SAMPLE_UNTIL))
    assert _fingerprint(again) == _fingerprint(sample_warehouse)


def test_another_seed_gives_another_company(tmp_path: Path, sample_warehouse: Warehouse) -> None:
    other = Warehouse(tmp_path / "other.duckdb")
    other.seed(SampleCompanySpec(customers=SAMPLE_CUSTOMERS, seed=7, until=SAMPLE_UNTIL))
    assert _fingerprint(other) != _fingerprint(sample_warehouse)


def test_the_default_company_has_about_fifty_thousand_orders_over_three_years(
    sample_warehouse: Warehouse,
) -> None:
    summary = sample_warehouse.summary()
    assert summary.customers == 5_000
    assert 40_000 <= summary.orders <= 60_000
    assert summary.last_order == SAMPLE_UNTIL
    assert (SAMPLE_UNTIL - summary.first_order).days == 1095
    assert [year.year for year in summary.by_year] == [2023, 2024, 2025, 2026]
    assert 0.6 < summary.marketing_opt_in_share < 0.75
    assert 60 < summary.revenue / summary.orders < 150


def test_customers_are_people_with_example_addresses(sample_warehouse: Warehouse) -> None:
    with sample_warehouse.connect() as connection:
        bad_emails, distinct_emails, channels, countries = connection.execute(
            """
            SELECT count(*) FILTER (WHERE NOT email LIKE '%_@example.com'),
                   count(DISTINCT email), count(DISTINCT signup_channel), count(DISTINCT country)
            FROM customers
            """
        ).fetchone()
    assert bad_emails == 0
    assert distinct_emails == SAMPLE_CUSTOMERS
    assert channels == 6
    assert countries == 5


def test_orders_are_consistent_with_customers(sample_warehouse: Warehouse) -> None:
    with sample_warehouse.connect() as connection:
        row = connection.execute(
            """
            SELECT count(*) FILTER (WHERE o.order_date < c.signup_date),
                   count(*) FILTER (WHERE o.amount <= 0 OR o.discount < 0),
                   count(*) FILTER (WHERE c.customer_id IS NULL),
                   count(DISTINCT o.order_id) = count(*),
                   (SELECT count(*) FROM customers c2 WHERE NOT EXISTS (
                        SELECT 1 FROM orders o2 WHERE o2.customer_id = c2.customer_id
                          AND o2.order_date = c2.signup_date))
            FROM orders o LEFT JOIN customers c USING (customer_id)
            """
        ).fetchone()
    before_signup, non_positive, orphans, unique_ids, no_first_order = row
    assert (before_signup, non_positive, orphans, no_first_order) == (0, 0, 0, 0)
    assert unique_ids


def test_order_ids_follow_the_calendar(sample_warehouse: Warehouse) -> None:
    with sample_warehouse.connect() as connection:
        out_of_order = connection.execute(
            """
            SELECT count(*) FROM (
                SELECT order_date < lag(order_date) OVER (ORDER BY order_id) AS back FROM orders
            ) WHERE back
            """
        ).fetchone()
    assert out_of_order == (0,)


def test_customers_differ_in_how_often_they_buy(sample_warehouse: Warehouse) -> None:
    with sample_warehouse.connect() as connection:
        one_time_share, p90 = connection.execute(
            """
            SELECT avg((n = 1)::INT), quantile_cont(n, 0.9)
            FROM (SELECT customer_id, count(*) AS n FROM orders GROUP BY 1)
            """
        ).fetchone()
    assert 0.1 < one_time_share < 0.35
    assert p90 >= 15


def test_the_holiday_season_sells_more_than_september(sample_warehouse: Warehouse) -> None:
    with sample_warehouse.connect() as connection:
        december, september = connection.execute(
            """
            SELECT sum(amount) FILTER (WHERE order_date BETWEEN '2025-12-01' AND '2025-12-31'),
                   sum(amount) FILTER (WHERE order_date BETWEEN '2025-09-01' AND '2025-09-30')
            FROM orders
            """
        ).fetchone()
    assert december > Decimal("1.3") * september


def test_black_friday_brings_discounts(sample_warehouse: Warehouse) -> None:
    with sample_warehouse.connect() as connection:
        black_friday, ordinary = connection.execute(
            """
            SELECT avg((discount > 0)::INT) FILTER (WHERE order_date BETWEEN '2025-11-27'
                                                             AND '2025-12-01'),
                   avg((discount > 0)::INT) FILTER (WHERE order_date BETWEEN '2025-10-01'
                                                         AND '2025-10-31')
            FROM orders
            """
        ).fetchone()
    assert black_friday > 0.4
    assert 0.05 < ordinary < 0.2


def test_marketing_spend_is_weekly_from_mondays_and_tracks_acquisition(
    sample_warehouse: Warehouse,
) -> None:
    with sample_warehouse.connect() as connection:
        not_monday, channels, search_cac = connection.execute(
            """
            SELECT (SELECT count(*) FROM marketing_spend WHERE isodow(week_start) <> 1),
                   (SELECT list(DISTINCT channel ORDER BY channel) FROM marketing_spend),
                   (SELECT sum(spend) FROM marketing_spend WHERE channel = 'paid_search')
                     / (SELECT count(*) FROM customers WHERE signup_channel = 'paid_search')
            """
        ).fetchone()
    assert not_monday == 0
    assert channels == ["affiliate", "email", "paid_search", "paid_social", "referral"]
    assert 30 < float(search_cac) < 46


def test_support_tickets_follow_orders_and_stay_inside_the_data(
    sample_warehouse: Warehouse,
) -> None:
    with sample_warehouse.connect() as connection:
        tickets, orphans, early, late, open_resolved = connection.execute(
            """
            SELECT count(*),
                   count(*) FILTER (WHERE o.order_id IS NULL),
                   count(*) FILTER (WHERE t.created_at < o.order_date),
                   count(*) FILTER (WHERE t.created_at >= DATE '2026-11-23'
                                       OR t.resolved_at >= DATE '2026-11-23'),
                   count(*) FILTER (WHERE (t.status = 'open') <> (t.resolved_at IS NULL))
            FROM support_tickets t LEFT JOIN orders o USING (order_id)
            """
        ).fetchone()
    assert 0.04 < tickets / 51_000 < 0.08
    assert (orphans, early, late, open_resolved) == (0, 0, 0, 0)


def test_an_interrupted_seed_leaves_the_previous_warehouse_as_it_was(
    sample_warehouse: Warehouse,
) -> None:
    before = _fingerprint(sample_warehouse)

    def interrupt(done: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sample_warehouse.seed(
            SampleCompanySpec(customers=200_000, seed=1, until=SAMPLE_UNTIL), on_progress=interrupt
        )
    assert _fingerprint(sample_warehouse) == before


def test_the_default_end_is_the_sunday_of_the_last_complete_week() -> None:
    assert last_complete_week_end(date(2026, 11, 24)) == date(2026, 11, 22)  # a Tuesday
    assert last_complete_week_end(date(2026, 11, 23)) == date(2026, 11, 22)  # a Monday
    assert last_complete_week_end(date(2026, 11, 22)) == date(2026, 11, 15)  # a Sunday
