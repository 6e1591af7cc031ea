"""The Marketing specialist: how each channel did last week, and copy in a format on a theme.

Channel figures are Finance's weekly KPIs by channel (``agents.finance.kpis``): one definition of
ROAS and CAC for the whole control room, each a ``Fact`` the writer cites through a slot. Copy
written offline is built from the request's theme (or the categories customers bought most in
the last four weeks) in each format; copy has no figures of its own, so the theme, the best
sellers and the company's name are text slots and a number in a model's copy is refused.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from agents import formatting as fmt
from agents.finance.kpis import ChannelKpis, LastWeekKpis, WeeklyKpis
from agents.specialist import FactSheet, Report, Specialist, slot_stems, write_slot_text
from integrations.llm import Fact, LanguageModel, SlotText
from integrations.warehouse import Warehouse
from prompts import AgentPrompts

if TYPE_CHECKING:
    from agents.planner.plans import CopyFormat

BRAND = "Two Peaks"
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
        self,
        *,
        warehouse: Warehouse,
        model: LanguageModel,
        prompts: AgentPrompts,
        last_week: LastWeekKpis | None = None,
    ) -> None:
        """``last_week``: the run's shared KPIs, when another specialist states them too."""
        self._warehouse = warehouse
        self._model = model
        self._prompts = prompts
        self._last_week = last_week or LastWeekKpis()

    def warm_up(self) -> None:
        """Nothing to load: the marketing section imports nothing where it is used."""

    def weekly_section(self) -> Report:
        """The digest's marketing part: every channel's spend, revenue, ROAS and CAC for the
        last complete week."""
        with self._warehouse.connect() as connection:
            kpis = self._last_week.of(connection)
        facts = channel_facts(kpis)
        sheet = channel_sheet(kpis)
        written = write_slot_text(
            self._model,
            self._prompts,
            "marketing",
            "channel_summary",
            sheet,
            offline=channel_text(sheet, kpis),
            scope="each channel's attributed revenue and orders last week against the week "
            "before, and the spend, ROAS and CAC of the channels with spend",
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
        sheet = copy_sheet(subject, top)
        written = write_slot_text(
            self._model,
            self._prompts,
            "marketing",
            "campaign_copy",
            sheet,
            offline=campaign_copy_text(format),
            copy_format=COPY_FORMATS[format],
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


def channel_sheet(kpis: WeeklyKpis) -> FactSheet:
    """Every channel's figures for the week as facts: ``channel_email_revenue``, …"""
    sheet = FactSheet()
    stems = slot_stems([channel.channel for channel in kpis.channels], prefix="channel")
    for channel in kpis.channels:
        stem, name = stems[channel.channel], channel.channel.replace("_", " ")
        sheet.add(
            Fact(name=f"{stem}_name", unit="text", text=name.capitalize(), label="a channel"),
            Fact(
                name=f"{stem}_revenue",
                unit="currency",
                value=channel.attributed_revenue.value,
                label=f"revenue of orders placed through {name}",
            ),
            Fact(
                name=f"{stem}_revenue_change",
                unit="ratio",
                value=channel.attributed_revenue.change_ratio,
                signed=True,
                label=f"change in {name} revenue on the week before",
            ),
            Fact(
                name=f"{stem}_orders",
                unit="count",
                value=channel.attributed_orders.value,
                label=f"orders placed through {name}",
            ),
            Fact(
                name=f"{stem}_new_customers",
                unit="count",
                value=channel.new_customers.value,
                label=f"new customers who signed up through {name}",
            ),
            Fact(
                name=f"{stem}_spend",
                unit="currency",
                value=channel.spend.value,
                label=f"{name} spend",
            ),
            Fact(
                name=f"{stem}_roas", unit="multiple", value=channel.roas.value, label=f"{name} ROAS"
            ),
            Fact(
                name=f"{stem}_roas_before",
                unit="multiple",
                value=channel.roas.previous,
                label=f"{name} ROAS the week before",
            ),
            Fact(
                name=f"{stem}_cac",
                unit="currency",
                value=channel.cac.value,
                decimals=2,
                label=f"{name} CAC",
            ),
        )
    best, worst = _best_and_worst(kpis.channels)
    if best is not None and worst is not None:
        sheet.add(
            Fact(
                name="best_channel",
                unit="text",
                text=best.channel.replace("_", " "),
                label="the channel with the best return on spend",
            ),
            Fact(
                name="weakest_channel",
                unit="text",
                text=worst.channel.replace("_", " "),
                label="the channel with the weakest return on spend",
            ),
        )
    return sheet


def _best_and_worst(channels: list[ChannelKpis]) -> tuple[ChannelKpis | None, ChannelKpis | None]:
    """The paid channels with the highest and the lowest ROAS (None without paid channels)."""
    paid = [channel for channel in _paid(channels) if channel.roas.value is not None]
    if not paid:
        return None, None
    return (
        max(paid, key=lambda channel: channel.roas.value or 0),
        min(paid, key=lambda channel: channel.roas.value or 0),
    )


def channel_text(sheet: FactSheet, kpis: WeeklyKpis) -> SlotText:
    """The offline writer's channel summary: each channel in one line, best and worst named."""
    s = sheet.slot
    stems = slot_stems([channel.channel for channel in kpis.channels], prefix="channel")
    by_revenue = sorted(
        kpis.channels, key=lambda channel: channel.attributed_revenue.value or 0, reverse=True
    )
    lines = []
    for channel in by_revenue:
        stem = stems[channel.channel]
        line = (
            f"• {s(f'{stem}_name')}: {s(f'{stem}_revenue')} from {s(f'{stem}_orders')} orders "
            f"({s(f'{stem}_revenue_change', missing='no comparison')})"
        )
        if channel.spend.value:
            line += (
                f", spend {s(f'{stem}_spend')}, ROAS {s(f'{stem}_roas')}, CAC {s(f'{stem}_cac')}"
            )
        lines.append(line)
    best, worst = _best_and_worst(kpis.channels)
    if best is not None and worst is not None:
        lines.append(
            f"Best return on spend: {s('best_channel')} ({s(f'{stems[best.channel]}_roas')}); "
            f"weakest: {s('weakest_channel')} ({s(f'{stems[worst.channel]}_roas')})."
        )
    return SlotText("\n".join(lines))


def copy_sheet(theme: str, top_categories: list[str]) -> FactSheet:
    """The words copy is made of, as text facts: copy has no figures of its own, and a theme or a
    category may hold digits ("the 2026 fall sale") that only a slot may carry."""
    title = theme[:1].upper() + theme[1:]
    focus = " and ".join(category.lower() for category in top_categories[:2]) or "new gear"
    tag = "".join(word.capitalize() for word in theme.split()[:3] if word.isalnum())
    sheet = FactSheet()
    sheet.add(
        Fact(name="brand", unit="text", text=BRAND, label="the company's name"),
        Fact(name="theme", unit="text", text=theme, label="the theme, as asked"),
        Fact(name="theme_title", unit="text", text=title, label="the theme, to start a sentence"),
        Fact(name="best_sellers", unit="text", text=focus, label="what customers buy most now"),
        Fact(name="hashtag", unit="text", text=tag or "TwoPeaks", label="the theme's hashtag"),
    )
    return sheet


def campaign_copy_text(format: CopyFormat) -> SlotText:
    """Offline copy in ``format``, its words around the slots of ``copy_sheet``."""
    subjects = [
        "{theme_title}: gear up for your next trail",
        "Your picks for {theme} are here",
        "Don't miss {theme} — the {best_sellers} our customers love right now",
    ]
    body = (
        "From {best_sellers} to the small things that make a long day outside better, we picked "
        "what our customers are buying most right now — so you can spend less time choosing and "
        "more time out there."
    )
    texts: dict[CopyFormat, list[str]] = {
        "instagram_caption": [
            "{theme_title} is here — made for the trail, not the shelf.",
            "Gear up and get out there.",
            "#{hashtag} #TwoPeaks #GetOutside",
        ],
        "social_post": [
            "{theme_title} is here.",
            "We picked the {best_sellers} our customers love right now.",
            "Less time choosing, more time outside.",
        ],
        "email": ["Subject: " + subjects[0], "", "{theme_title} is here. " + body],
        "subject_lines": ["Subject lines:", *(f"• {line}" for line in subjects)],
        "ad": ["Headline: {theme_title} | {brand}", "Description: " + body],
        "sms": ["{brand}: {theme_title} is here. Shop the {best_sellers} our customers love."],
        "tagline": [
            "Taglines:",
            "• {theme_title}. Made to go further.",
            "• Less choosing. More outside.",
            "• {theme_title}: the trail is calling.",
        ],
    }
    return SlotText("\n".join(texts[format]))
