"""Each customer's order history as of a date, in one pass over the orders table.

Every insights tool starts here: RFM scoring needs recency, order count and revenue; the BG/NBD
and Gamma-Gamma models need the repeat-purchase summary (frequency, recency, T) and the average
order value; cohort retention needs the calendar months with an order. Time is measured in whole
**days** (months for cohorts); an as-of date ignores every later order.

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
class CustomerHistory:
    """Per-customer arrays (aligned, one entry per customer with an order on or before as_of).

    - ``days_since_last_order``: as_of minus the last order date (RFM recency; 0 = bought today).
    - ``orders``: orders placed (RFM frequency); ``revenue``: money paid (RFM monetary).
    - ``first_to_last_days``: last minus first order day (BG/NBD recency ``t_x``).
    - ``age_days``: as_of minus the first order day (BG/NBD ``T``).
    - ``months_since_first_order``: calendar months from the first order's month to as_of's.
    - ``active_months``: (customers × words) int64 bit masks; bit ``j`` of word ``w`` is set when
      the customer ordered in the calendar month ``63·w + j`` months before as_of's month.
    """

    as_of: date
    customer_id: np.ndarray
    days_since_last_order: np.ndarray
    orders: np.ndarray
    revenue: np.ndarray
    first_to_last_days: np.ndarray
    age_days: np.ndarray
    months_since_first_order: np.ndarray
    active_months: np.ndarray

    def __len__(self) -> int:
        return int(self.customer_id.size)

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

_HISTORY_COLUMNS = """($as_of_{k} - max(order_date) FILTER (WHERE order_date <= $as_of_{k}))
           ::INTEGER AS days_since_last_order_{k},
       count(*) FILTER (WHERE order_date <= $as_of_{k})::INTEGER AS orders_{k},
       sum(amount) FILTER (WHERE order_date <= $as_of_{k})::DOUBLE AS revenue_{k},
       (max(order_date) FILTER (WHERE order_date <= $as_of_{k}) - min(order_date))::INTEGER
           AS first_to_last_days_{k},
       ($as_of_{k} - min(order_date))::INTEGER AS age_days_{k},
       datediff('month', min(order_date), $as_of_{k})::INTEGER AS months_since_first_order_{k}"""
_MONTH_WORD_SQL = """bit_or(CASE
              WHEN order_date <= $as_of_{k}
               AND datediff('month', order_date, $as_of_{k}) // {per_word} = {word}
              THEN 1::BIGINT << (datediff('month', order_date, $as_of_{k}) % {per_word})
              ELSE 0::BIGINT END) AS months_{k}_{word}"""
_ONE_MONTH_WORD_SQL = """bit_or(CASE WHEN order_date <= $as_of_{k}
              THEN 1::BIGINT << datediff('month', order_date, $as_of_{k})
              ELSE 0::BIGINT END) AS months_{k}_0"""


def customer_history(connection: duckdb.DuckDBPyConnection, as_of: date) -> CustomerHistory:
    """Summarise every customer's orders on or before ``as_of`` (one aggregate query)."""
    (history,) = customer_histories(connection, (as_of,))
    return history


def customer_histories(
    connection: duckdb.DuckDBPyConnection, as_of: Sequence[date]
) -> list[CustomerHistory]:
    """Every customer's history as of each date in ``as_of``, from one pass over the orders:
    one GROUP BY whose aggregates are filtered per date (the digest's "now" and "a week ago"
    cost one scan and one hash table, not two). A customer whose first order comes after a
    date is not in that date's history; ``NoOrdersError`` when a date has no orders at all."""
    if not as_of:
        return []
    (first,) = connection.sql(
        "SELECT min(order_date) FROM orders WHERE order_date <= $as_of",
        params={"as_of": max(as_of)},
    ).fetchall()
    columns_sql, words = [], []
    for k, day in enumerate(as_of):
        if first[0] is None or first[0] > day:
            raise NoOrdersError(f"no orders on or before {day.isoformat()}")
        span = (day.year - first[0].year) * 12 + day.month - first[0].month + 1
        words.append(-(-span // MONTHS_PER_WORD))
        columns_sql.append(_HISTORY_COLUMNS.format(k=k))
        columns_sql.extend(
            [_ONE_MONTH_WORD_SQL.format(k=k)]
            if words[k] == 1
            else [
                _MONTH_WORD_SQL.format(k=k, per_word=MONTHS_PER_WORD, word=word)
                for word in range(words[k])
            ]
        )
    sql = (
        "SELECT customer_id,\n       "
        + ",\n       ".join(columns_sql)
        + "\nFROM orders\nWHERE order_date <= $latest\nGROUP BY customer_id"
    )
    params: dict[str, object] = {f"as_of_{k}": day for k, day in enumerate(as_of)}
    params["latest"] = max(as_of)
    columns = connection.sql(sql, params=params).fetchnumpy()
    return [_history(columns, k, day, words[k]) for k, day in enumerate(as_of)]


def _history(columns: dict[str, np.ndarray], k: int, as_of: date, words: int) -> CustomerHistory:
    """The ``k``-th date's history out of the joint query's columns: its customers only."""
    orders = np.asarray(columns[f"orders_{k}"], dtype=np.int64)
    kept = orders > 0

    def column(name: str) -> np.ndarray:
        return np.asarray(columns[name], dtype=np.int64)[kept]

    return CustomerHistory(
        as_of=as_of,
        customer_id=np.asarray(columns["customer_id"], dtype=np.int64)[kept],
        days_since_last_order=column(f"days_since_last_order_{k}"),
        orders=orders[kept],
        revenue=np.asarray(columns[f"revenue_{k}"], dtype=np.float64)[kept],
        first_to_last_days=column(f"first_to_last_days_{k}"),
        age_days=column(f"age_days_{k}"),
        months_since_first_order=column(f"months_since_first_order_{k}"),
        active_months=np.column_stack([column(f"months_{k}_{w}") for w in range(words)]),
    )


def last_order_date(connection: duckdb.DuckDBPyConnection) -> date:
    """The date of the warehouse's most recent order: the default as-of date."""
    (row,) = connection.sql("SELECT max(order_date) FROM orders").fetchall()
    if row[0] is None:
        raise NoOrdersError("the warehouse has no orders")
    last: date = row[0]
    return last
