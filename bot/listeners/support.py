"""Support in Slack: answers in the asker's thread, a person when the Support agent is unsure.

Mentions (``app_mention``) and direct messages (``message.im``) are customers' questions, asked
of the Support agent directly through the support escalation workflow; ``/controlroom ask`` stays
the supervisor's (``answer_command``), and escalates the same way when its support part says so.
An answer carries Helpful / Not helpful (audited, then replaced by who said so). A question for a
person goes to the support escalations channel with Approve / Reject / Edit, decided in
``bot.listeners.approvals``, which calls ``after_decision``: the person's answer (or the ticket)
is posted back in the asker's thread.

Bolt acknowledges an event before its listener runs; the listener then runs the workflow with
the app's ``WorkflowRunner``, as the commands do. The bot never answers itself: its
own messages, other bots' and message subtypes (edits, joins) are ignored.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import ids, work
from bot.blocks import approvals as approval_blocks
from bot.blocks import kit, messages
from bot.blocks import support as support_blocks
from bot.blocks.kit import Block
from bot.runner import WorkflowRunner
from controlroom.services import Services
from integrations.statestore import ApprovalRecord, SlackThread
from workflows.approvals import RunOutcome
from workflows.support_escalation import WORKFLOW as SUPPORT

logger = logging.getLogger(__name__)

# chat.postMessage errors that mean "not here": answer through the command's response URL.
CANNOT_POST = ("not_in_channel", "channel_not_found")

Post = Callable[[str, list[Block]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class SupportQuestion:
    """A question from a mention or a direct message, and the asker's thread to answer in."""

    question: str
    asker: str
    channel: str
    thread_ts: str

    @property
    def thread(self) -> SlackThread:
        return SlackThread(self.channel, self.thread_ts)


def parse_event(event: dict[str, Any], bot_user_id: str | None) -> SupportQuestion | None:
    """A mention or direct message as a question (the bot's mention removed), in the thread it
    was written in or on the message itself; None for what must not be answered: the bot's own
    messages, other bots', and subtypes (edits, deletions, joins)."""
    user = event.get("user")
    if event.get("subtype") or event.get("bot_id") or not user or user == bot_user_id:
        return None
    channel, ts = event.get("channel"), event.get("thread_ts") or event.get("ts")
    if not channel or not ts:
        return None
    text = str(event.get("text") or "")
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(\|[^>]*)?>", " ", text)
    else:
        text = re.sub(r"^\s*<@[A-Z0-9]+(\|[^>]*)?>", " ", text)
    return SupportQuestion(" ".join(text.split()), str(user), str(channel), str(ts))


def register(app: AsyncApp, services: Services, runner: WorkflowRunner) -> None:
    """Answer mentions, direct messages and the feedback buttons on ``app``."""

    async def mention(
        event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        asked = parse_event(event, context.bot_user_id)
        if asked is not None:
            await answer_question(services, runner, client, asked)

    async def message(
        event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        # Only direct messages: the app subscribes to message.im, and channel messages that
        # mention it arrive as app_mention.
        asked = parse_event(event, context.bot_user_id)
        if event.get("channel_type") == "im" and asked is not None:
            await answer_question(services, runner, client, asked)

    async def feedback(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        action, user = body["actions"][0], body["user"]["id"]
        helpful = action["action_id"] == ids.SUPPORT_HELPFUL
        run_id = str(action["value"])
        await runner.call(work.record_feedback, run_id, user, helpful=helpful)
        shown = (body.get("message") or {}).get("blocks")
        if not shown:  # not a message we can rebuild: thank them privately
            await respond(text="Thanks for the feedback.", replace_original=False)
            return
        verdict = "helpful" if helpful else "not helpful"
        await respond(
            text=f"Answer marked {verdict}",
            blocks=support_blocks.feedback_given_blocks(shown, user, helpful=helpful),
            replace_original=True,
        )

    app.event("app_mention")(mention)
    app.event("message")(message)
    app.action(ids.SUPPORT_HELPFUL)(feedback)
    app.action(ids.SUPPORT_NOT_HELPFUL)(feedback)


async def answer_question(
    services: Services, runner: WorkflowRunner, client: AsyncWebClient, asked: SupportQuestion
) -> None:
    """Answer a mention or direct message in the asker's thread, or hand it to a person."""
    post = _poster(client, asked.thread)
    if not asked.question:
        await post(support_blocks.HINT, support_blocks.hint_blocks())
        return
    logger.info("support question from %s in %s", asked.asker, asked.channel)
    # A failure reaches the one error handler, which tells the asker in this same thread.
    reply = await runner.call(work.support_answer, asked.question, asked.asker, thread=asked.thread)
    if reply.escalated:
        await _escalate(services, runner, client, reply, asked_in=asked.channel)
        await post(support_blocks.ESCALATED, support_blocks.escalated_notice_blocks())
        return
    await post(
        kit.fallback_text(reply.text),
        support_blocks.answer_blocks(
            reply.run_id, reply.text, confidence=reply.confidence, sources=reply.sources
        ),
    )


async def answer_command(
    services: Services,
    runner: WorkflowRunner,
    client: AsyncWebClient,
    respond: AsyncRespond,
    command: dict[str, Any],
    question: str,
) -> None:
    """``/controlroom ask``: the supervisor's answer as a message in the command's channel, whose
    thread gets what follows (a person's answer, if its support part escalates). Where the bot
    may not post, the answer goes through the command's response URL, saying so, and a person's
    answer comes in a direct message."""
    user, channel = command["user_id"], command["channel_id"]
    answer = await runner.call(work.ask, question, user)
    shown, text = messages.answer_blocks(answer), kit.fallback_text(answer.text)
    blocks = support_blocks.with_feedback(shown, answer.run_id)
    thread = await _post_answer(client, channel, text, blocks)
    if thread is None:
        note = support_blocks.NOT_IN_CHANNEL
        blocks = support_blocks.with_feedback(shown, answer.run_id, note=note)
        await respond(text=text, blocks=blocks, response_type="in_channel")
    if not work.support_escalates(answer):
        return
    reply = await runner.call(work.escalate_ask, answer, user)
    if reply is None:
        return
    if thread is None:
        # The direct message telling them a person will answer is where the answer will go;
        # it is recorded before the question reaches a person, who could answer at once.
        direct = await client.chat_postMessage(
            channel=user,
            text=support_blocks.ESCALATED,
            blocks=support_blocks.escalated_direct_blocks(question),
        )
        thread = SlackThread(direct["channel"], direct["ts"])
        await runner.call(work.remember_thread, reply.run_id, thread)
        await _escalate(services, runner, client, reply, asked_in=channel)
        return
    await runner.call(work.remember_thread, reply.run_id, thread)
    await _escalate(services, runner, client, reply, asked_in=channel)
    notice = support_blocks.escalated_notice_blocks()
    await _poster(client, thread)(support_blocks.ESCALATED, notice)


async def after_decision(
    services: Services,
    runner: WorkflowRunner,
    client: AsyncWebClient,
    approval: ApprovalRecord,
    outcome: RunOutcome,
) -> None:
    """After a person decided an escalated question: their answer, or word of the ticket, in
    the asker's thread. The approvals listener calls this after every decision; it acts on
    support runs only."""
    if approval.workflow != SUPPORT or outcome.status != "succeeded":
        return
    result, run_id = outcome.result, approval.run_id
    thread = await runner.call(work.answer_thread, run_id)
    if thread is None:
        logger.warning("support run %s decided but the asker's thread is unknown", run_id)
        return
    post = _poster(client, thread)
    if result.get("status") == "answered":
        reviewer = str(result.get("reviewed_by") or approval.decided_by or "")
        text = str(result.get("text") or "")
        # An approved draft keeps its sources; an edited answer is the person's own words.
        sources = (approval.summary.get("sources") or []) if approval.status == "approved" else []
        blocks = support_blocks.human_answer_blocks(run_id, text, reviewer, sources=sources)
        await post(support_blocks.human_answer_text(text, reviewer), blocks)
    elif result.get("status") == "ticket":
        await post(support_blocks.ticket_text(result), support_blocks.ticket_blocks(result))
        if result.get("where") == support_blocks.THREAD_TICKET and approval.message_ts:
            # No ticket system: say in the escalation's thread that it is the ticket now.
            asker = str(approval.summary.get("asker") or "")
            await client.chat_postMessage(
                channel=approval.channel_id
                or services.policies.approvals.channels.support_escalations,
                thread_ts=approval.message_ts,
                text=support_blocks.ticket_thread_text(asker),
            )


async def _escalate(
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


async def _post_answer(
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


def _poster(client: AsyncWebClient, thread: SlackThread) -> Post:
    """Post into ``thread``: a text (the notification) and its blocks."""

    async def post(text: str, blocks: list[Block]) -> None:
        await client.chat_postMessage(
            channel=thread.channel_id, thread_ts=thread.thread_ts, text=text, blocks=blocks
        )

    return post
