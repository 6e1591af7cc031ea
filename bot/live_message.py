"""A Slack message kept up to date from other threads while a workflow runs (the digest's
sections, a campaign's send counts).

``show(value)`` may be called from any thread (a workflow's, or the runner's relay of a worker
process's reports): it keeps the value and schedules a refresh on the event loop
(``asyncio.run_coroutine_threadsafe``), which renders the *latest* value — so updates cannot
arrive out of order — and skips one already on screen. After ``close`` nothing is sent: the
caller is about to replace the message with the final result.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import aiohttp
from slack_sdk.errors import SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

logger = logging.getLogger(__name__)

# What a failed Slack call can raise: Slack's answer, a bad request, the connection.
SLACK_FAILURES = (SlackClientError, aiohttp.ClientError, TimeoutError)

T = TypeVar("T")
# A value as the message shows it: the notification text and the blocks.
Render = Callable[[T], tuple[str, list[dict[str, Any]]]]


class LiveMessage(Generic[T]):
    """The message at (``channel``, ``ts``) showing the latest value (module docstring);
    ``what`` names it in the log when an update fails (progress is for show, never fatal)."""

    def __init__(
        self, client: AsyncWebClient, channel: str, ts: str, render: Render[T], *, what: str
    ) -> None:
        self._client = client
        self._channel = channel
        self._ts = ts
        self._render = render
        self._what = what
        self._loop = asyncio.get_running_loop()
        self._latest: T | None = None
        self._on_screen: T | None = None
        self._latest_lock = threading.Lock()
        self._sending = asyncio.Lock()
        self._closed = False

    def show(self, value: T) -> None:
        """Show ``value`` soon (from any thread)."""
        with self._latest_lock:
            self._latest = value
        if self._closed or self._loop.is_closed():
            return
        refresh = self._refresh()
        try:
            asyncio.run_coroutine_threadsafe(refresh, self._loop)
        except RuntimeError:  # the loop closed meanwhile: the server is stopping
            refresh.close()

    async def close(self) -> None:
        """Stop updating: the message is about to show the final result."""
        async with self._sending:
            self._closed = True

    async def _refresh(self) -> None:
        async with self._sending:
            with self._latest_lock:
                latest = self._latest
            if self._closed or latest is None or latest == self._on_screen:
                return
            text, blocks = self._render(latest)
            try:
                await self._client.chat_update(
                    channel=self._channel, ts=self._ts, text=text, blocks=blocks
                )
            except SLACK_FAILURES as error:
                logger.warning("%s not updated: %s", self._what, error)
                return
            self._on_screen = latest
