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

# One as-of day's columns. The query reads the orders up to the last day asked; an earlier day's
# aggregates keep only its own orders ({kept}: FILTER on $day_N), so several days share one scan
# and one GROUP BY. A customer with no order by that day has orders_N 0 and is dropped.
_DAY_SQL = """count(*) {kept}::INTEGER AS orders_{n},
       coalesce(($day_{n} - max(order_date) {kept})::INTEGER, 0) AS days_since_last_order_{n},
       coalesce(sum(amount) {kept}, 0)::DOUBLE AS revenue_{n},
       coalesce((max(order_date) {kept} - min(order_date))::INTEGER, 0)
           AS first_to_last_days_{n},
       ($day_{n} - min(order_date))::INTEGER AS age_days_{n},
       datediff('month', min(order_date), $day_{n})::INTEGER AS months_since_first_order_{n},
       {month_words}"""
_KEPT = "FILTER (WHERE order_date <= $day_{n})"
_MONTH_WORD_SQL = """coalesce(bit_or(
           1::BIGINT << (datediff('month', order_date, $day_{n}) % {per_word})
       ) FILTER (WHERE {kept}datediff('month', order_date, $day_{n}) // {per_word} = {word}), 0)
           AS months_{n}_{word}"""


def customer_history(connection: duckdb.DuckDBPyConnection, as_of: date) -> CustomerHistory:
    """Summarise every customer's orders on or before ``as_of`` (one aggregate query)."""
    (history,) = customer_histories(connection, as_of)
    return history


def customer_histories(connection: duckdb.DuckDBPyConnection, *days: date) -> list[CustomerHistory]:
    """Every customer's history as of each of ``days`` (the digest's today and a week ago), all
    from one pass over the orders: at 10M orders a second pass costs 0.45 s.

    Raises ``NoOrdersError`` when one of the days has no order on or before it."""
    last = max(days)
    (first,) = connection.sql(
        "SELECT min(order_date) FROM orders WHERE order_date <= $last", params={"last": last}
    ).fetchall()
    if first[0] is None or first[0] > min(days):
        raise NoOrdersError(f"no orders on or before {min(days).isoformat()}")
    words = [_month_words(first[0], day) for day in days]
    selected = ",\n       ".join(
        _DAY_SQL.format(
            n=n,
            kept="" if day == last else _KEPT.format(n=n),
            month_words=",\n       ".join(
                _MONTH_WORD_SQL.format(
                    n=n,
                    kept="" if day == last else f"order_date <= $day_{n} AND ",
                    per_word=MONTHS_PER_WORD,
                    word=word,
                )
                for word in range(count)
            ),
        )
        for n, (day, count) in enumerate(zip(days, words, strict=True))
    )
    sql = (
        f"SELECT customer_id,\n       {selected}\nFROM orders\n"
        "WHERE order_date <= $last\nGROUP BY customer_id"
    )
    parameters: dict[str, object] = {f"day_{n}": day for n, day in enumerate(days)}
    columns = connection.sql(sql, params=parameters | {"last": last}).fetchnumpy()
    return [
        _history(columns, n, day, count)
        for n, (day, count) in enumerate(zip(days, words, strict=True))
    ]


def _month_words(first: date, day: date) -> int:
    """Mask words for the calendar months from ``first``'s to ``day``'s."""
    span = (day.year - first.year) * 12 + day.month - first.month + 1
    return -(-span // MONTHS_PER_WORD)


def _history(columns: dict[str, np.ndarray], n: int, day: date, words: int) -> CustomerHistory:
    """Day ``n``'s columns, for the customers who had ordered by then."""
    kept = np.asarray(columns[f"orders_{n}"]) > 0

    def column(name: str, dtype: type) -> np.ndarray:
        return np.asarray(columns[name], dtype=dtype)[kept]

    return CustomerHistory(
        as_of=day,
        customer_id=column("customer_id", np.int64),
        days_since_last_order=column(f"days_since_last_order_{n}", np.int64),
        orders=column(f"orders_{n}", np.int64),
        revenue=column(f"revenue_{n}", np.float64),
        first_to_last_days=column(f"first_to_last_days_{n}", np.int64),
        age_days=column(f"age_days_{n}", np.int64),
        months_since_first_order=column(f"months_since_first_order_{n}", np.int64),
        active_months=np.column_stack(
            [column(f"months_{n}_{word}", np.int64) for word in range(words)]
        ),
    )


def last_order_date(connection: duckdb.DuckDBPyConnection) -> date:
    """The date of the warehouse's most recent order: the default as-of date."""
    (row,) = connection.sql("SELECT max(order_date) FROM orders").fetchall()
    if row[0] is None:
        raise NoOrdersError("the warehouse has no orders")
    last: date = row[0]
    return last
