"""The weekly digest's knowledge-gap report in Block Kit: each topic with its counts, the
article it suggests writing and a few of its questions, quoted and escaped (customers' words)."""

from __future__ import annotations

from agents.support.gaps import KnowledgeGap, KnowledgeGapReport
from bot.blocks.kit import Block, context, escape, section

TITLE = "Knowledge gaps"
UNAVAILABLE = f":warning: *{TITLE}* unavailable this week (see the run log)."


def knowledge_gap_blocks(report: KnowledgeGapReport) -> list[Block]:
    """A summary line, a section per topic (at most five, largest first), and what was left
    out; no error text when the report failed (it is in the run log)."""
    if report.status == "unavailable":
        return section(UNAVAILABLE)
    blocks = section(f"*{TITLE}*\n{escape(report.summary)}")
    for number, gap in enumerate(report.gaps, 1):
        blocks += section(_gap(number, gap, report.low_confidence_below))
    if report.left_out:
        blocks.append(context(escape(report.left_out)))
    return blocks


def _gap(number: int, gap: KnowledgeGap, low_confidence_below: float) -> str:
    where = f"nearest article: {escape(gap.nearest)}" if gap.nearest else "not in the help centre"
    lines = [
        f"*{number}. Write “{escape(gap.title)}”*",
        f"{gap.counts_text(low_confidence_below)} · {where}",
    ]
    lines += [f">{escape(example)}" for example in gap.examples]
    return "\n".join(lines)
