"""Publish the weekly GTM digest in the digest channel: one message that shows the sections'
progress while the specialists write, becomes the digest, and gets the charts in its thread.

Used alike by ``/controlroom gtm``, the "Run weekly digest now" button and the clock. The run
itself is blocking (seconds), so it goes to the app's ``WorkflowRunner`` (a worker process, or a
thread); the workflow reports each section from its own threads, relayed by the runner from a
worker process to a thread here, and ``_ProgressMessage`` shows them through a
``bot.live_message.LiveMessage`` (``chat.update`` on the event loop, only when what it shows
changed).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from agents.specialist import Specialist
from bot import work
from bot.blocks import digest as digest_blocks
from bot.envelopes import PostedMessage
from bot.live_message import SLACK_FAILURES, LiveMessage
from bot.runner import ThreadRunner, WorkflowRunner
from controlroom.services import Services
from integrations.statestore import Trigger
from workflows.digest import Digest
from workflows.weekly_gtm import SectionStatus

logger = logging.getLogger(__name__)

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
    where = PostedMessage.of(posted)
    channel_id, ts = where.channel, where.ts
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
    """The progress message: each section's status as it finishes (``report``, from the
    workflow's threads or the runner's relay), shown through a ``LiveMessage``."""

    def __init__(self, client: AsyncWebClient, channel_id: str, ts: str) -> None:
        self._statuses: dict[Specialist, SectionStatus | None] = {}
        self._statuses_lock = threading.Lock()
        self._message: LiveMessage[dict[Specialist, SectionStatus | None]] = LiveMessage(
            client,
            channel_id,
            ts,
            lambda statuses: (
                digest_blocks.progress_text(statuses),
                digest_blocks.progress_blocks(statuses),
            ),
            what="digest progress",
        )

    def report(self, section: Specialist, status: SectionStatus) -> None:
        """A section finished (called from a workflow thread, or the runner's relay)."""
        with self._statuses_lock:
            if self._statuses.get(section) == status:
                return
            self._statuses[section] = status
            statuses = dict(self._statuses)
        self._message.show(statuses)

    async def close(self) -> None:
        """Stop updating: the message is about to become the digest (or the failure)."""
        await self._message.close()


async def _say_failed(client: AsyncWebClient, channel_id: str, ts: str) -> None:
    try:
        await client.chat_update(
            channel=channel_id,
            ts=ts,
            text=digest_blocks.FAILED,
            blocks=digest_blocks.failed_blocks(),
        )
    except SLACK_FAILURES as error:
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
    except SLACK_FAILURES as error:
        logger.warning("charts of digest %s not uploaded: %s", digest.run_id, error)
        return 0
    return len(uploads)
