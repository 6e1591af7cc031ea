"""The Marketing specialist: how each channel did last week, and copy in a format on a theme.

Channel figures are Finance's weekly KPIs by channel (``agents.finance.kpis``): one definition of
ROAS and CAC for the whole control room. Copy written offline is built from the request's theme
(or the categories customers bought most in the last four weeks) in each format.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from agents import formatting as fmt
from agents.finance.kpis import ChannelKpis, WeeklyKpis, weekly_kpis
from agents.planner.plans import CopyFormat
from agents.specialist import Report, Specialist, write_text
from integrations.llm import LanguageModel
from integrations.warehouse import Warehouse
from prompts import AgentPrompts

# What copy in each format is, for the writer (model or offline).
COPY_FORMATS: dict[CopyFormat, str] = {
    "instagram_caption": "an Instagram caption (two short lines and three hashtags)",
    "social_post": "a social post (three short sentences)",
    "email": "an email: a subject line and a short body",
    "subject_lines": "three email subject lines",
    "ad": "a search ad: a headline and a description",
    "sms": "a text message under 160 characters",
    "tagline": "three taglines",
}


class MarketingAgent:
    """Channel performance or campaign copy, whichever the request asks for."""

    name: Specialist = "marketing"
    job = "channel performance (spend, ROAS, CAC by channel), campaign copy and email drafts"

    def __init__(
        self, *, warehouse: Warehouse, model: LanguageModel, prompts: AgentPrompts
    ) -> None:
        self._warehouse = warehouse
        self._model = model
        self._prompts = prompts

    def weekly_section(self) -> Report:
        """The digest's marketing part: every channel's spend, revenue, ROAS and CAC for the
        last complete week."""
        with self._warehouse.connect() as connection:
            kpis = weekly_kpis(connection)
        facts = channel_facts(kpis)
        offline = channel_text(kpis)
        written = write_text(
            self._model, self._prompts, "marketing", "channel_summary", facts, offline=offline
        )
        return Report(
            agent="marketing",
            title=f"Marketing — channels, week of {fmt.day(kpis.week_start)}",
            text=written.text,
            facts=facts,
            written_by=written.source,
        )

    def copy(self, format: CopyFormat, theme: str | None, request: str) -> Report:
        """Copy in ``format`` on ``theme`` (without one: what customers buy most right now)."""
        with self._warehouse.connect() as connection:
            top = top_categories(connection)
        subject = theme or " and ".join(c.lower() for c in top[:2]) or "our new season"
        facts = {"theme": subject, "format": COPY_FORMATS[format], "top_categories": top}
        written = write_text(
            self._model,
            self._prompts,
            "marketing",
            "campaign_copy",
            facts,
            offline=campaign_copy_text(format, subject, top),
            request=request,
        )
        return Report(
            agent="marketing",
            title=f"Marketing — {format.replace('_', ' ')} for {subject}",
            text=written.text,
            facts=facts,
            written_by=written.source,
        )


def top_categories(connection: Any, *, weeks: int = 4, limit: int = 3) -> list[str]:
    """The categories with the most revenue in the last ``weeks`` weeks of data."""
    rows = connection.execute(
        """
        SELECT category FROM orders
        WHERE order_date > (SELECT max(order_date) FROM orders) - $days
        GROUP BY category ORDER BY sum(amount) DESC LIMIT $limit
        """,
        {"days": timedelta(weeks=weeks).days, "limit": limit},
    ).fetchall()
    return [row[0] for row in rows]


def _paid(channels: list[ChannelKpis]) -> list[ChannelKpis]:
    return [channel for channel in channels if channel.spend.value]


def channel_facts(kpis: WeeklyKpis) -> dict[str, Any]:
    """Every channel's figures for the week, by channel name."""
    return {
        "week_start": kpis.week_start.isoformat(),
        "channels": {
            channel.channel: {
                "spend": channel.spend.value,
                "attributed_revenue": channel.attributed_revenue.value,
                "revenue_change_ratio": channel.attributed_revenue.change_ratio,
                "attributed_orders": channel.attributed_orders.value,
                "new_customers": channel.new_customers.value,
                "roas": channel.roas.value,
                "previous_roas": channel.roas.previous,
                "cac": channel.cac.value,
            }
            for channel in kpis.channels
        },
    }


def channel_text(kpis: WeeklyKpis) -> str:
    """The offline writer's channel summary: each channel in one line, best and worst named."""
    by_revenue = sorted(
        kpis.channels, key=lambda channel: channel.attributed_revenue.value or 0, reverse=True
    )
    lines = []
    for channel in by_revenue:
        line = (
            f"• {channel.channel.replace('_', ' ').capitalize()}: "
            f"{fmt.money(channel.attributed_revenue.value)} from "
            f"{fmt.count(channel.attributed_orders.value)} orders "
            f"({fmt.change(channel.attributed_revenue.change_ratio)})"
        )
        if channel.spend.value:
            line += (
                f", spend {fmt.money(channel.spend.value)}, ROAS {fmt.times(channel.roas.value)}"
                f", CAC {fmt.money(channel.cac.value, cents=True)}"
            )
        lines.append(line)
    paid = [channel for channel in _paid(kpis.channels) if channel.roas.value is not None]
    if paid:
        best = max(paid, key=lambda channel: channel.roas.value or 0)
        worst = min(paid, key=lambda channel: channel.roas.value or 0)
        lines.append(
            f"Best return on spend: {best.channel.replace('_', ' ')} "
            f"({fmt.times(best.roas.value)}); weakest: {worst.channel.replace('_', ' ')} "
            f"({fmt.times(worst.roas.value)})."
        )
    return "\n".join(lines)


def campaign_copy_text(format: CopyFormat, theme: str, top_categories: list[str]) -> str:
    """Offline copy in ``format`` for ``theme``, built from the best-selling categories."""
    title = theme[:1].upper() + theme[1:]
    focus = " and ".join(category.lower() for category in top_categories[:2]) or "new gear"
    tag = "".join(word.capitalize() for word in theme.split()[:3] if word.isalnum())
    subjects = [
        f"{title}: gear up for your next trail",
        f"Your picks for {theme} are here",
        f"Don't miss {theme} — the {focus} our customers love right now",
    ]
    opening = (
        f"{title} is here. From {focus} to the small things that make a long day outside "
        "better, we picked what our customers are buying most right now — so you can spend "
        "less time choosing and more time out there."
    )
    texts: dict[CopyFormat, list[str]] = {
        "instagram_caption": [
            f"{title} is here — made for the trail, not the shelf.",
            "Gear up and get out there.",
            f"#{tag or 'TwoPeaks'} #TwoPeaks #GetOutside",
        ],
        "social_post": [
            f"{title} is here.",
            f"We picked the {focus} our customers love right now.",
            "Less time choosing, more time outside.",
        ],
        "email": [f"Subject: {subjects[0]}", "", opening],
        "subject_lines": ["Subject lines:", *(f"• {line}" for line in subjects)],
        "ad": [f"Headline: {title} | Two Peaks", f"Description: {opening.split('. ')[1]}"],
        "sms": [f"Two Peaks: {title} is here. Shop the {focus} our customers love."],
        "tagline": [
            "Taglines:",
            f"• {title}. Made to go further.",
            "• Less choosing. More outside.",
            f"• {title}: the trail is calling.",
        ],
    }
    return "\n".join(texts[format])
