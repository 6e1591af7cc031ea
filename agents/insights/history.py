"""Each customer's order history as of a date, in one pass over the orders table.

Every insights tool starts here: RFM scoring needs recency, order count and revenue; the BG/NBD
and Gamma-Gamma models need the repeat-purchase summary (frequency, recency, T) and the average
order value; cohort retention needs the calendar months with an order. Time is measured in whole
**days** (months for cohorts); an as-of date ignores every later order.

A purchase is an order: two orders on one day are two purchases (as the sample company draws
them). Counting distinct order days instead would cost a second aggregation over the orders.
"""

from __future__ import annotations

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

_HISTORY_SQL = """
SELECT customer_id,
       ($as_of - max(order_date))::INTEGER AS days_since_last_order,
       count(*)::INTEGER AS orders,
       sum(amount)::DOUBLE AS revenue,
       (max(order_date) - min(order_date))::INTEGER AS first_to_last_days,
       ($as_of - min(order_date))::INTEGER AS age_days,
       datediff('month', min(order_date), $as_of)::INTEGER AS months_since_first_order,
       {month_words}
FROM orders
WHERE order_date <= $as_of
GROUP BY customer_id
"""
_MONTH_WORD_SQL = """bit_or(CASE WHEN datediff('month', order_date, $as_of) // {per_word} = {word}
              THEN 1::BIGINT << (datediff('month', order_date, $as_of) % {per_word})
              ELSE 0::BIGINT END) AS months_{word}"""


def customer_history(connection: duckdb.DuckDBPyConnection, as_of: date) -> CustomerHistory:
    """Summarise every customer's orders on or before ``as_of`` (one aggregate query)."""
    (first,) = connection.sql(
        "SELECT min(order_date) FROM orders WHERE order_date <= $as_of", params={"as_of": as_of}
    ).fetchall()
    if first[0] is None:
        raise NoOrdersError(f"no orders on or before {as_of.isoformat()}")
    span = (as_of.year - first[0].year) * 12 + as_of.month - first[0].month + 1
    words = -(-span // MONTHS_PER_WORD)
    if words == 1:
        month_words = "bit_or(1::BIGINT << datediff('month', order_date, $as_of)) AS months_0"
    else:
        month_words = ",\n       ".join(
            _MONTH_WORD_SQL.format(per_word=MONTHS_PER_WORD, word=word) for word in range(words)
        )
    sql = _HISTORY_SQL.format(month_words=month_words)
    columns = connection.sql(sql, params={"as_of": as_of}).fetchnumpy()
    return CustomerHistory(
        as_of=as_of,
        customer_id=np.asarray(columns["customer_id"], dtype=np.int64),
        days_since_last_order=np.asarray(columns["days_since_last_order"], dtype=np.int64),
        orders=np.asarray(columns["orders"], dtype=np.int64),
        revenue=np.asarray(columns["revenue"], dtype=np.float64),
        first_to_last_days=np.asarray(columns["first_to_last_days"], dtype=np.int64),
        age_days=np.asarray(columns["age_days"], dtype=np.int64),
        months_since_first_order=np.asarray(columns["months_since_first_order"], dtype=np.int64),
        active_months=np.column_stack(
            [np.asarray(columns[f"months_{word}"], dtype=np.int64) for word in range(words)]
        ),
    )


def last_order_date(connection: duckdb.DuckDBPyConnection) -> date:
    """The date of the warehouse's most recent order: the default as-of date."""
    (row,) = connection.sql("SELECT max(order_date) FROM orders").fetchall()
    if row[0] is None:
        raise NoOrdersError("the warehouse has no orders")
    last: date = row[0]
    return last
