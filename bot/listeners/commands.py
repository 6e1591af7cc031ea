"""``/controlroom``: parse the text into a typed request, ack at once, run it, respond.

``help``, ``ask <question>``, ``gtm``, ``winback [--as-of YYYY-MM-DD]``, ``status`` and
``approvals``; several words that are not a subcommand are a question for the supervisor; one
unknown word, or bad arguments, get the help with what was wrong.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import handoff, ids, work
from bot.blocks import approvals as approval_blocks
from bot.blocks import messages
from bot.blocks.kit import truncate
from bot.digest import DigestChannelError, PublishedDigest, publish_digest
from bot.envelopes import PostedMessage, SlashCommand
from bot.failures import BUSY
from bot.listeners import ask
from bot.runner import WorkflowRunner
from controlroom.services import Services
from integrations.text import plain_text
from workflows.proposals import NobodyResult
from workflows.winback import nobody_text
from workflows.winback_audience import Targeting, WinbackTargetError

logger = logging.getLogger(__name__)

Kind = Literal["help", "ask", "gtm", "winback", "status", "approvals"]
SUBCOMMANDS: tuple[Kind, ...] = ("help", "ask", "gtm", "winback", "status", "approvals")
WORKING = "Working on it… this takes a few seconds."
# Slack asks its clients to keep what a person sends to 4,000 characters, and a command's text
# is typed in the same message box: longer text is not a person typing. It is refused unread
# (a 2 MB command once came back as a 4.2 MB ack, and would have been a 2 MB question).
MAX_COMMAND_TEXT = 4_000
TOO_LONG = (
    f"That command is too long: /controlroom takes {MAX_COMMAND_TEXT:,} characters at most. "
    "Ask in a shorter sentence."
)
# How much of a person's own words a mistake quotes back (`…` is not a subcommand).
MAX_QUOTED = 40
# Segment names are a word or three (policies/winback.yaml); a longer one is no segment.
MAX_SEGMENT = 60


@dataclass(frozen=True, slots=True)
class CommandRequest:
    """One ``/controlroom`` request; ``problem`` says what was wrong when it cannot run."""

    kind: Kind
    question: str = ""
    as_of: date | None = None
    segment: str | None = None
    days: int | None = None
    problem: str | None = None


def parse_command(text: str) -> CommandRequest:
    """Read the command's text; never raises: a mistake becomes help with the ``problem``,
    which quotes at most ``MAX_QUOTED`` characters of what was typed. A question is read as the
    person sees it (``plain_text``: "&" not "&amp;", emoji not their names)."""
    if len(text) > MAX_COMMAND_TEXT:
        return CommandRequest("help", problem=TOO_LONG)
    words = text.split()
    if not words:
        return CommandRequest("help")
    first, rest = words[0].lower(), words[1:]
    if first not in SUBCOMMANDS:
        if len(words) == 1 and not first.endswith("?"):
            return CommandRequest(
                "help",
                problem=f"`{_quote(words[0])}` is not a subcommand; ask a question in a sentence.",
            )
        return CommandRequest("ask", question=plain_text(" ".join(words)))
    kind = first  # narrowed to Kind by the membership test above
    if kind == "ask":
        if not rest:
            return CommandRequest("help", problem="`ask` needs a question: `ask who churned?`")
        return CommandRequest("ask", question=plain_text(" ".join(rest)))
    if kind == "winback":
        return _winback(rest)
    if rest:
        return CommandRequest(
            "help", problem=f"`{kind}` takes no arguments (got `{_quote(' '.join(rest))}`)."
        )
    return CommandRequest(kind)


WINBACK_USAGE = (
    "`winback [segment] [--days N] [--as-of YYYY-MM-DD]`, e.g. `winback at-risk --days 90`."
)


def _winback(args: list[str]) -> CommandRequest:
    """``winback [segment words…] [--days N] [--as-of YYYY-MM-DD]``: whether the segment and
    days are allowed is the policy's to say (``work.winback_targeting``)."""
    words: list[str] = []
    days: int | None = None
    as_of: date | None = None
    rest = list(args)
    while rest:
        word = rest.pop(0)
        if word in ("--days", "--as-of") and not rest:
            return _winback_help(f"`{word}` needs a value.")
        if word == "--days":
            value = rest.pop(0)
            if not value.isdigit() or int(value) < 1:
                return _winback_help(f"`--days` takes a number of days (got `{_quote(value)}`).")
            days = int(value)
        elif word == "--as-of":
            value = rest.pop(0)
            try:
                as_of = date.fromisoformat(value)
            except ValueError:
                return _winback_help(
                    f"`--as-of` takes a day like 2026-11-22 (got `{_quote(value)}`)."
                )
        elif word.startswith("--"):
            return _winback_help(f"`{_quote(word)}` is not an option of `winback`.")
        else:
            words.append(word)
    segment = " ".join(words) or None
    if segment is not None and len(segment) > MAX_SEGMENT:
        return _winback_help(f"`{_quote(segment)}` is not a segment name.")
    return CommandRequest("winback", as_of=as_of, segment=segment, days=days)


def _quote(typed: str) -> str:
    """A person's words as a mistake quotes them: the first few, never all of a long text."""
    return truncate(typed, MAX_QUOTED).replace("`", "'")


def _winback_help(problem: str) -> CommandRequest:
    return CommandRequest("help", problem=f"{problem} Usage: {WINBACK_USAGE}")


def register(app: AsyncApp, services: Services, runner: WorkflowRunner) -> None:
    """Answer ``/controlroom`` on ``app``, running the workflows with ``runner``: help, status
    and the approvals waiting in the ack; the rest acked with a "Working on it…" note and
    handed off (``bot.handoff``)."""

    async def controlroom(
        ack: AsyncAck, command: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        request = parse_command(command.get("text") or "")
        if request.kind == "help":
            help_blocks = messages.help_blocks(request.problem)
            await ack(text=request.problem or "How to use /controlroom", blocks=help_blocks)
            return
        if request.kind == "status":
            # Reading the run history needs no worker: answered in the ack, even while every
            # worker is busy.
            runs = await asyncio.to_thread(work.recent_runs, services)
            await ack(text="Latest runs", blocks=messages.runs_blocks(runs))
            return
        if request.kind == "approvals":
            pending = await asyncio.to_thread(work.pending_approvals, services)
            await ack(text="Waiting for a decision", blocks=messages.approvals_blocks(pending))
            return
        if request.kind == "winback":
            try:
                work.winback_targeting(services, request.segment, request.days)
            except WinbackTargetError as problem:
                await ack(text=str(problem), blocks=messages.help_blocks(str(problem)))
                return
        if runner.busy:  # said in the ack: no call to Slack for a request that cannot run
            await ack(text=BUSY, blocks=messages.notice_blocks(BUSY))
            return
        queue = handoff.BATCH if request.kind == "gtm" else handoff.INTERACTIVE
        await handoff.accept(
            ack, context, queue, text=WORKING, blocks=messages.notice_blocks(WORKING)
        )

    async def run_command(
        command: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        """What an accepted command does, after its "Working on it…" note."""
        request = parse_command(command.get("text") or "")
        user = SlashCommand.model_validate(command).user_id
        logger.info("/controlroom %s by %s", request.kind, user)
        if request.kind == "ask":
            await ask.answer_command(services, runner, client, respond, command, request.question)
        elif request.kind == "gtm":
            try:
                published = await publish_digest(client, services, user, runner=runner)
            except DigestChannelError as problem:
                await respond(text=str(problem), replace_original=True)
                return
            # In place of the "Working on it…" note, as every follow-up of a command.
            await respond(text=posted_where(published), replace_original=True)
        elif request.kind == "winback":
            aim = work.winback_targeting(services, request.segment, request.days)
            told = await post_winback_proposal(
                services, runner, client, user, as_of=request.as_of, aim=aim
            )
            await respond(text=told, replace_original=True)

    handoff.listen(app.command(ids.COMMAND), run_command, ack=controlroom)


async def post_winback_proposal(
    services: Services,
    runner: WorkflowRunner,
    client: AsyncWebClient,
    user: str,
    *,
    as_of: date | None = None,
    aim: Targeting | None = None,
) -> str:
    """Start a win-back as ``user`` (narrowed by ``aim``); post its proposal in the approvals
    channel and remember the message. Returns what to tell the person (``/controlroom
    winback``, the digest's "Start win-back for At Risk" button)."""
    outcome = await runner.call(work.propose_winback, user, as_of=as_of, aim=aim)
    if isinstance(outcome.result, NobodyResult):
        return nobody_text(outcome.result, services.policies.winback)
    assert outcome.proposal is not None  # a win-back that found someone waits for a person
    channel = services.policies.approvals.channels.approvals
    posted = PostedMessage.of(
        await client.chat_postMessage(
            channel=channel,
            text=approval_blocks.proposal_text(outcome.run_id, outcome.proposal),
            blocks=approval_blocks.proposal_blocks(outcome.run_id, outcome.proposal),
        )
    )
    await asyncio.to_thread(
        work.remember_message, services, outcome.run_id, posted.channel, posted.ts
    )
    return f"Win-back proposal posted in {channel} for approval."


def posted_where(published: PublishedDigest) -> str:
    """Tell the person who asked for the digest where it is."""
    return (
        f"Weekly GTM digest posted in <#{published.channel_id}> "
        f"(run `{published.digest.run_id[:8]}`)."
    )
