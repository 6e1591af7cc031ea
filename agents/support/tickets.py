"""Support volume for a week: tickets, topics, escalations and time to resolve, from the metrics
layer (``metrics.yaml`` defines each figure once: ``ask`` states the same numbers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb

from integrations.warehouse.metrics import DateRange, MetricCatalog, MetricQuery, MetricsLayer

_METRICS = ("tickets", "escalated_tickets", "escalation_rate", "time_to_resolve")


@dataclass(frozen=True, slots=True)
class TicketWeek:
    """Tickets opened in the week starting ``week_start`` (a Monday), and the week before's
    count and escalation rate (None before the data starts)."""

    week_start: date
    tickets: int
    previous_tickets: int | None
    escalated: int
    escalation_rate: float | None
    previous_escalation_rate: float | None
    median_hours_to_resolve: float | None
    by_topic: tuple[tuple[str, int], ...]  # most frequent first


def ticket_week(
    connection: duckdb.DuckDBPyConnection, week_start: date, *, layer: MetricsLayer | None = None
) -> TicketWeek:
    """Support figures of one week (Monday to Sunday), by ``layer`` (default: the shipped
    catalog's), against the week before."""
    layer = layer or MetricsLayer(MetricCatalog.load())
    week = DateRange(start=week_start, end=week_start + timedelta(days=6))
    result = layer.run(connection, MetricQuery(metrics=_METRICS, period=week, by="topic"))
    tickets, escalated, rate, hours = result.totals
    topics = [(row.dimension_value, int(row.values[0].value or 0)) for row in result.breakdown]
    return TicketWeek(
        week_start=week_start,
        tickets=int(tickets.value or 0),
        previous_tickets=None if tickets.previous is None else int(tickets.previous),
        escalated=int(escalated.value or 0),
        escalation_rate=rate.value,
        previous_escalation_rate=rate.previous,
        median_hours_to_resolve=hours.value,
        by_topic=tuple(sorted(((t, n) for t, n in topics if n), key=lambda t: (-t[1], t[0]))),
    )
