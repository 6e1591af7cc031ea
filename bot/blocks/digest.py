"""The weekly GTM digest as one Slack message: header, KPI fields, each specialist's prose."""

from __future__ import annotations

from agents import formatting as fmt
from bot.blocks.kit import (
    MAX_FIELD_TEXT,
    MAX_FIELDS,
    Block,
    context,
    escape,
    fit,
    header,
    mrkdwn,
    section,
    truncate,
)
from workflows.digest import Digest, Kpi


def digest_blocks(digest: Digest) -> list[Block]:
    """The weekly digest: header, headline figures, each specialist's prose, actions, run."""
    week = ""
    if digest.week_start and digest.week_end:
        week = f" · {fmt.day(digest.week_start)} – {fmt.day(digest.week_end)}"
    blocks: list[Block] = [header(f"Weekly GTM digest{week}")]
    fields = [mrkdwn(truncate(_kpi(kpi), MAX_FIELD_TEXT)) for kpi in digest.headline]
    for start in range(0, len(fields), MAX_FIELDS):
        blocks.append({"type": "section", "fields": fields[start : start + MAX_FIELDS]})
    for name, prose in digest.prose.items():
        blocks.append({"type": "divider"})
        blocks += section(f"*{name.capitalize()}*\n{escape(prose)}")
    if digest.unavailable:
        missing = ", ".join(u.section.capitalize() for u in digest.unavailable)
        blocks += section(f":warning: Unavailable this week: {missing} (see the run log).")
    if digest.recommended_actions:
        blocks.append({"type": "divider"})
        actions = "\n".join(f"• {escape(a.text)}" for a in digest.recommended_actions)
        blocks += section(f"*Recommended actions*\n{actions}")
    cost = digest.cost
    spent = f"cost ${cost.usd:.4f}" if cost.calls else "offline writer, no cost"
    blocks.append(context(f"Run `{digest.run_id[:8]}` · {spent}"))
    return fit(blocks)


def _kpi(kpi: Kpi) -> str:
    value = _figure(kpi.value, kpi.unit)
    change = f" ({fmt.change(kpi.change_ratio)})" if kpi.change_ratio is not None else ""
    return f"*{escape(kpi.label)}*\n{value}{change}"


def _figure(value: float | None, unit: str) -> str:
    if unit == "money":
        return fmt.money(value)
    if unit == "share":
        return fmt.share(value, digits=1)
    if unit == "times":
        return fmt.times(value)
    return fmt.count(value)
