"""Replies in a support escalation's thread: an approver's reply can be sent to the customer.

People answer in a thread, as anyone would. A reply by an approver in the thread of a support
escalation still waiting for a person (its proposal message in the escalations channel) is
answered by the app with the reply quoted and "Send this reply to the customer". A click
(approvers only) decides the escalation as an edit with that text, through the approvals
listener's own decision path: the desk claims it once and audits it, the proposal shows who
decided, the asker's thread gets the answer and the knowledge base learns it, exactly as after
Edit; the offer then says who sent it. Replies by anyone else, the bot's own messages, edits,
replies that mention the app (a question for it, answered as a mention) and replies in any
other thread (a decided escalation's included) stay the team's discussion: no answer.

The app hears thread replies through the ``message.channels`` and ``message.groups``
subscriptions (manifest.yml). Which listener takes a channel's message is decided by one
function, ``support_channels.channel_message_place``: this one is offered only replies in
channel threads, and it is registered before the support listener's catch-all ``message`` one.
A click whose value is not a reply this app offered, names no support escalation, or comes
too late is told so privately; nothing is decided.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import handoff, ids, work
from bot.approvers import ApproverDirectory
from bot.blocks import kit, messages
from bot.blocks import support as support_blocks
from bot.blocks.support import ProposedReply
from bot.envelopes import BlockActions
from bot.listeners import replies
from bot.listeners.approvals import DecisionRequest, decide
from bot.listeners.support_channels import (
    channel_message_place,
    mentions,
    reply_in_a_channel_thread,
)
from bot.runner import WorkflowRunner
from controlroom.services import Services
from integrations.statestore import ApprovalRecord, SlackThread
from integrations.text import plain_text
from workflows.approvals import NoSuchApprovalError
from workflows.support_escalation import WORKFLOW as SUPPORT

logger = logging.getLogger(__name__)

# Message subtypes that are a person's reply: none, or a reply also sent to the channel.
REPLY_SUBTYPES = (None, "thread_broadcast")
NO_REPLY = "This button carries no reply to send: answer in the thread again."
NOT_AN_ESCALATION = (
    "This button names no support escalation, so there is no customer to send the reply to."
)


@dataclass(frozen=True, slots=True)
class ThreadReply:
    """A person's reply in a channel thread: its text as plain words, who wrote it, and the
    thread (channel and the ts of the message that opens it)."""

    text: str
    author: str
    thread: SlackThread


def parse_reply(event: dict[str, Any], bot_user_id: str | None) -> ThreadReply | None:
    """A person's reply in a channel's thread; None for anything else: top-level and direct
    messages, the bot's own and other bots' messages, edits and other subtypes, a reply that
    mentions the app, and one with no words."""
    user, subtype = event.get("user"), event.get("subtype")
    if subtype not in REPLY_SUBTYPES or event.get("bot_id") or not user or user == bot_user_id:
        return None
    channel, thread_ts = event.get("channel"), event.get("thread_ts")
    if channel_message_place(event) != "thread_reply" or not channel:
        return None
    if mentions(event, bot_user_id):  # a question for the app: answered as app_mention
        return None
    text = plain_text(str(event.get("text") or "")).strip()
    if not text:
        return None
    return ThreadReply(text, str(user), SlackThread(str(channel), str(thread_ts)))


def escalation_in_thread(services: Services, thread: SlackThread) -> ApprovalRecord | None:
    """The support escalation waiting for a person whose proposal message opens ``thread``;
    None for any other thread, and for a channel with no thread. (Called through the runner, as
    ``bot.work``'s functions.)"""
    if thread.thread_ts is None:
        return None
    approval = services.state.approval_at_message(thread.channel_id, thread.thread_ts)
    if approval is None or approval.workflow != SUPPORT or approval.status != "pending":
        return None
    return approval


def register(app: AsyncApp, services: Services, runner: WorkflowRunner) -> None:
    """Answer approvers' replies in escalation threads, and the button that sends one."""
    directory = ApproverDirectory(services.policies.approvals)

    async def reply_in_thread(
        event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        reply = parse_reply(event, context.bot_user_id)
        if reply is None or reply.author not in await directory.approvers(client):
            return
        escalation = await runner.call(escalation_in_thread, reply.thread)
        if escalation is None:
            return
        proposed = ProposedReply(escalation.run_id, reply.text)
        post = replies.poster(client, reply.thread)
        if not proposed.fits_button:
            text = support_blocks.relay_too_long_text(reply.author)
            await post(text, messages.notice_blocks(text))
            return
        logger.info("reply by %s offered as the answer of run %s", reply.author, proposed.run_id)
        await post(
            support_blocks.relay_offer_text(reply.author),
            support_blocks.relay_offer_blocks(proposed, reply.author),
        )

    async def send_reply(
        body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        click = BlockActions.model_validate(body)
        tell = replies.tell_clicker(body, respond, client)
        try:
            proposed = ProposedReply.from_value(click.clicked.value)
            approval = await runner.call(work.exact_approval, proposed.run_id)
        except ValueError:
            await tell(NO_REPLY)
            return
        except NoSuchApprovalError as problem:
            # The desk's messages are written for people: what was wrong and what to do.
            await tell(kit.escape(str(problem)))
            return
        if approval.workflow != SUPPORT:
            await tell(NOT_AN_ESCALATION)
            return
        user = click.user.id
        request = DecisionRequest(
            proposed.run_id, "edited", user, None, edits={"text": proposed.text}
        )
        approvers = await directory.approvers(client)
        # Not decided (not an approver, decided already): the clicker was told why.
        if not await decide(services, runner, client, tell, request, approvers):
            return
        shown = (body.get("message") or {}).get("blocks") or []
        await respond(
            text=support_blocks.relayed_text(user),
            blocks=support_blocks.relayed_blocks(shown, user),
            replace_original=True,
        )

    def replied(event: dict[str, Any], context: AsyncBoltContext) -> bool:
        return parse_reply(event, context.bot_user_id) is not None

    on_reply = app.event("message", matchers=[reply_in_a_channel_thread])
    handoff.listen(on_reply, reply_in_thread, ack=handoff.accepted_when(replied))
    handoff.listen(app.action(ids.SUPPORT_RELAY_REPLY), send_reply)
