"""Posting answers in Slack, shared by the support and ask listeners: into a thread, into a
channel the bot may not be in (None: answer by the response URL instead), and a question handed
to a person in the support escalations channel."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import work
from bot.blocks import approvals as approval_blocks
from bot.blocks import support as support_blocks
from bot.blocks.kit import Block
from bot.runner import WorkflowRunner
from controlroom.services import Services
from integrations.statestore import SlackThread

logger = logging.getLogger(__name__)

# chat.postMessage errors that mean "not here": answer through the command's response URL.
CANNOT_POST = ("not_in_channel", "channel_not_found")

Post = Callable[[str, list[Block]], Awaitable[None]]


async def escalate(
    services: Services,
    runner: WorkflowRunner,
    client: AsyncWebClient,
    reply: work.SupportReply,
    *,
    asked_in: str,
) -> None:
    """The question for a person in the support escalations channel (the approvals' proposal
    message, so its buttons and decided form are theirs), remembered as the run's approval
    message, with a first reply in its thread saying who waits where."""
    proposal = reply.proposal or {}
    posted = await client.chat_postMessage(
        channel=services.policies.approvals.channels.support_escalations,
        text=approval_blocks.proposal_text(reply.run_id, proposal),
        blocks=approval_blocks.proposal_blocks(reply.run_id, proposal),
    )
    await runner.call(work.remember_message, reply.run_id, posted["channel"], posted["ts"])
    asker = str(proposal.get("asker") or "")
    await client.chat_postMessage(
        channel=posted["channel"],
        thread_ts=posted["ts"],
        text=support_blocks.escalation_thread_text(asker, asked_in),
    )


async def post_answer(
    client: AsyncWebClient, channel: str, text: str, blocks: list[Block]
) -> SlackThread | None:
    """Post in ``channel``; None when the bot may not post there (not a member, a private
    channel or a DM it is not part of)."""
    try:
        posted = await client.chat_postMessage(channel=channel, text=text, blocks=blocks)
    except SlackApiError as error:
        if error.response.get("error") in CANNOT_POST:
            logger.info("cannot post in %s (%s): answering by response URL", channel, error)
            return None
        raise
    return SlackThread(posted["channel"], posted["ts"])


def poster(client: AsyncWebClient, thread: SlackThread) -> Post:
    """Post into ``thread``: a text (the notification) and its blocks."""

    async def post(text: str, blocks: list[Block]) -> None:
        await client.chat_postMessage(
            channel=thread.channel_id, thread_ts=thread.thread_ts, text=text, blocks=blocks
        )

    return post
