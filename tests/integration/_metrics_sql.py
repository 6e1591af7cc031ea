"""Figures for the metrics layer tests, computed from the sample company in another way than the
compiler computes them: subqueries per figure, EXISTS for returning customers, marketing spend
expanded to days."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb

from integrations.warehouse.metrics import DateRange, MetricValue


def day_range(start: str, end: str) -> DateRange:
    return DateRange(start=date.fromisoformat(start), end=date.fromisoformat(end))


def monday_week(monday: date) -> DateRange:
    return DateRange(start=monday, end=monday + timedelta(days=6))


def by_metric(values: tuple[MetricValue, ...]) -> dict[str, MetricValue]:
    return {value.metric: value for value in values}


def divide_or_none(top: float, bottom: float, *, top_required: bool = False) -> float | None:
    return None if bottom == 0 or (top_required and top == 0) else top / bottom


def sql_figures(
    connection: duckdb.DuckDBPyConnection, period: DateRange
) -> dict[str, float | None]:
    """Every metric over ``period``, one subquery each (the test's own reading of the defs)."""
    (row,) = connection.execute(
        """
        SELECT
          (SELECT coalesce(sum(amount), 0)::DOUBLE FROM orders
            WHERE order_date BETWEEN $s AND $e),
          (SELECT count(*) FROM orders WHERE order_date BETWEEN $s AND $e),
          (SELECT count(DISTINCT customer_id) FROM orders WHERE order_date BETWEEN $s AND $e),
          (SELECT count(*) FROM (SELECT customer_id FROM orders GROUP BY customer_id
                                 HAVING min(order_date) BETWEEN $s AND $e)),
          (SELECT count(DISTINCT o.customer_id) FROM orders o
            WHERE o.order_date BETWEEN $s AND $e
              AND EXISTS (SELECT 1 FROM orders p
                          WHERE p.customer_id = o.customer_id AND p.order_date < $s)),
          (SELECT count(DISTINCT customer_id) FROM orders
            WHERE order_date > $e - 90 AND order_date <= $e),
          (SELECT coalesce(sum(spend / 7), 0)::DOUBLE FROM (
             SELECT spend, unnest(range(week_start, week_start + 7, INTERVAL 1 DAY))::DATE AS day
             FROM marketing_spend) WHERE day BETWEEN $s AND $e),
          (SELECT coalesce(sum(impressions / 7), 0)::DOUBLE FROM (
             SELECT impressions,
                    unnest(range(week_start, week_start + 7, INTERVAL 1 DAY))::DATE AS day
             FROM marketing_spend) WHERE day BETWEEN $s AND $e),
          (SELECT coalesce(sum(clicks / 7), 0)::DOUBLE FROM (
             SELECT clicks, unnest(range(week_start, week_start + 7, INTERVAL 1 DAY))::DATE AS day
             FROM marketing_spend) WHERE day BETWEEN $s AND $e),
          (SELECT count(*) FROM support_tickets
            WHERE created_at >= $s AND created_at < $e + 1),
          (SELECT count(*) FROM support_tickets
            WHERE created_at >= $s AND created_at < $e + 1 AND escalated),
          (SELECT quantile_cont(epoch(resolved_at - created_at) / 3600, 0.5) FROM support_tickets
            WHERE created_at >= $s AND created_at < $e + 1 AND resolved_at IS NOT NULL),
          (SELECT coalesce(sum(discount), 0)::DOUBLE FROM orders
            WHERE order_date BETWEEN $s AND $e)
        """,
        {"s": period.start, "e": period.end},
    ).fetchall()
    (revenue, orders, customers, new, returning, active, spend, impressions, clicks, tickets,
     escalated, hours, discount) = row  # fmt: skip
    return {
        "revenue": revenue,
        "orders": orders,
        "aov": divide_or_none(revenue, orders),
        "customers": customers,
        "new_customers": new,
        "returning_customers": returning,
        "repeat_rate": divide_or_none(returning, customers),
        "active_customers": active,
        "marketing_spend": spend,
        "roas": divide_or_none(revenue, spend),
        "cac": divide_or_none(spend, new, top_required=True),
        "impressions": impressions,
        "clicks": clicks,
        "tickets": tickets,
        "escalation_rate": divide_or_none(escalated, tickets),
        "time_to_resolve": hours,
        "discount_given": discount,
    }
