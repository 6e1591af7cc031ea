"""Posting in Slack, shared by the listeners: answers into a thread (or inline in a direct
message, ``event_thread``), into a channel the bot may not be in (None: answer by the response
URL instead), a question handed to a person in the support escalations channel, and a word to
the person who clicked (``tell_clicker``)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from slack_bolt.async_app import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import work
from bot.blocks import approvals as approval_blocks
from bot.blocks import messages
from bot.blocks import support as support_blocks
from bot.blocks.kit import Block
from bot.envelopes import PostedMessage
from bot.runner import WorkflowRunner
from controlroom.services import Services
from integrations.statestore import SlackThread
from workflows.proposals import AnswerProposal

logger = logging.getLogger(__name__)

# chat.postMessage errors that mean "not here": answer through the command's response URL.
CANNOT_POST = ("not_in_channel", "channel_not_found")

Post = Callable[[str, list[Block]], Awaitable[None]]
Reply = Callable[[str], Awaitable[None]]


async def escalate(
    services: Services,
    runner: WorkflowRunner,
    client: AsyncWebClient,
    run_id: str,
    proposal: AnswerProposal,
    *,
    asked_in: str,
) -> None:
    """The question for a person in the support escalations channel (the approvals' proposal
    message, so its buttons and decided form are theirs), remembered as the run's approval
    message, with a first reply in its thread saying who waits where."""
    posted = PostedMessage.of(
        await client.chat_postMessage(
            channel=services.policies.approvals.channels.support_escalations,
            text=approval_blocks.proposal_text(run_id, proposal),
            blocks=approval_blocks.proposal_blocks(run_id, proposal),
        )
    )
    await asyncio.to_thread(work.remember_message, services, run_id, posted.channel, posted.ts)
    await client.chat_postMessage(
        channel=posted.channel,
        thread_ts=posted.ts,
        text=support_blocks.escalation_thread_text(proposal.asker, asked_in),
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
    return PostedMessage.of(posted).thread


def event_thread(event: Mapping[str, Any]) -> SlackThread | None:
    """Where a message event (a mention, a direct message) is answered: in the thread it was
    written in; inline in a direct message written at the top level, as in a conversation; in a
    new thread on any other message. None without a channel or a timestamp."""
    channel, ts, thread_ts = event.get("channel"), event.get("ts"), event.get("thread_ts")
    if not channel or not (thread_ts or ts):
        return None
    if thread_ts:
        return SlackThread(str(channel), str(thread_ts))
    if event.get("channel_type") == "im":
        return SlackThread(str(channel), None)
    return SlackThread(str(channel), str(ts))


def poster(client: AsyncWebClient, thread: SlackThread) -> Post:
    """Post into ``thread`` (inline in its channel when it has no ``thread_ts``): a text (the
    notification) and its blocks."""

    async def post(text: str, blocks: list[Block]) -> None:
        await client.chat_postMessage(
            channel=thread.channel_id, thread_ts=thread.thread_ts, text=text, blocks=blocks
        )

    return post


def tell_clicker(
    body: Mapping[str, Any], respond: AsyncRespond | None, client: AsyncWebClient
) -> Reply:
    """Tell the person who clicked, or submitted a command or a modal, something only they see:
    ephemerally through the request's response URL, leaving the clicked message as it is (Bolt's
    ``respond`` raises without one); else in a direct message from the app (App Home buttons and
    modals have none)."""
    user = user_id(body)
    by_url = respond if respond is not None and response_url(body) else None

    async def tell(text: str) -> None:
        blocks = messages.notice_blocks(text)
        if by_url is not None:
            await by_url(
                text=text, blocks=blocks, response_type="ephemeral", replace_original=False
            )
        elif user:
            await client.chat_postMessage(channel=user, text=text, blocks=blocks)
        else:
            logger.warning("nobody to tell: %s", text)

    return tell


def user_id(body: Mapping[str, Any]) -> str | None:
    """Who made the request: a command's ``user_id``, an interaction's user, an event's user."""
    user = body.get("user")
    if isinstance(user, Mapping):
        found = user.get("id")
        return str(found) if found else None
    event = body.get("event") or {}
    found = body.get("user_id") or event.get("user")
    return str(found) if found else None


def response_url(body: Mapping[str, Any]) -> str | None:
    """Where a request may be answered: a command's or a click's URL, a modal's first."""
    urls = body.get("response_urls") or [{}]
    return body.get("response_url") or urls[0].get("response_url")
