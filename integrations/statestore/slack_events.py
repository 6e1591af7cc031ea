"""Slack events already taken, by id: a retry of one (Slack re-sends an event it thinks was lost,
to any replica) is answered once, because taking an id is one atomic insert in the shared
database."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from integrations.statestore.records import insert_ignoring, now
from integrations.statestore.tables import slack_events

# Ids are pruned at most this often per store (one indexed DELETE), not on every event.
PRUNE_INTERVAL = timedelta(minutes=1)
KEY_LENGTH = 255  # the column's width


class SlackEventLog:
    """The ids of the Slack events this control room has taken, kept for a retention."""

    engine: Engine
    _slack_events_pruned_at: datetime | None = None

    def take_slack_event(
        self, key: str, *, retention: timedelta, at: datetime | None = None
    ) -> bool:
        """Take ``key`` (an event id); True for the first caller, in any process, False for
        every later one while the id is kept. Ids older than ``retention`` are pruned now and
        then, so one seen longer ago than that may be taken again."""
        at = at or now()
        # The row comes back only when this insert made it (rowcount is not reliable here).
        statement = (
            insert_ignoring(self.engine, slack_events)
            .values(event_key=_fit(key), seen_at=at)
            .returning(slack_events.c.event_key)
        )
        with self.engine.begin() as connection:
            if self._slack_events_pruned_at is None or (
                at - self._slack_events_pruned_at >= PRUNE_INTERVAL
            ):
                connection.execute(
                    slack_events.delete().where(slack_events.c.seen_at < at - retention)
                )
                self._slack_events_pruned_at = at
            return connection.execute(statement).first() is not None


def _fit(key: str) -> str:
    """The key as stored: itself, or a digest of it when longer than the column."""
    if len(key) <= KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()
