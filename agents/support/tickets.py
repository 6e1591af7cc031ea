"""Support volume for a week: tickets, topics, escalations and time to resolve."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb


@dataclass(frozen=True, slots=True)
class TicketWeek:
    """Tickets opened in the week starting ``week_start`` (a Monday), and the week before."""

    week_start: date
    tickets: int
    previous_tickets: int
    escalated: int
    escalation_rate: float | None
    median_hours_to_resolve: float | None
    by_topic: tuple[tuple[str, int], ...]  # most frequent first


def ticket_week(connection: duckdb.DuckDBPyConnection, week_start: date) -> TicketWeek:
    """Support figures of one week (Monday to Sunday) from ``support_tickets``."""
    week_end = week_start + timedelta(days=7)
    previous_start = week_start - timedelta(days=7)
    (tickets, previous, escalated, median_hours), *_ = connection.execute(
        """
        SELECT count(*) FILTER (WHERE created_at >= $start AND created_at < $end),
               count(*) FILTER (WHERE created_at >= $previous AND created_at < $start),
               count(*) FILTER (WHERE created_at >= $start AND created_at < $end AND escalated),
               median(epoch(resolved_at - created_at) / 3600.0)
                   FILTER (WHERE created_at >= $start AND created_at < $end)
        FROM support_tickets
        """,
        {"start": week_start, "end": week_end, "previous": previous_start},
    ).fetchall()
    topics = connection.execute(
        """
        SELECT topic, count(*) AS n FROM support_tickets
        WHERE created_at >= $start AND created_at < $end
        GROUP BY topic ORDER BY n DESC, topic
        """,
        {"start": week_start, "end": week_end},
    ).fetchall()
    return TicketWeek(
        week_start=week_start,
        tickets=tickets,
        previous_tickets=previous,
        escalated=escalated,
        escalation_rate=escalated / tickets if tickets else None,
        median_hours_to_resolve=median_hours,
        by_topic=tuple((topic, n) for topic, n in topics),
    )
