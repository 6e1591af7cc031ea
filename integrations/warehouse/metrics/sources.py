"""The rows a metric aggregates: the warehouse tables (and one derived table) it may be built on.

Each source has one date column that places a row in a period, and the tables its expressions
and dimensions may name through a join on ``customer_id``. The catalog checks definitions
against these facts at start-up; the compiler builds each statement's FROM clause from them.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

# Each customer's first-ever order day: what "new" and "returning" are measured against,
# computed once with a GROUP BY.
FIRST_ORDERS_SQL = (
    "SELECT customer_id, min(order_date) AS first_order_date FROM orders GROUP BY customer_id"
)
_ORDERS_VERSION_SQL = "SELECT count(*), max(order_id) FROM orders"


def share_first_orders(connection: duckdb.DuckDBPyConnection) -> None:
    """Make ``first_orders`` a temporary table of ``connection``, built once and again only when
    the orders changed (their count or last id: imports append). Grouping every order takes
    0.2 s at 10M orders; a KPI pass has eight statements that read it."""
    (version,) = connection.execute(_ORDERS_VERSION_SQL).fetchall()
    try:
        kept = connection.execute("SELECT orders, last_order_id FROM first_orders_of").fetchall()
    except duckdb.CatalogException:
        kept = []
    if kept == [version]:
        return
    connection.execute(f"CREATE OR REPLACE TEMP TABLE first_orders AS {FIRST_ORDERS_SQL}")
    connection.execute(
        "CREATE OR REPLACE TEMP TABLE first_orders_of AS "
        "SELECT $orders::BIGINT AS orders, $last::BIGINT AS last_order_id",
        {"orders": version[0], "last": version[1]},
    )


@dataclass(frozen=True, slots=True)
class Join:
    """A table a source reaches, and the join that brings it in (only when a query names it)."""

    table: str
    sql: str


@dataclass(frozen=True, slots=True)
class Source:
    """A table metrics are aggregated over.

    ``date_column`` is the column that dates a row (a metric's definition names it too) and
    ``day`` the SQL for the calendar day it gives. ``weekly`` rows each cover seven
    days from ``day`` (marketing spend is recorded per week): a period takes the share of a row's
    days that fall inside it, so whole weeks are exact and a part-week gets an even share.
    """

    name: str
    date_column: str
    day: str
    joins: tuple[Join, ...] = ()
    weekly: bool = False

    @property
    def tables(self) -> frozenset[str]:
        """The tables whose columns an expression over this source may name."""
        return frozenset({self.name, *(join.table for join in self.joins)})


_CUSTOMERS = "customers"

SOURCES: dict[str, Source] = {
    source.name: source
    for source in (
        Source(
            "orders",
            date_column="orders.order_date",
            day="orders.order_date",
            joins=(
                Join(
                    _CUSTOMERS,
                    "LEFT JOIN customers ON customers.customer_id = orders.customer_id",
                ),
                Join(
                    "first_orders",
                    "LEFT JOIN first_orders ON first_orders.customer_id = orders.customer_id",
                ),
            ),
        ),
        Source(
            "first_orders",
            date_column="first_orders.first_order_date",
            day="first_orders.first_order_date",
            joins=(
                Join(
                    _CUSTOMERS,
                    "LEFT JOIN customers ON customers.customer_id = first_orders.customer_id",
                ),
            ),
        ),
        Source(
            "marketing_spend",
            date_column="marketing_spend.week_start",
            day="marketing_spend.week_start",
            weekly=True,
        ),
        Source(
            "support_tickets",
            date_column="support_tickets.created_at",
            day="CAST(support_tickets.created_at AS DATE)",
            joins=(
                Join(
                    _CUSTOMERS,
                    "LEFT JOIN customers ON customers.customer_id = support_tickets.customer_id",
                ),
            ),
        ),
    )
}
