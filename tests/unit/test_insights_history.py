"""Customer histories as of several days from one pass, against a plain reading of the orders.

An in-memory warehouse with eight years of orders (more months than one 63-bit mask word holds)
for a few hundred customers, some of whom first order between the two days.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta

import duckdb
import numpy as np
import pytest

from agents.insights._exceptions import NoOrdersError
from agents.insights.history import (
    MONTHS_PER_WORD,
    CustomerHistory,
    customer_histories,
    customer_history,
)

TODAY = date(2026, 11, 29)
WEEK_AGO = TODAY - timedelta(days=7)
START = date(2018, 6, 1)

Order = tuple[int, date, float]


@pytest.fixture(scope="module")
def orders() -> list[Order]:
    draw = random.Random(7)
    span = (TODAY - START).days
    made = [
        (customer, START + timedelta(days=draw.randrange(span + 1)), round(draw.uniform(5, 300), 2))
        for customer in range(1, 301)
        for _ in range(draw.randrange(1, 12))
    ]
    made += [(999, TODAY - timedelta(days=2), 40.0)]  # a first order after the earlier day
    return made


@pytest.fixture(scope="module")
def connection(orders: list[Order]) -> duckdb.DuckDBPyConnection:
    db = duckdb.connect()
    db.execute("CREATE TABLE orders (customer_id BIGINT, order_date DATE, amount DECIMAL(10,2))")
    db.executemany("INSERT INTO orders VALUES (?, ?, ?)", orders)
    return db


def _months(earlier: date, later: date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def _expected(orders: list[Order], day: date) -> dict[int, tuple[int, ...]]:
    """Each customer's figures as of ``day``, and the months with an order, read in Python."""
    by_customer: dict[int, list[Order]] = defaultdict(list)
    for order in orders:
        if order[1] <= day:
            by_customer[order[0]].append(order)
    expected = {}
    for customer, own in by_customer.items():
        days = [d for _, d, _ in own]
        months = {_months(d, day) for d in days}
        expected[customer] = (
            (day - max(days)).days,
            len(own),
            round(sum(a for *_, a in own), 2),
            (max(days) - min(days)).days,
            (day - min(days)).days,
            _months(min(days), day),
            *sorted(months),
        )
    return expected


def _read(history: CustomerHistory) -> dict[int, tuple[int, ...]]:
    found = {}
    for i, customer in enumerate(history.customer_id.tolist()):
        masks = history.active_months[i].tolist()
        months = [
            word * MONTHS_PER_WORD + bit
            for word, mask in enumerate(masks)
            for bit in range(MONTHS_PER_WORD)
            if mask >> bit & 1
        ]
        found[customer] = (
            int(history.days_since_last_order[i]),
            int(history.orders[i]),
            round(float(history.revenue[i]), 2),
            int(history.first_to_last_days[i]),
            int(history.age_days[i]),
            int(history.months_since_first_order[i]),
            *months,
        )
    return found


def test_two_days_from_one_pass_match_the_orders_read_day_by_day(
    connection: duckdb.DuckDBPyConnection, orders: list[Order]
) -> None:
    today, week_ago = customer_histories(connection, TODAY, WEEK_AGO)

    assert (today.as_of, week_ago.as_of) == (TODAY, WEEK_AGO)
    assert today.active_months.shape[1] > 1  # more months than one mask word holds
    assert _read(today) == _expected(orders, TODAY)
    assert _read(week_ago) == _expected(orders, WEEK_AGO)
    assert 999 in _read(today) and 999 not in _read(week_ago)


def test_one_day_is_the_same_history_as_in_a_pair(connection: duckdb.DuckDBPyConnection) -> None:
    alone = customer_history(connection, WEEK_AGO)
    (_, paired) = customer_histories(connection, TODAY, WEEK_AGO)

    assert np.array_equal(alone.customer_id, paired.customer_id)
    assert np.array_equal(alone.active_months, paired.active_months)
    assert np.array_equal(alone.revenue, paired.revenue)


def test_a_day_before_every_order_is_refused_by_name(
    connection: duckdb.DuckDBPyConnection,
) -> None:
    with pytest.raises(NoOrdersError, match="2017-01-01"):
        customer_histories(connection, TODAY, date(2017, 1, 1))
