"""``/controlroom ask`` and its thread: the planned answer posted in the channel, a mention in
its thread answered as a follow-up of it ("and the week before?", "by channel?"), its charts in
the thread, and "How was this computed?" answered there with the definitions and the SQL.

An answer whose support part wants a person is escalated the way a mention is.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from agents.planner.plans import SupportPlan
from bot import handoff, ids, work
from bot.blocks import kit, messages
from bot.blocks import support as support_blocks
from bot.envelopes import BlockActions, PostedMessage, SlashCommand
from bot.listeners import replies
from bot.live_message import SLACK_FAILURES
from bot.runner import WorkflowRunner
from controlroom.services import Services
from integrations.statestore import SlackThread
from workflows.ask import Answer

logger = logging.getLogger(__name__)


def register(app: AsyncApp, services: Services, runner: WorkflowRunner) -> None:
    """Answer "How was this computed?" on ``app``."""

    async def explain(body: dict[str, Any], client: AsyncWebClient) -> None:
        run_id = BlockActions.model_validate(body).clicked.value
        message = body.get("message") or {}
        channel = (body.get("channel") or {}).get("id")
        if not channel or not message.get("ts"):
            return
        explanations = await runner.call(work.explanations, run_id)
        await client.chat_postMessage(
            channel=channel,
            thread_ts=message.get("thread_ts") or message["ts"],
            text="How this was computed",
            blocks=messages.explanation_blocks(explanations),
        )

    handoff.listen(app.action(ids.ASK_EXPLAIN), explain)


async def answer_command(
    services: Services,
    runner: WorkflowRunner,
    client: AsyncWebClient,
    respond: AsyncRespond,
    command: dict[str, Any],
    question: str,
) -> None:
    """``/controlroom ask``: the answer as a message in the command's channel, whose thread
    gets its charts, its follow-ups and what follows (a person's answer, if its support part
    escalates). Where the bot may not post, the answer goes through the command's response
    URL, saying so, and a person's answer comes in a direct message."""
    typed = SlashCommand.model_validate(command)
    user, channel = typed.user_id, typed.channel_id
    answer = await runner.call(work.ask, question, user)
    shown, text = messages.answer_blocks(answer), kit.fallback_text(answer.text)
    blocks = support_blocks.with_feedback(shown, answer.run_id)
    thread = await replies.post_answer(client, channel, text, blocks)
    if thread is None:
        note = support_blocks.NOT_IN_CHANNEL
        blocks = support_blocks.with_feedback(shown, answer.run_id, note=note)
        await respond(text=text, blocks=blocks, response_type="in_channel")
    else:
        # The answer is in the channel: the "Working on it…" note has done its job.
        await respond(delete_original=True)
        await asyncio.to_thread(work.remember_thread, services, answer.run_id, thread)
        await _upload_charts(client, thread, answer)
    await _escalate_if_asked(services, runner, client, answer, user, thread, asked_in=channel)


async def follow_up(
    services: Services,
    runner: WorkflowRunner,
    client: AsyncWebClient,
    question: str,
    asker: str,
    thread: SlackThread,
) -> bool:
    """A mention in the thread of an ``ask`` answer, answered as a follow-up of it in that
    thread; False when the thread is not an answer's (the caller answers it otherwise)."""
    if not question or not await asyncio.to_thread(work.answered_in_thread, services, thread):
        return False
    answer = await runner.call(work.ask, question, asker, thread=thread)
    blocks = support_blocks.with_feedback(messages.answer_blocks(answer), answer.run_id)
    await replies.poster(client, thread)(kit.fallback_text(answer.text), blocks)
    await asyncio.to_thread(work.remember_thread, services, answer.run_id, thread)
    await _upload_charts(client, thread, answer)
    await _escalate_if_asked(
        services, runner, client, answer, asker, thread, asked_in=thread.channel_id
    )
    return True


async def _upload_charts(client: AsyncWebClient, thread: SlackThread, answer: Answer) -> None:
    """A series answer's charts into its thread; a failed upload is logged, not fatal."""
    uploads = [
        {"content": chart.png, "filename": f"chart-{i + 1}.png", "title": chart.title}
        for i, chart in enumerate(answer.charts)
    ]
    if not uploads:
        return
    try:
        await client.files_upload_v2(
            file_uploads=uploads, channel=thread.channel_id, thread_ts=thread.thread_ts
        )
    except SLACK_FAILURES as error:
        logger.warning("charts of answer %s not uploaded: %s", answer.run_id, error)


async def _escalate_if_asked(
    services: Services,
    runner: WorkflowRunner,
    client: AsyncWebClient,
    answer: Answer,
    user: str,
    thread: SlackThread | None,
    *,
    asked_in: str,
) -> None:
    if not work.support_escalates(answer):
        return
    reply = await runner.call(work.escalate_ask, answer, user)
    if reply is None or reply.proposal is None:
        return
    run_id, proposal = reply.run_id, reply.proposal
    if thread is None:
        # The direct message telling them a person will answer is where the answer will go;
        # it is recorded before the question reaches a person, who could answer at once.
        question = next(
            (
                p.plan.question
                for p in answer.parts
                if p.escalation_draft and isinstance(p.plan, SupportPlan)
            ),
            answer.request,
        )
        direct = await client.chat_postMessage(
            channel=user,
            text=support_blocks.ESCALATED,
            blocks=support_blocks.escalated_direct_blocks(question),
        )
        thread = PostedMessage.of(direct).thread
        await asyncio.to_thread(work.remember_thread, services, run_id, thread)
        await replies.escalate(services, runner, client, run_id, proposal, asked_in=asked_in)
        return
    await asyncio.to_thread(work.remember_thread, services, run_id, thread)
    await replies.escalate(services, runner, client, run_id, proposal, asked_in=asked_in)
    notice = support_blocks.escalated_notice_blocks()
    await replies.poster(client, thread)(support_blocks.ESCALATED, notice)
