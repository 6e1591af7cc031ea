"""What ``/controlroom`` answers: help, notices, answers, the latest runs and pending approvals."""

from __future__ import annotations

from collections.abc import Iterable

from bot import ids
from bot.blocks.kit import (
    Block,
    button,
    context,
    escape,
    fit,
    link,
    section,
    truncate,
    user_mention,
    when,
)
from integrations.statestore import ApprovalRecord, RunRecord
from integrations.warehouse.metrics import Explanation
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
    """An ``ask`` answer: each part under the plan it ran (its text is mrkdwn whose figures code
    rendered, already escaped), a support part's sources, who planned it and what it cost, and
    "How was this computed?" when figures came from the metrics layer."""
    blocks: list[Block] = []
    for part in answer.parts:
        blocks += section(f"*{escape(part.heading)}*\n{part.text}")
        if part.sources:
            blocks.append(context("Sources: " + ", ".join(link(url) for url in part.sources)))
    by = "the model" if answer.planned_by == "model" else "rules"
    cost = f"cost {answer.cost.usd_text}" if answer.cost.calls else "offline writer, no cost"
    blocks.append(context(f"Planned by {by} · run `{answer.run_id[:8]}` · {cost}"))
    if answer.explanations:
        blocks.append(
            {
                "type": "actions",
                "block_id": "ask_actions",
                "elements": [button("How was this computed?", ids.ASK_EXPLAIN, answer.run_id)],
            }
        )
    return fit(blocks)


def explanation_blocks(explanations: Iterable[Explanation]) -> list[Block]:
    """How each figure of an answer was computed: the metric's definition, a ratio's formula,
    and the SQL it ran (with its parameters)."""
    blocks: list[Block] = []
    for explained in explanations:
        lines = [f"*{escape(explained.label)}*: {escape(explained.definition)}"]
        if explained.formula:
            lines.append(f"Formula: {escape(explained.formula)}")
        blocks += section("\n".join(lines))
        for statement in explained.statements[:1]:
            shown = truncate(statement.sql.strip(), 2500)
            blocks += section(f"```{escape(shown)}```")
            if statement.parameters:
                values = ", ".join(f"{k} = {v}" for k, v in statement.parameters.items())
                blocks.append(context(escape(truncate(values, 1500))))
    if not blocks:
        return section("This answer has no figures from the metrics layer.")
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
