"""Pending campaigns whose audience another campaign has emailed since they were proposed.

The frequency cap skips those people at send; the proposal says so before anyone approves. It
is refreshed when a campaign approved in Slack has sent, and by the hourly approval-reminders
job (which also catches sends approved from the CLI).
"""

from __future__ import annotations

import logging

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot import work
from bot.blocks import approvals as approval_blocks
from bot.blocks import edit_history
from bot.runner import WorkflowRunner
from workflows.proposals import proposal_of

logger = logging.getLogger(__name__)


async def refresh_overlapping_campaigns(
    client: AsyncWebClient, runner: WorkflowRunner, *, except_run: str = ""
) -> int:
    """Update the message of every pending campaign (but ``except_run``) some of whose
    audience another run has emailed since it was proposed; return how many were updated."""
    updated = 0
    for overlap in await runner.call(work.overlapping_campaigns, except_run):
        approval = overlap.approval
        assert approval.channel_id and approval.message_ts  # only posted proposals are listed
        proposal = proposal_of(approval)
        edits = edit_history.edit_notes(overlap.edits, proposal)
        try:
            await client.chat_update(
                channel=approval.channel_id,
                ts=approval.message_ts,
                text=approval_blocks.proposal_text(approval.run_id, proposal),
                blocks=approval_blocks.proposal_blocks(
                    approval.run_id,
                    proposal,
                    edits=edits,
                    emailed_elsewhere=overlap.emailed_elsewhere,
                ),
            )
        except SlackApiError as error:
            _not_updated(approval.run_id, str(error.response.get("error")))
            continue
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as error:
            _not_updated(approval.run_id, type(error).__name__)
            continue
        updated += 1
    return updated


def _not_updated(run_id: str, why: str) -> None:
    logger.warning("could not update the proposal of run %s (%s)", run_id, why)
