"""Support in Slack: answers in the asker's thread (inline in a direct message asked at the top
level, as a conversation), a person when the Support agent is unsure.

Mentions (``app_mention``), direct messages (``message.im``) and, in a channel set to
``all_messages``, every top-level message from a person (``message.channels``,
``message.groups``) are customers' questions, asked of the Support agent directly through the
support escalation workflow — except a follow-up in the thread of an ``ask`` answer, answered as
``ask`` (``bot.listeners.ask``); ``/controlroom ask`` escalates the same way when its support
part says so. Each place's settings (``bot.listeners.support_channels``) say who may ask there
and how confident an answer must be to go out without a person.
An answer carries Helpful / Not helpful (audited, then replaced by who said so). A question for a
person goes to the support escalations channel with Approve / Reject / Edit, decided in
``bot.listeners.approvals``, which calls ``after_decision``: the person's answer (or the ticket)
is posted back where the question was answered: its thread, or inline in the direct message.

Bolt acknowledges an event before its listener runs; the listener then runs the workflow with
the app's ``WorkflowRunner``, as the commands do. The bot never answers itself: its
own messages, other bots' and message subtypes (edits, joins) are ignored.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import handoff, ids, work
from bot.blocks import kit
from bot.blocks import support as support_blocks
from bot.envelopes import BlockActions
from bot.listeners import ask, replies
from bot.listeners.support_channels import (
    CANNOT_TELL,
    SupportPlaces,
    askers_text,
    mentions,
    privately,
    support_answer_under,
    top_level_in_a_channel,
)
from bot.runner import WorkflowRunner
from controlroom.services import Services
from integrations.statestore import ApprovalRecord, SlackThread
from integrations.text import plain_text
from policies.schema import SupportAudience
from workflows.proposals import AnsweredResult, AnswerProposal, TicketResult, proposal_of
from workflows.steps import RunOutcome

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SupportQuestion:
    """A question from a mention or a direct message, and the asker's thread to answer in
    (``thread_ts`` None: inline in the channel, a direct message asked at the top level)."""

    question: str
    asker: str
    channel: str
    thread_ts: str | None

    @property
    def thread(self) -> SlackThread:
        return SlackThread(self.channel, self.thread_ts)


def parse_event(event: dict[str, Any], bot_user_id: str | None) -> SupportQuestion | None:
    """A mention or direct message as a question (the bot's mention removed, Slack's markup read
    back as the words the asker sees: ``plain_text``), answered where
    ``replies.event_thread`` says: in the thread it was written in, inline in a direct message
    written at the top level, else on the message itself; None for what must not be answered:
    the bot's own messages, other bots', and subtypes (edits, deletions, joins)."""
    user = event.get("user")
    if event.get("subtype") or event.get("bot_id") or not user or user == bot_user_id:
        return None
    thread = replies.event_thread(event)
    if thread is None:
        return None
    text = str(event.get("text") or "")
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(\|[^>]*)?>", " ", text)
    else:
        text = re.sub(r"^\s*<@[A-Z0-9]+(\|[^>]*)?>", " ", text)
    # As the asker sees it: "&" not "&amp;", a link as its label and address.
    question = " ".join(plain_text(text).split())
    return SupportQuestion(question, str(user), thread.channel_id, thread.thread_ts)


def register(app: AsyncApp, services: Services, runner: WorkflowRunner) -> None:
    """Answer mentions, direct messages, top-level messages in the channels set to
    ``all_messages``, and the feedback buttons on ``app``."""
    places = SupportPlaces(services.policies.support, services.policies.approvals)

    async def mention(
        event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        asked = parse_event(event, context.bot_user_id)
        if asked is None:
            return
        in_thread = bool(event.get("thread_ts"))
        if in_thread and await ask.follow_up(
            services, runner, client, asked.question, asked.asker, asked.thread
        ):
            return
        place = await places.channel(client, asked.channel)
        await _answer(services, runner, client, places, asked, place, in_thread=in_thread)

    async def channel_message(
        event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        # A message that mentions the app arrives as app_mention too: answered there.
        if not places.answers_all_messages or mentions(event, context.bot_user_id):
            return
        asked = parse_event(event, context.bot_user_id)
        if asked is None or not asked.question:
            return
        place = await places.channel(client, asked.channel)
        if place is None or place.respond_to != "all_messages":
            return
        await _answer(services, runner, client, places, asked, place, in_thread=False)

    async def message(
        event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        # Direct messages: channel messages go to the listener above, or to the escalation
        # replies' listener (bot.listeners.escalation_replies) when they are thread replies.
        asked = parse_event(event, context.bot_user_id)
        if event.get("channel_type") != "im" or asked is None:
            return
        in_thread = bool(event.get("thread_ts"))
        if in_thread and await ask.follow_up(
            services, runner, client, asked.question, asked.asker, asked.thread
        ):
            return
        place = places.direct_messages
        await _answer(services, runner, client, places, asked, place, in_thread=in_thread)

    async def feedback(body: dict[str, Any], respond: AsyncRespond) -> None:
        click = BlockActions.model_validate(body)
        user, run_id = click.user.id, click.clicked.value
        helpful = click.clicked.action_id == ids.SUPPORT_HELPFUL
        await asyncio.to_thread(work.record_feedback, services, run_id, user, helpful=helpful)
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

    def asked(event: dict[str, Any], context: AsyncBoltContext) -> bool:
        return parse_event(event, context.bot_user_id) is not None

    def asked_in_channel(event: dict[str, Any], context: AsyncBoltContext) -> bool:
        if not places.answers_all_messages or mentions(event, context.bot_user_id):
            return False
        parsed = parse_event(event, context.bot_user_id)
        return parsed is not None and bool(parsed.question)

    def asked_directly(event: dict[str, Any], context: AsyncBoltContext) -> bool:
        return event.get("channel_type") == "im" and asked(event, context)

    on_message = app.event("message", matchers=[top_level_in_a_channel])
    handoff.listen(app.event("app_mention"), mention, ack=handoff.accepted_when(asked))
    handoff.listen(on_message, channel_message, ack=handoff.accepted_when(asked_in_channel))
    handoff.listen(app.event("message"), message, ack=handoff.accepted_when(asked_directly))
    handoff.listen(app.action(ids.SUPPORT_HELPFUL), feedback)
    handoff.listen(app.action(ids.SUPPORT_NOT_HELPFUL), feedback)


async def _answer(
    services: Services,
    runner: WorkflowRunner,
    client: AsyncWebClient,
    places: SupportPlaces,
    asked: SupportQuestion,
    place: SupportAudience | None,
    *,
    in_thread: bool,
) -> None:
    """A customer's question for the help centre, under ``place``'s settings (None: unknown,
    Slack could not say): the asker is told privately when it is not answered."""
    tell = privately(client, asked.asker, asked.channel, asked.thread_ts if in_thread else None)
    if place is None:
        await tell(CANNOT_TELL)
    elif not await places.may_ask(client, place, asked.asker):
        await tell(askers_text(place))
    else:
        threshold = services.policies.support.threshold_in(place)
        await answer_question(services, runner, client, asked, threshold=threshold)


async def answer_question(
    services: Services,
    runner: WorkflowRunner,
    client: AsyncWebClient,
    asked: SupportQuestion,
    *,
    threshold: float,
) -> None:
    """Answer a question in the asker's thread (inline when it has none), or hand it to a
    person when the answer's confidence is below ``threshold``."""
    post = replies.poster(client, asked.thread)
    if not asked.question:
        await post(support_blocks.HINT, support_blocks.hint_blocks())
        return
    logger.info("support question from %s in %s", asked.asker, asked.channel)
    # A failure reaches the one error handler, which tells the asker in this same thread.
    reply = await runner.call(
        support_answer_under, threshold, asked.question, asked.asker, thread=asked.thread
    )
    if reply.proposal is not None:
        await replies.escalate(
            services, runner, client, reply.run_id, reply.proposal, asked_in=asked.channel
        )
        inline = asked.thread_ts is None
        await post(
            support_blocks.escalated_text(inline=inline),
            support_blocks.escalated_notice_blocks(inline=inline),
        )
        return
    await post(
        kit.fallback_text(reply.text),
        support_blocks.answer_blocks(
            reply.run_id, reply.text, confidence=reply.confidence, sources=reply.sources
        ),
    )


async def after_decision(
    services: Services,
    runner: WorkflowRunner,
    client: AsyncWebClient,
    approval: ApprovalRecord,
    outcome: RunOutcome,
) -> None:
    """After a person decided an escalated question: their answer, or word of the ticket, where
    the asker was answered (their thread, or inline in a direct message). The approvals
    listener calls this after every decision; it acts on support runs only."""
    result, run_id = outcome.result, approval.run_id
    if not isinstance(result, AnsweredResult | TicketResult):
        return
    thread = await asyncio.to_thread(work.answer_thread, services, run_id)
    if thread is None:
        logger.warning("support run %s decided but the asker's thread is unknown", run_id)
        return
    post = replies.poster(client, thread)
    if isinstance(result, AnsweredResult):
        reviewer = result.reviewed_by or approval.decided_by or ""
        # An approved draft keeps its sources; an edited answer, the person's own words, has none.
        blocks = support_blocks.human_answer_blocks(
            run_id, result.text, reviewer, sources=result.sources
        )
        await post(support_blocks.human_answer_text(result.text, reviewer), blocks)
        return
    await post(support_blocks.ticket_text(result), support_blocks.ticket_blocks(result))
    if result.where == support_blocks.THREAD_TICKET and approval.message_ts:
        # No ticket system: say in the escalation's thread that it is the ticket now.
        await client.chat_postMessage(
            channel=approval.channel_id or services.policies.approvals.channels.support_escalations,
            thread_ts=approval.message_ts,
            text=support_blocks.ticket_thread_text(_asker(approval)),
        )


def _asker(approval: ApprovalRecord) -> str:
    """Who asked the question an escalation is about."""
    proposal = proposal_of(approval)
    return proposal.asker if isinstance(proposal, AnswerProposal) else ""
