"""What ``/controlroom`` answers: help, notices, answers, the latest runs and pending approvals."""

from __future__ import annotations

from collections.abc import Iterable

from agents import formatting as fmt
from bot import ids
from bot.blocks.kit import Block, context, escape, fit, link, section, user_mention, when
from integrations.statestore import ApprovalRecord, RunRecord
from workflows.ask import Answer

HELP_LINES = (
    ("help", "this message"),
    ("ask <question>", "ask the specialists in plain words"),
    ("gtm", "run the weekly GTM digest now"),
    (
        "winback [segment] [--days N] [--as-of YYYY-MM-DD]",
        "propose a win-back campaign for approval (e.g. `winback at-risk --days 90`)",
    ),
    ("status", "the latest runs"),
    ("approvals", "proposals waiting for a decision"),
)


def help_blocks(problem: str | None = None) -> list[Block]:
    """What ``/controlroom`` can do; ``problem`` says first what was wrong with the command."""
    blocks: list[Block] = []
    if problem:
        blocks += section(f":warning: {escape(problem)}")
    lines = "\n".join(f"`{ids.COMMAND} {escape(usage)}` — {what}" for usage, what in HELP_LINES)
    blocks += section("*Two Peaks Control Room*\n" + lines)
    blocks.append(context("Anything else is a question: `/controlroom who is about to churn?`"))
    return blocks


def notice_blocks(text: str) -> list[Block]:
    """A short message (working on it, a refusal, something went wrong), already mrkdwn."""
    return section(text)


def answer_blocks(answer: Answer) -> list[Block]:
    """The supervisor's answer, with the support agent's sources and confidence when it spoke."""
    blocks = section(escape(answer.text))
    for report in answer.reports:
        if report.agent != "support":
            continue
        confidence = report.facts.get("confidence")
        sources = [str(s) for s in report.facts.get("sources") or []]
        parts = []
        if isinstance(confidence, int | float):
            parts.append(f"Confidence {fmt.share(float(confidence))}")
        if sources:
            parts.append("Sources: " + ", ".join(link(url) for url in sources))
        if parts:
            blocks.append(context(" · ".join(parts)))
    who = ", ".join(answer.agents) or "nobody (help)"
    by = "the model" if answer.routed_by == "model" else "rules"
    cost = f"cost {answer.cost.usd_text}" if answer.cost.calls else "offline writer, no cost"
    blocks.append(context(f"Routed to {who} by {by} · run `{answer.run_id[:8]}` · {cost}"))
    return fit(blocks)


def runs_blocks(runs: Iterable[RunRecord]) -> list[Block]:
    """The latest runs, one line each: workflow, status, who, when, cost."""
    lines = [
        f"`{r.run_id[:8]}` *{escape(r.workflow)}* {r.status} · {user_mention(r.started_by)}"
        f" {when(r.started_at)} · ${r.cost_usd:.4f}"
        for r in runs
    ]
    if not lines:
        return section("No runs yet.")
    return fit(section("*Latest runs*\n" + "\n".join(lines)))


def approvals_blocks(approvals: Iterable[ApprovalRecord]) -> list[Block]:
    """Proposals waiting for a decision, one line each."""
    lines = [
        f"`{a.run_id[:8]}` *{escape(a.workflow)}* ({escape(a.kind)}) asked {when(a.requested_at)}"
        for a in approvals
    ]
    if not lines:
        return section("Nothing is waiting for a decision.")
    return fit(section("*Waiting for a decision*\n" + "\n".join(lines)))
