"""The calendar the finance tools share: complete Monday–Sunday weeks and weekly revenue.

A week is identified by its Monday. A week is *complete* when the data covers all seven days: the
first complete week is the first one starting on or after the first order's day, the last is the
last one ending on or before the last order's day (the warehouse is taken to end on the day of its
last order).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import numpy as np
import numpy.typing as npt

from agents.finance._exceptions import NoCompleteWeekError, WeekNotInDataError

WEEK = timedelta(days=7)


def monday_of(day: date) -> date:
    """The Monday that starts ``day``'s week."""
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True, slots=True)
class CompleteWeeks:
    """The first and last complete weeks the warehouse holds orders for (their Mondays)."""

    first: date
    last: date

    @property
    def count(self) -> int:
        return (self.last - self.first).days // 7 + 1

    def week_of(self, day: date | None) -> date:
        """The Monday of ``day``'s week (default: the last complete week), checked to be here."""
        if day is None:
            return self.last
        monday = monday_of(day)
        if not self.first <= monday <= self.last:
            last_day = self.last + timedelta(days=6)
            raise WeekNotInDataError(
                f"the week of {monday:%Y-%m-%d} is not a complete week of the warehouse; "
                f"choose a day from {self.first:%Y-%m-%d} to {last_day:%Y-%m-%d}"
            )
        return monday


def complete_weeks(connection: duckdb.DuckDBPyConnection) -> CompleteWeeks:
    """The range of complete weeks, from the first and last order dates."""
    # fetchall, not fetchone: DuckDB 2 refuses the next statement while a result is open.
    (row,) = connection.execute("SELECT min(order_date), max(order_date) FROM orders").fetchall()
    if row[0] is None:
        raise NoCompleteWeekError("the warehouse has no orders: seed or import data first")
    first_order, last_order = row
    first = monday_of(first_order + timedelta(days=6))
    last = monday_of(last_order + timedelta(days=1)) - WEEK
    if first > last:
        raise NoCompleteWeekError(
            f"orders run from {first_order:%Y-%m-%d} to {last_order:%Y-%m-%d}: "
            "not one complete Monday–Sunday week"
        )
    return CompleteWeeks(first=first, last=last)


@dataclass(frozen=True, slots=True)
class WeeklyRevenue:
    """Revenue (sum of ``orders.amount``, after discounts) of consecutive weeks from ``first``.

    Weeks without orders are present with revenue 0, so index ``i`` is always week ``first + 7i``.
    """

    first: date
    revenue: npt.NDArray[np.float64]

    def __post_init__(self) -> None:
        if self.first.weekday() != 0:
            raise ValueError(f"weeks start on Mondays; {self.first} is not one")
        if self.revenue.ndim != 1:
            raise ValueError("revenue must be one value per week")

    @property
    def last(self) -> date:
        return self.first + WEEK * (len(self.revenue) - 1)

    @property
    def week_starts(self) -> list[date]:
        return [self.first + WEEK * i for i in range(len(self.revenue))]


def weekly_revenue(
    connection: duckdb.DuckDBPyConnection, *, through: date | None = None
) -> WeeklyRevenue:
    """Revenue of every complete week from the first through ``through``'s week (default: last)."""
    weeks = complete_weeks(connection)
    last = weeks.week_of(through)
    rows = connection.execute(
        """
        WITH calendar AS (
            SELECT unnest(generate_series($first, $last, INTERVAL 7 DAY))::DATE AS week_start
        ), revenue AS (
            SELECT date_trunc('week', order_date)::DATE AS week_start,
                   sum(amount)::DOUBLE AS revenue
            FROM orders
            WHERE order_date BETWEEN $first AND $last + INTERVAL 6 DAY
            GROUP BY 1
        )
        SELECT coalesce(revenue.revenue, 0.0) AS revenue
        FROM calendar LEFT JOIN revenue USING (week_start)
        ORDER BY week_start
        """,
        {"first": weeks.first, "last": last},
    ).fetchnumpy()
    return WeeklyRevenue(first=weeks.first, revenue=np.asarray(rows["revenue"], dtype=np.float64))
