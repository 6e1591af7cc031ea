"""The weekly GTM digest as one Slack message: first its progress while the specialists write
("Marketing … Finance ✓ …"), then the digest itself — header, KPI fields, each specialist's
prose, the knowledge gaps, the run — with a button for the win-back it recommends."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from agents import formatting as fmt
from agents.specialist import SPECIALISTS, Specialist
from bot import ids
from bot.blocks.gaps import knowledge_gap_blocks
from bot.blocks.kit import (
    MAX_BLOCKS,
    MAX_FIELD_TEXT,
    MAX_FIELDS,
    Block,
    button,
    context,
    escape,
    fit,
    header,
    mrkdwn,
    section,
    truncate,
)
from workflows.digest import Digest, Kpi
from workflows.digest_actions import WinbackAction, winback_moves_lines
from workflows.weekly_gtm import SectionStatus

TITLE = "Weekly GTM digest"
ACTIONS_BLOCK = "digest_actions"
FAILED = "The weekly GTM digest could not be written this time; the error is in the run log."

# Each section's status as the progress message shows it; None: still being written.
Progress = Mapping[Specialist, SectionStatus | None]
_MARKS: dict[SectionStatus | None, str] = {None: "…", "ok": "✓", "unavailable": "✗ unavailable"}


def progress_text(progress: Progress) -> str:
    """One line: "Weekly GTM digest: Marketing … Finance ✓ Insights ✓ Support ✗ unavailable"."""
    marks = " ".join(f"{name.capitalize()} {_MARKS[progress.get(name)]}" for name in SPECIALISTS)
    return f"{TITLE}: {marks}"


def progress_blocks(progress: Progress) -> list[Block]:
    """The message standing for the digest while its sections are written."""
    lines = " · ".join(f"{name.capitalize()} {_MARKS[progress.get(name)]}" for name in SPECIALISTS)
    return [
        *section(f"*{TITLE}* — the specialists are writing…\n{lines}"),
        context("This message becomes the digest when every section is in."),
    ]


def failed_blocks() -> list[Block]:
    """What the progress message turns into when the run itself failed (no error text)."""
    return section(f":warning: {FAILED}")


def digest_summary(digest: Digest) -> str:
    """The digest's notification text: its title and week."""
    if digest.week_start and digest.week_end:
        return f"{TITLE} · {fmt.day(digest.week_start)} – {fmt.day(digest.week_end)}"
    return TITLE


def digest_blocks(digest: Digest) -> list[Block]:
    """The weekly digest: header, headline figures, each specialist's prose, the knowledge
    gaps, recommended actions, the run; and a button to start the win-back it recommends, if
    it does."""
    blocks: list[Block] = [header(digest_summary(digest))]
    blocks += kpi_sections(digest.headline)
    for name, prose in digest.prose.items():
        blocks.append({"type": "divider"})
        extra = winback_moves_lines(digest) if name == "insights" else []
        text = "\n".join([prose, *extra])
        blocks += section(f"*{name.capitalize()}*\n{escape(text)}")
    if digest.knowledge_gaps is not None:
        blocks.append({"type": "divider"})
        blocks += knowledge_gap_blocks(digest.knowledge_gaps)
    if digest.unavailable:
        missing = ", ".join(f"{u.section.capitalize()} ✗" for u in digest.unavailable)
        blocks += section(f":warning: Unavailable this week: {missing} (see the run log).")
    if digest.recommended_actions:
        blocks.append({"type": "divider"})
        actions = "\n".join(f"• {escape(a.text)}" for a in digest.recommended_actions)
        blocks += section(f"*Recommended actions*\n{actions}")
    cost = digest.cost
    spent = f"cost ${cost.usd:.4f}" if cost.calls else "offline writer, no cost"
    blocks.append(context(f"Run `{digest.run_id[:8]}` · {spent}"))
    buttons = _buttons(digest)
    # The buttons are kept whatever the length: long prose gives way to them.
    return fit(blocks, MAX_BLOCKS - len(buttons)) + buttons


def _buttons(digest: Digest) -> list[Block]:
    winback = next((a for a in digest.recommended_actions if isinstance(a, WinbackAction)), None)
    if winback is None:
        return []
    # The value is the segment: the click starts a win-back for it (``bot.listeners.digest``).
    segment = winback.segment
    start = button(f"Start win-back for {segment}", ids.START_WINBACK, segment, style="primary")
    return [{"type": "actions", "block_id": ACTIONS_BLOCK, "elements": [start]}]


def kpi_sections(headline: Sequence[Kpi]) -> list[Block]:
    """The headline figures as section fields, ten to a section (Slack's limit)."""
    fields = [mrkdwn(truncate(_kpi(kpi), MAX_FIELD_TEXT)) for kpi in headline]
    return [
        {"type": "section", "fields": fields[start : start + MAX_FIELDS]}
        for start in range(0, len(fields), MAX_FIELDS)
    ]


def _kpi(kpi: Kpi) -> str:
    value = kpi.value_text
    change = f" ({kpi.change_text})" if kpi.change_text is not None else ""
    return f"*{escape(kpi.label)}*\n{value}{change}"
