"""Each customer's order history as of a date, in one pass over the orders table.

Every insights tool starts here: RFM scoring needs recency, order count and revenue (the
``PurchaseTotals``); the BG/NBD and Gamma-Gamma models need the repeat-purchase summary
(frequency, recency, T) and the average order value; cohort retention needs the calendar months
with an order (the whole ``CustomerHistory``). Time is measured in whole **days** (months for
cohorts); an as-of date ignores every later order.

A purchase is an order: two orders on one day are two purchases (as the sample company draws
them). Counting distinct order days instead would cost a second aggregation over the orders.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np

from agents.insights._exceptions import NoOrdersError


@dataclass(frozen=True, slots=True, eq=False)
class PurchaseTotals:
    """What RFM scoring needs: per-customer arrays (aligned, one entry per customer with an order
    on or before as_of).

    - ``days_since_last_order``: as_of minus the last order date (RFM recency; 0 = bought today).
    - ``orders``: orders placed (RFM frequency); ``revenue``: money paid (RFM monetary).
    """

    as_of: date
    customer_id: np.ndarray
    days_since_last_order: np.ndarray
    orders: np.ndarray
    revenue: np.ndarray

    def __len__(self) -> int:
        return int(self.customer_id.size)


@dataclass(frozen=True, slots=True, eq=False)
class CustomerHistory(PurchaseTotals):
    """The purchase totals and what the churn and cohort models need besides (aligned arrays):

    - ``first_to_last_days``: last minus first order day (BG/NBD recency ``t_x``).
    - ``age_days``: as_of minus the first order day (BG/NBD ``T``).
    - ``months_since_first_order``: calendar months from the first order's month to as_of's.
    - ``active_months``: (customers × words) int64 bit masks; bit ``j`` of word ``w`` is set when
      the customer ordered in the calendar month ``63·w + j`` months before as_of's month.
    """

    first_to_last_days: np.ndarray
    age_days: np.ndarray
    months_since_first_order: np.ndarray
    active_months: np.ndarray

    @property
    def repeat_orders(self) -> np.ndarray:
        """Orders after the first: the BG/NBD frequency ``x``."""
        return self.orders - 1

    @property
    def average_order_value(self) -> np.ndarray:
        """Revenue per order, the Gamma-Gamma model's observed mean spend."""
        return self.revenue / self.orders


# Bits per month-mask word: 1 << 63 overflows a signed BIGINT.
MONTHS_PER_WORD = 63
# DuckDB groups by a key whose range (from the column's statistics) fits in this many bits with
# a table indexed by the key instead of a hash table: its default, 12 bits, is 4,096 customers.
# Dense customer ids up to two million group this way, a third less CPU than hashing them.
_PERFECT_HASH_BITS = 21

_HISTORY_COLUMNS = """($as_of - max(order_date))::INTEGER AS days_since_last_order,
       count(*)::INTEGER AS orders,
       sum(amount) AS paid,
       (max(order_date) - min(order_date))::INTEGER AS first_to_last_days,
       ($as_of - min(order_date))::INTEGER AS age_days,
       datediff('month', min(order_date), $as_of)::INTEGER AS months_since_first_order"""
_MONTH_WORD_SQL = """bit_or(CASE
              WHEN datediff('month', order_date, $as_of) // {per_word} = {word}
              THEN 1::BIGINT << (datediff('month', order_date, $as_of) % {per_word})
              ELSE 0::BIGINT END) AS months_{word}"""
_ONE_MONTH_WORD_SQL = "bit_or(1::BIGINT << datediff('month', order_date, $as_of)) AS months_0"
# An earlier date's totals: its last order is filtered in the one pass over every order; its
# order count and revenue are the history's less the orders after it, which a second, small
# aggregate over the last days counts (three filtered aggregates over every order cost a third
# more). Money stays DECIMAL until the subtraction, so the revenue is exactly the sum's.
_LAST_ORDER_SQL = "max(order_date) FILTER (WHERE order_date <= $earlier_{k}) AS last_order_{k}"
_LATER_SQL = """count(*) FILTER (WHERE order_date > $earlier_{k}) AS later_orders_{k},
       sum(amount) FILTER (WHERE order_date > $earlier_{k}) AS later_paid_{k}"""
_TOTALS_SQL = """($earlier_{k} - last_order_{k})::INTEGER AS days_since_last_order_{k},
       (orders - coalesce(later_orders_{k}, 0))::INTEGER AS orders_{k},
       (paid - coalesce(later_paid_{k}, 0))::DOUBLE AS revenue_{k}"""


def customer_history(connection: duckdb.DuckDBPyConnection, as_of: date) -> CustomerHistory:
    """Summarise every customer's orders on or before ``as_of`` (one aggregate query)."""
    history, _ = history_and_totals(connection, as_of, ())
    return history


def history_and_totals(
    connection: duckdb.DuckDBPyConnection, as_of: date, earlier: Sequence[date]
) -> tuple[CustomerHistory, list[PurchaseTotals]]:
    """Every customer's history as of ``as_of`` and her purchase totals as of each of the
    ``earlier`` dates, from one pass over the orders (and one over the orders after the
    earliest date): the digest's "now" and "a week ago" cost one scan of every order, not two.
    A customer whose first order comes after a date is not in that date's totals;
    ``NoOrdersError`` when a date has no orders at all."""
    if any(day >= as_of for day in earlier):
        raise ValueError("each earlier date must come before the as-of date")
    (first,) = connection.sql(
        "SELECT min(order_date) FROM orders WHERE order_date <= $as_of", params={"as_of": as_of}
    ).fetchall()
    for day in (as_of, *earlier):
        if first[0] is None or first[0] > day:
            raise NoOrdersError(f"no orders on or before {day.isoformat()}")
    span = (as_of.year - first[0].year) * 12 + as_of.month - first[0].month + 1
    words = -(-span // MONTHS_PER_WORD)
    dates = range(len(earlier))
    history_sql = [
        _HISTORY_COLUMNS,
        *(
            [_ONE_MONTH_WORD_SQL]
            if words == 1
            else [
                _MONTH_WORD_SQL.format(per_word=MONTHS_PER_WORD, word=word) for word in range(words)
            ]
        ),
        *(_LAST_ORDER_SQL.format(k=k) for k in dates),
    ]
    sql = (
        "WITH history AS (\n  SELECT customer_id,\n       "
        + ",\n       ".join(history_sql)
        + "\n  FROM orders WHERE order_date <= $as_of GROUP BY customer_id\n)"
    )
    if earlier:
        sql += (
            ", later AS (\n  SELECT customer_id,\n       "
            + ",\n       ".join(_LATER_SQL.format(k=k) for k in dates)
            + "\n  FROM orders WHERE order_date > $earliest AND order_date <= $as_of"
            + "\n  GROUP BY customer_id\n)"
        )
    # The query's columns are the history's and each earlier date's totals, by name.
    helpers = [
        f"{column}_{k}" for k in dates for column in ("last_order", "later_orders", "later_paid")
    ]
    sql += (
        "\nSELECT * EXCLUDE ("
        + ", ".join(["paid", *helpers])
        + "),\n       "
        + ",\n       ".join(["paid::DOUBLE AS revenue", *(_TOTALS_SQL.format(k=k) for k in dates)])
        + ("\nFROM history LEFT JOIN later USING (customer_id)" if earlier else "\nFROM history")
    )
    params: dict[str, object] = {f"earlier_{k}": day for k, day in enumerate(earlier)}
    params["as_of"] = as_of
    if earlier:
        params["earliest"] = min(earlier)
    connection.execute(f"SET perfect_ht_threshold = {_PERFECT_HASH_BITS}")
    try:
        columns = connection.sql(sql, params=params).fetchnumpy()
    finally:
        connection.execute("RESET perfect_ht_threshold")
    customer_id = np.asarray(columns["customer_id"], dtype=np.int64)

    def column(name: str) -> np.ndarray:
        return np.asarray(columns[name], dtype=np.int64)

    history = CustomerHistory(
        as_of=as_of,
        customer_id=customer_id,
        days_since_last_order=column("days_since_last_order"),
        orders=column("orders"),
        revenue=np.asarray(columns["revenue"], dtype=np.float64),
        first_to_last_days=column("first_to_last_days"),
        age_days=column("age_days"),
        months_since_first_order=column("months_since_first_order"),
        active_months=np.column_stack([column(f"months_{word}") for word in range(words)]),
    )
    return history, [_totals(columns, customer_id, k, day) for k, day in enumerate(earlier)]


def _totals(
    columns: dict[str, np.ndarray], customer_id: np.ndarray, k: int, day: date
) -> PurchaseTotals:
    """The ``k``-th earlier date's totals out of the joint query's columns: its customers only."""
    orders = np.asarray(columns[f"orders_{k}"], dtype=np.int64)
    kept = orders > 0
    return PurchaseTotals(
        as_of=day,
        customer_id=customer_id[kept],
        days_since_last_order=np.asarray(columns[f"days_since_last_order_{k}"], dtype=np.int64)[
            kept
        ],
        orders=orders[kept],
        revenue=np.asarray(columns[f"revenue_{k}"], dtype=np.float64)[kept],
    )


def last_order_date(connection: duckdb.DuckDBPyConnection) -> date:
    """The date of the warehouse's most recent order: the default as-of date."""
    (row,) = connection.sql("SELECT max(order_date) FROM orders").fetchall()
    if row[0] is None:
        raise NoOrdersError("the warehouse has no orders")
    last: date = row[0]
    return last
