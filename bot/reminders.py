"""Reminders of pending approvals, posted in each proposal's thread once per delay.

A proposal still pending ``remind_after_hours`` (``policies/approvals.yaml``) after it was asked
— or after its last reminder — gets one reply in its thread mentioning who can decide. The
scheduler's hourly job (``bot.scheduler.run_approval_reminders``) calls this; however often it
runs, each approval is reminded once per delay. The reminder is recorded before it is posted,
so two clocks, or a decision meanwhile, never make a second (or a late) reminder; a post that
fails is logged and that round's reminder is lost rather than repeated.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot import work
from bot.blocks import approvals as approval_blocks
from bot.blocks import messages
from bot.runner import ThreadRunner, WorkflowRunner
from controlroom.services import Services

logger = logging.getLogger(__name__)


async def remind_pending_approvals(
    client: AsyncWebClient,
    services: Services,
    *,
    now: datetime | None = None,
    runner: WorkflowRunner | None = None,
) -> int:
    """Post a reminder in the thread of every approval due one at ``now`` (default: the
    current time); return how many were posted. ``runner`` reads and marks the approvals
    (default: a thread of this process, over ``services``)."""
    now = now or datetime.now(UTC)
    runner = runner or ThreadRunner(services, threads=None)
    due = await runner.call(work.approvals_to_remind, now)
    policy = services.policies.approvals
    approvers = approval_blocks.approvers_text(policy.approver_user_ids, policy.approver_usergroup)
    posted = 0
    for approval in due:
        if not approval.channel_id or not approval.message_ts:
            logger.info(
                "run %s waits for a decision but has no message to remind in", approval.run_id
            )
            continue
        if not await runner.call(work.mark_reminded, approval.run_id, now):
            continue  # decided meanwhile
        text = approval_blocks.reminder_text(approval, approvers, now)
        try:
            await client.chat_postMessage(
                channel=approval.channel_id,
                thread_ts=approval.message_ts,
                text=text,
                blocks=messages.notice_blocks(text),
            )
        except SlackApiError as error:
            _lost(approval.run_id, str(error.response.get("error")))
            continue
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as error:
            _lost(approval.run_id, type(error).__name__)
            continue
        posted += 1
    logger.info("approval reminders: %d due, %d posted", len(due), posted)
    return posted


def _lost(run_id: str, why: str) -> None:
    logger.warning(
        "could not post the reminder of run %s (%s): next one after the delay", run_id, why
    )
