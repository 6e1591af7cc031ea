"""Publish the weekly GTM digest in the digest channel: one message that shows the sections'
progress while the specialists write, becomes the digest, and gets the charts in its thread.

Used alike by ``/controlroom gtm``, the "Run weekly digest now" button and the clock. The run
itself is blocking (seconds), so it goes to the app's ``WorkflowRunner`` (a worker process, or a
thread); the workflow reports each section from its own threads, relayed by the runner from a
worker process to a thread here, and ``_ProgressMessage`` hands those reports back to the event
loop (``asyncio.run_coroutine_threadsafe``), sending ``chat.update`` only when what it shows
changed.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from agents.router import Specialist
from bot import work
from bot.blocks import digest as digest_blocks
from bot.runner import ThreadRunner, WorkflowRunner
from controlroom.services import Services
from integrations.statestore import Trigger
from workflows.digest import Digest
from workflows.weekly_gtm import SectionStatus

logger = logging.getLogger(__name__)

# What a failed Slack call can raise: Slack's answer, a bad request, the connection.
_SLACK_FAILURES = (SlackClientError, aiohttp.ClientError, TimeoutError)
# Slack's answers meaning the digest channel is wrong or the app is not in it.
_CHANNEL_PROBLEMS = frozenset({"not_in_channel", "channel_not_found", "is_archived"})


class DigestChannelError(RuntimeError):
    """The digest channel cannot be posted in; the message says what to do (for people)."""


@dataclass(frozen=True, slots=True)
class PublishedDigest:
    """Where the digest was posted (channel ID and message ts) and how many charts went up."""

    digest: Digest
    channel_id: str
    ts: str
    charts: int


async def publish_digest(
    client: AsyncWebClient,
    services: Services,
    user_id: str,
    *,
    trigger: Trigger = "command",
    runner: WorkflowRunner | None = None,
) -> PublishedDigest:
    """Run the weekly GTM digest as ``user_id`` with ``runner`` (default: a thread of this
    process, over ``services``) and post it in the policy's digest channel.

    A section that fails shows as unavailable. If the run itself fails (the warehouse not
    seeded), the progress message says so without the error and the exception propagates to
    the caller (the app's error handler, the clock's log). ``DigestChannelError`` when the
    channel cannot be posted in, before anything runs.
    """
    channel = services.policies.approvals.channels.digest
    progress: dict[Specialist, SectionStatus | None] = {}
    try:
        posted = await client.chat_postMessage(
            channel=channel,
            text=digest_blocks.progress_text(progress),
            blocks=digest_blocks.progress_blocks(progress),
        )
    except SlackApiError as error:
        problem = error.response.get("error")
        if problem in _CHANNEL_PROBLEMS:
            raise DigestChannelError(
                f"I cannot post in {channel} (Slack says `{problem}`): invite the app to that "
                "channel, or name another under `channels.digest` in policies/approvals.yaml."
            ) from error
        raise
    # Slack answers with the channel's ID, which files and updates need (not its #name).
    channel_id, ts = str(posted["channel"]), str(posted["ts"])
    message = _ProgressMessage(client, channel_id, ts)
    try:
        runner = runner or ThreadRunner(services, threads=None)
        digest = await runner.call(
            work.weekly_digest, user_id, trigger=trigger, on_progress=message.report
        )
    except Exception:
        await message.close()
        await _say_failed(client, channel_id, ts)
        raise
    await message.close()
    await client.chat_update(
        channel=channel_id,
        ts=ts,
        text=digest_blocks.digest_summary(digest),
        blocks=digest_blocks.digest_blocks(digest),
    )
    charts = await _upload_charts(client, channel_id, ts, digest)
    logger.info("weekly digest %s posted in %s with %d charts", digest.run_id, channel_id, charts)
    return PublishedDigest(digest=digest, channel_id=channel_id, ts=ts, charts=charts)


class _ProgressMessage:
    """The progress message, kept up to date with the sections' statuses as they finish.

    ``report`` is called from the workflow's threads; each call schedules ``_refresh`` on the
    event loop, which shows the latest statuses (so updates cannot arrive out of order) and
    skips the call when they are already shown. After ``close`` nothing is sent any more.
    """

    def __init__(self, client: AsyncWebClient, channel_id: str, ts: str) -> None:
        self._client = client
        self._channel_id = channel_id
        self._ts = ts
        self._loop = asyncio.get_running_loop()
        self._statuses: dict[Specialist, SectionStatus | None] = {}
        self._shown: dict[Specialist, SectionStatus | None] = {}
        self._statuses_lock = threading.Lock()
        self._sending = asyncio.Lock()
        self._closed = False

    def report(self, section: Specialist, status: SectionStatus) -> None:
        """A section finished (called from a workflow thread, or the runner's relay)."""
        with self._statuses_lock:
            if self._statuses.get(section) == status:
                return
            self._statuses[section] = status
        asyncio.run_coroutine_threadsafe(self._refresh(), self._loop)

    async def close(self) -> None:
        """Stop updating: the message is about to become the digest (or the failure)."""
        async with self._sending:
            self._closed = True

    async def _refresh(self) -> None:
        async with self._sending:
            if self._closed:
                return
            with self._statuses_lock:
                statuses = dict(self._statuses)
            if statuses == self._shown:
                return
            try:
                await self._client.chat_update(
                    channel=self._channel_id,
                    ts=self._ts,
                    text=digest_blocks.progress_text(statuses),
                    blocks=digest_blocks.progress_blocks(statuses),
                )
            except _SLACK_FAILURES as error:
                # Progress is for show; the digest itself still replaces the message.
                logger.warning("digest progress not updated: %s", error)
                return
            self._shown = statuses


async def _say_failed(client: AsyncWebClient, channel_id: str, ts: str) -> None:
    try:
        await client.chat_update(
            channel=channel_id,
            ts=ts,
            text=digest_blocks.FAILED,
            blocks=digest_blocks.failed_blocks(),
        )
    except _SLACK_FAILURES as error:
        logger.warning("failed digest's message not updated: %s", error)


async def _upload_charts(client: AsyncWebClient, channel_id: str, ts: str, digest: Digest) -> int:
    """Upload the digest's chart PNGs into its thread; return how many went up.

    The digest is already posted: charts that cannot be read or uploaded are logged and
    left out rather than failing the post.
    """
    uploads = []
    for chart in digest.charts:
        try:
            png = await asyncio.to_thread(chart.png)
        except OSError as error:
            logger.warning(
                "chart %s of digest %s not readable: %s", chart.title, digest.run_id, error
            )
            continue
        uploads.append(
            {"file": png, "filename": chart.path.name, "title": chart.title, "alt_txt": chart.title}
        )
    if not uploads:
        return 0
    try:
        await client.files_upload_v2(file_uploads=uploads, channel=channel_id, thread_ts=ts)
    except _SLACK_FAILURES as error:
        logger.warning("charts of digest %s not uploaded: %s", digest.run_id, error)
        return 0
    return len(uploads)
