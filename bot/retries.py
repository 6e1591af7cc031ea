"""Slack retries answered once: Slack sends an Events API event again when it thinks the first
delivery was lost (``X-Slack-Retry-Num``; over Socket Mode ``retry_attempt``), with the same
``event_id``, and possibly to another web replica. One global middleware takes each event id in
the state store (one atomic insert in the shared database) before any listener runs; a delivery
whose id is taken already, retry header or not, is acknowledged and dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, Protocol

from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from integrations.statestore import StateStoreError

logger = logging.getLogger(__name__)

# Slack retries an event three times within about five minutes (at once, after a minute, after
# five); an hour of ids covers that with room, and keeps the table to an hour of events.
RETENTION = timedelta(hours=1)


class EventLog(Protocol):
    """Where event ids are taken: ``StateStore`` (``integrations.statestore.SlackEventLog``)."""

    def take_slack_event(self, key: str, *, retention: timedelta) -> bool: ...


class AnswerOnce(AsyncMiddleware):
    """Lets the first delivery of each event through to the listeners, acknowledges the rest.

    When the state store cannot be reached the event is answered (possibly twice) rather than
    dropped, and a warning says so.
    """

    def __init__(self, events: EventLog, *, retention: timedelta = RETENTION) -> None:
        self.events = events
        self.retention = retention

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        key = event_key(req.body)
        # A worker's run of a handed-off half (bot/handoff.py): the web process took its id.
        if key is None or req.lazy_only:
            return await next()
        try:
            first = await asyncio.to_thread(
                self.events.take_slack_event, key, retention=self.retention
            )
        except StateStoreError as error:
            logger.warning("could not record Slack event %s (%s): answering it anyway", key, error)
            return await next()
        if first:
            return await next()
        logger.info(
            "Slack event %s delivered again (retry %s, %s): acknowledged, answered once",
            key,
            _first(req, "x-slack-retry-num") or "none",
            _first(req, "x-slack-retry-reason") or "no reason given",
        )
        return BoltResponse(status=200, body="")


def event_key(body: dict[str, Any]) -> str | None:
    """The key a delivery is taken by: its ``event_id`` (None for what is not an event)."""
    event_id = body.get("event_id")
    if body.get("type") != "event_callback" or not isinstance(event_id, str) or not event_id:
        return None
    return f"event:{event_id}"


def _first(req: AsyncBoltRequest, header: str) -> str | None:
    values = req.headers.get(header)
    return values[0] if values else None
