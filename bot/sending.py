"""An approved campaign's message while its emails go: the send's first report (before any
email, right after the claim) takes the buttons away, and "Sending… n of N" follows the send
batch by batch until the final counts replace it."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from slack_sdk.errors import SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import approvals as approval_blocks
from workflows.sending import SendReport

logger = logging.getLogger(__name__)


class SendingMessage:
    """The proposal message as the send goes (``report`` is called from the runner's relay
    thread; each call schedules a refresh on the event loop, which shows the latest counts, so
    updates cannot arrive out of order). After ``close`` nothing is sent any more."""

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        channel: str,
        ts: str,
        shown: list[dict[str, Any]],
        approver: str,
    ) -> None:
        self._client = client
        self._channel = channel
        self._ts = ts
        self._shown = shown
        self._approver = approver
        self._loop = asyncio.get_running_loop()
        self._latest: SendReport | None = None
        self._on_screen: SendReport | None = None
        self._latest_lock = threading.Lock()
        self._sending = asyncio.Lock()
        self._closed = False

    def report(self, report: SendReport) -> None:
        """Counts after a batch (called from another thread)."""
        with self._latest_lock:
            self._latest = report
        if self._closed or self._loop.is_closed():
            return
        refresh = self._refresh()
        try:
            asyncio.run_coroutine_threadsafe(refresh, self._loop)
        except RuntimeError:  # the loop closed meanwhile: the server is stopping
            refresh.close()

    async def close(self) -> None:
        """Stop updating: the message is about to show the final counts."""
        async with self._sending:
            self._closed = True

    async def _refresh(self) -> None:
        async with self._sending:
            with self._latest_lock:
                latest = self._latest
            if self._closed or latest is None or latest == self._on_screen:
                return
            if await self._update(
                approval_blocks.sending_blocks(self._shown, self._approver, latest)
            ):
                self._on_screen = latest

    async def _update(self, blocks: list[dict[str, Any]]) -> bool:
        try:
            await self._client.chat_update(
                channel=self._channel,
                ts=self._ts,
                text=approval_blocks.sending_text(self._approver),
                blocks=blocks,
            )
        except SlackClientError as error:
            # Progress is for show; the final counts still replace the message.
            logger.warning("sending progress not shown: %s", error)
            return False
        return True
