"""The weekly GTM digest (``workflows.digest``) rendered for people outside Slack: Markdown-ish
text for the terminal, and rows for a spreadsheet."""

from __future__ import annotations

from agents import formatting as fmt
from workflows.digest import Digest
from workflows.digest_actions import winback_moves_lines


def digest_text(digest: Digest) -> str:
    """The digest as Markdown-ish plain text for the terminal (and a Slack fallback)."""
    week = f"week of {fmt.day(digest.week_start)}" if digest.week_start else "last week"
    lines = [f"# Weekly GTM digest — {week}"]
    if digest.headline:
        lines += ["", "## Headline KPIs"]
        lines += [
            f"- {kpi.label}: {kpi.value_text} ({kpi.change_text or 'no comparison'})"
            for kpi in digest.headline
        ]
    if digest.channels:
        lines += ["", "## Channels", "| channel | revenue | change | spend | ROAS | CAC |"]
        lines.append("|---|---:|---:|---:|---:|---:|")
        lines += [
            f"| {row.channel.replace('_', ' ')} | {fmt.money(row.attributed_revenue)} | "
            f"{fmt.change(row.revenue_change_ratio)} | {fmt.money(row.spend)} | "
            f"{fmt.times(row.roas) if row.spend else '—'} | {fmt.money(row.cac, cents=True)} |"
            for row in digest.channels
        ]
    if "insights" in digest.prose:
        lines += ["", "## Customers", digest.prose["insights"], *winback_moves_lines(digest)]
    if digest.forecast is not None:
        forecast = digest.forecast
        line = (
            f"{fmt.money(forecast.total)} over the {forecast.weeks} weeks from "
            f"{fmt.day(forecast.first_week)} ({forecast.model})"
        )
        if forecast.change_vs_last_year is not None:
            line += f", {fmt.change(forecast.change_vs_last_year)} on the same weeks last year"
        lines += ["", "## Forecast", line + "."]
    if "support" in digest.prose:
        lines += ["", "## Support", digest.prose["support"]]
    if digest.knowledge_gaps is not None:
        lines += ["", "## Knowledge gaps", digest.knowledge_gaps.text()]
    if digest.recommended_actions:
        lines += ["", "## Recommended actions"]
        lines += [f"- {action.text}" for action in digest.recommended_actions]
    if digest.unavailable:
        lines += ["", "## Unavailable"]
        lines += [
            f"- {item.section.capitalize()}: unavailable ({item.reason})"
            for item in digest.unavailable
        ]
    if digest.charts:
        lines += ["", "Charts: " + ", ".join(chart.title for chart in digest.charts)]
    return "\n".join(lines)


SHEET_HEADER = ("week_start", "section", "metric", "value", "previous", "change_ratio", "run_id")
SheetRow = list[str | float | None]


def digest_rows(digest: Digest) -> list[SheetRow]:
    """The digest's figures as spreadsheet rows (``SHEET_HEADER``'s columns): the headline
    KPIs, each channel's revenue, spend and ROAS, support volume and the forecast."""
    week = digest.week_start.isoformat() if digest.week_start else ""

    def row(
        section: str, metric: str, value: float | None, previous: float | None = None
    ) -> SheetRow:
        change = value / previous - 1 if value is not None and previous else None
        return [week, section, metric, value, previous, change, digest.run_id]

    rows: list[SheetRow] = [
        [week, "kpi", kpi.name, kpi.value, kpi.previous, kpi.change_ratio, digest.run_id]
        for kpi in digest.headline
    ]
    for channel in digest.channels:
        rows.append(row("channel", f"{channel.channel}.revenue", channel.attributed_revenue))
        rows.append(row("channel", f"{channel.channel}.spend", channel.spend))
        rows.append(row("channel", f"{channel.channel}.roas", channel.roas, channel.previous_roas))
    if digest.support is not None:
        support = digest.support
        rows.append(row("support", "tickets", support.tickets, support.previous_tickets))
        rows.append(
            row(
                "support",
                "escalation_rate",
                support.escalation_rate,
                support.previous_escalation_rate,
            )
        )
    if digest.forecast is not None:
        rows.append(
            row(
                "forecast",
                "revenue_total",
                digest.forecast.total,
                digest.forecast.same_weeks_last_year,
            )
        )
    return rows
