"""RFM on hand-made data: recency, frequency and monetary by hand, each segment rule, movements."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pytest

import policies
from agents.insights import NoOrdersError
from agents.insights.history import (
    CustomerHistory,
    customer_history,
    history_and_totals,
    last_order_date,
)
from agents.insights.rfm import (
    NOT_YET_A_CUSTOMER,
    movements_between,
    quintile_scores,
    rfm_segments,
    score_rfm,
    segment_movements,
)
from integrations.warehouse.warehouse import create_schema
from policies import RFMPolicy

AS_OF = date(2026, 11, 22)


@pytest.fixture(scope="module")
def policy() -> RFMPolicy:
    return policies.load_policies(Path(policies.__file__).parent).rfm


def warehouse_with(orders: list[tuple[int, date, float]]) -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse holding just these (customer_id, order_date, amount) orders."""
    connection = duckdb.connect()
    create_schema(connection)
    connection.executemany(
        "INSERT INTO orders VALUES (?, ?, ?, ?, 0, 'Packs', 'direct')",
        [(i + 1, customer, day, amount) for i, (customer, day, amount) in enumerate(orders)],
    )
    return connection


def history_with_scores(
    rows: list[tuple[int, int, int]], as_of: date = AS_OF, ids: list[int] | None = None
) -> CustomerHistory:
    """Five customers whose R, F and M scores are exactly the given (R, F, M) triples.

    With five customers and distinct values, the quintile score of a value is its rank, so
    each score column must be a permutation of 1..5.
    """
    r, f, m = (np.array(column) for column in zip(*rows, strict=True))
    for column in (r, f, m):
        assert sorted(column) == [1, 2, 3, 4, 5]
    n = len(rows)
    return CustomerHistory(
        as_of=as_of,
        customer_id=np.arange(1, n + 1) if ids is None else np.array(ids),
        days_since_last_order=(6 - r) * 30,
        orders=f * 2,
        revenue=m * 100.0,
        first_to_last_days=np.zeros(n, dtype=np.int64),
        age_days=np.full(n, 400),
        months_since_first_order=np.full(n, 13),
        active_months=np.ones((n, 1), dtype=np.int64),
    )


def segments_of(result: object) -> list[str]:
    return [str(s) for s in result.customers.column("segment").to_pylist()]  # type: ignore[attr-defined]


def test_a_customer_with_one_order_100_days_ago_has_recency_100() -> None:
    connection = warehouse_with([(7, AS_OF - timedelta(days=100), 25.0)])
    history = customer_history(connection, AS_OF)
    assert history.customer_id.tolist() == [7]
    assert history.days_since_last_order.tolist() == [100]
    assert history.orders.tolist() == [1]
    assert history.revenue.tolist() == [25.0]
    assert history.repeat_orders.tolist() == [0]
    assert history.first_to_last_days.tolist() == [0]
    assert history.age_days.tolist() == [100]


def test_history_counts_orders_revenue_and_the_repeat_summary_by_hand() -> None:
    connection = warehouse_with(
        [
            (1, date(2026, 1, 10), 10.0),
            (1, date(2026, 3, 1), 30.0),
            (1, date(2026, 3, 1), 5.5),  # two orders on one day are two purchases
            (2, date(2026, 11, 1), 40.0),
        ]
    )
    history = customer_history(connection, date(2026, 3, 31))
    assert history.customer_id.tolist() == [1]  # customer 2 has not ordered yet
    assert history.orders.tolist() == [3]
    assert history.revenue.tolist() == [45.5]
    assert history.days_since_last_order.tolist() == [30]
    assert history.repeat_orders.tolist() == [2]
    assert history.first_to_last_days.tolist() == [50]
    assert history.age_days.tolist() == [80]
    assert history.months_since_first_order.tolist() == [2]
    assert history.active_months.tolist() == [[0b101]]  # March (0 back) and January (2 back)


def test_orders_after_the_as_of_date_are_ignored() -> None:
    connection = warehouse_with([(1, date(2026, 1, 1), 10.0), (1, date(2026, 6, 1), 90.0)])
    early = customer_history(connection, date(2026, 5, 31))
    late = customer_history(connection, date(2026, 6, 1))
    assert (early.orders[0], early.revenue[0]) == (1, 10.0)
    assert (late.orders[0], late.revenue[0]) == (2, 100.0)
    assert last_order_date(connection) == date(2026, 6, 1)


def test_history_and_earlier_totals_from_one_query_equal_each_date_alone() -> None:
    # Across a month boundary (the month masks shift), over more than 63 months (two mask
    # words), and with a customer whose first order falls between the two dates.
    connection = warehouse_with(
        [
            (1, date(2020, 1, 15), 10.0),
            (1, date(2026, 5, 30), 20.0),
            (1, date(2026, 6, 2), 40.0),
            (2, date(2026, 5, 1), 5.0),
            (3, date(2026, 6, 1), 7.0),
            (3, date(2026, 6, 3), 8.0),
        ]
    )
    as_of, week_ago = date(2026, 6, 3), date(2026, 5, 31)
    history, (totals,) = history_and_totals(connection, as_of, (week_ago,))
    fields = ("customer_id", "days_since_last_order", "orders", "revenue")
    history_fields = (
        *fields,
        "first_to_last_days",
        "age_days",
        "months_since_first_order",
        "active_months",
    )
    for joint, day, compared in ((history, as_of, history_fields), (totals, week_ago, fields)):
        alone = customer_history(connection, day)
        order, alone_order = np.argsort(joint.customer_id), np.argsort(alone.customer_id)
        assert joint.as_of == alone.as_of == day
        for field in compared:
            got, want = getattr(joint, field)[order], getattr(alone, field)[alone_order]
            assert got.tolist() == want.tolist(), field
    assert sorted(totals.customer_id.tolist()) == [1, 2]


def test_earlier_totals_must_come_before_the_history_date() -> None:
    connection = warehouse_with([(1, date(2026, 1, 1), 10.0)])
    with pytest.raises(ValueError, match="before"):
        history_and_totals(connection, date(2026, 1, 1), (date(2026, 1, 1),))


def test_a_date_before_the_first_order_is_refused_as_no_orders() -> None:
    connection = warehouse_with([(1, date(2026, 1, 1), 10.0)])
    with pytest.raises(NoOrdersError, match="2025-12-31"):
        customer_history(connection, date(2025, 12, 31))


def test_quintile_scores_split_distinct_values_into_fifths() -> None:
    assert quintile_scores(np.arange(10)).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert quintile_scores([3.5, 1.0, 2.0, 5.0, 4.0]).tolist() == [3, 1, 2, 5, 4]


def test_quintile_scores_give_ties_the_same_lower_score() -> None:
    # Six one-time buyers out of ten all get F = 1, not a random split across 1-3.
    orders = [1, 1, 1, 1, 1, 1, 2, 3, 5, 8]
    assert quintile_scores(orders).tolist() == [1, 1, 1, 1, 1, 1, 4, 4, 5, 5]
    assert quintile_scores([2.5, 2.5, 2.5]).tolist() == [1, 1, 1]


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (
            [(5, 5, 5), (4, 4, 4), (3, 3, 3), (2, 2, 2), (1, 1, 1)],
            ["Champions", "Loyal Customers", "Need Attention", "Hibernating", "Lost"],
        ),
        (
            [(5, 1, 1), (4, 2, 2), (3, 4, 4), (2, 5, 5), (1, 3, 3)],
            [
                "New Customers",
                "Potential Loyalists",
                "Loyal Customers",
                "Can't Lose Them",
                "At Risk",
            ],
        ),
        (
            [(4, 1, 1), (3, 2, 2), (5, 3, 3), (2, 4, 4), (1, 5, 5)],
            ["Promising", "About To Sleep", "Potential Loyalists", "At Risk", "Can't Lose Them"],
        ),
    ],
)
def test_each_segment_rule_names_a_hand_built_customer(
    policy: RFMPolicy, rows: list[tuple[int, int, int]], expected: list[str]
) -> None:
    result = score_rfm(history_with_scores(rows), policy)
    assert result.customers.column("r_score").to_pylist() == [r for r, _, _ in rows]
    assert result.customers.column("f_score").to_pylist() == [f for _, f, _ in rows]
    assert segments_of(result) == expected


def test_fm_is_the_mean_of_f_and_m_rounded_half_up(policy: RFMPolicy) -> None:
    rows = [(5, 1, 2), (4, 2, 1), (3, 3, 5), (2, 5, 4), (1, 4, 3)]
    result = score_rfm(history_with_scores(rows), policy)
    assert result.customers.column("fm_score").to_pylist() == [2, 2, 4, 5, 4]
    assert segments_of(result) == [
        "Potential Loyalists",  # R5 FM2
        "Potential Loyalists",  # R4 FM2
        "Loyal Customers",  # R3 FM4
        "Can't Lose Them",  # R2 FM5
        "At Risk",  # R1 FM4
    ]


def test_segment_summaries_count_customers_and_revenue_share(policy: RFMPolicy) -> None:
    rows = [(5, 5, 5), (4, 4, 4), (3, 3, 3), (2, 2, 2), (1, 1, 1)]
    result = score_rfm(history_with_scores(rows), policy)
    by_name = {s.segment: s for s in result.segments}
    assert [s.segment for s in result.segments] == list(policy.segment_names)
    assert by_name["Champions"].customers == 1
    assert by_name["Champions"].revenue == 500.0
    assert by_name["Champions"].revenue_share == pytest.approx(500 / 1500)
    assert by_name["Lost"].mean_days_since_last_order == 150
    assert by_name["New Customers"].customers == 0
    assert sum(s.customer_share for s in result.segments) == pytest.approx(1.0)


def test_movements_between_two_dates_name_who_moved_where(policy: RFMPolicy) -> None:
    start = score_rfm(
        history_with_scores(
            [(5, 5, 5), (4, 4, 4), (3, 3, 3), (2, 2, 2), (1, 1, 1)], AS_OF - timedelta(days=7)
        ),
        policy,
    )
    end = score_rfm(
        history_with_scores([(1, 5, 5), (2, 4, 4), (3, 3, 3), (5, 2, 2), (4, 1, 1)]), policy
    )
    movements = movements_between(start, end)
    assert {(m.from_segment, m.to_segment, m.customers) for m in movements.changes} == {
        ("Champions", "Can't Lose Them", 1),
        ("Loyal Customers", "At Risk", 1),
        ("Hibernating", "Potential Loyalists", 1),
        ("Lost", "Promising", 1),
    }
    assert len(movements.moves) == 5  # Need Attention stayed put
    assert movements.movers("Loyal Customers", "At Risk").tolist() == [2]


def test_movements_match_customers_by_id_however_sparse_the_ids(policy: RFMPolicy) -> None:
    ids = [10**12, 42, 7, 10**15, 3]
    start = score_rfm(
        history_with_scores(
            [(5, 5, 5), (4, 4, 4), (3, 3, 3), (2, 2, 2), (1, 1, 1)], AS_OF - timedelta(days=7), ids
        ),
        policy,
    )
    end = score_rfm(
        history_with_scores([(1, 5, 5), (2, 4, 4), (3, 3, 3), (5, 2, 2), (4, 1, 1)], AS_OF, ids),
        policy,
    )
    movements = movements_between(start, end)
    assert movements.movers("Champions", "Can't Lose Them").tolist() == [10**12]
    assert movements.movers("Lost", "Promising").tolist() == [3]


def test_movements_on_warehouse_data_mark_new_customers(policy: RFMPolicy) -> None:
    connection = warehouse_with(
        [
            (1, date(2026, 1, 5), 50.0),
            (2, date(2026, 2, 5), 20.0),
            (2, date(2026, 11, 20), 20.0),
            (3, date(2026, 11, 21), 80.0),
        ]
    )
    movements = segment_movements(connection, policy, start=date(2026, 11, 15), end=AS_OF)
    table = movements.customers.to_pydict()
    from_segment = dict(zip(table["customer_id"], table["from_segment"], strict=True))
    assert from_segment[3] == NOT_YET_A_CUSTOMER
    assert from_segment[1] != NOT_YET_A_CUSTOMER
    assert sum(m.customers for m in movements.moves) == 3
    with pytest.raises(ValueError, match="before"):
        segment_movements(connection, policy, start=AS_OF, end=date(2026, 11, 15))


def test_rfm_on_the_sample_company_puts_every_customer_in_one_segment(
    sample_warehouse_file: Path, policy: RFMPolicy
) -> None:
    with duckdb.connect(str(sample_warehouse_file), read_only=True) as connection:
        result = rfm_segments(connection, last_order_date(connection), policy)
        (buyers,) = connection.sql("SELECT count(DISTINCT customer_id) FROM orders").fetchall()
    assert result.customers.num_rows == buyers[0]
    assert sum(s.customers for s in result.segments) == buyers[0]
    assert sum(s.revenue_share for s in result.segments) == pytest.approx(1.0)
    champions = next(s for s in result.segments if s.segment == "Champions")
    lost = next(s for s in result.segments if s.segment == "Lost")
    assert champions.mean_revenue > lost.mean_revenue
    assert champions.mean_days_since_last_order < lost.mean_days_since_last_order
