"""What the ``ask`` tests share: the team's day fixed inside the sample company's data, a request
asked through the composition root, independent SQL, and figures written as a person reads them.

The sample company's orders end on Sunday 22 Nov 2026 (``tests.conftest.SAMPLE_UNTIL``); the
team's clock is set to Tuesday 24 Nov 2026 in its time zone, so "last week" is 16–22 Nov 2026.
Figures are formatted here, not by the product's ``render_fact``: half up, thousands separated,
a change with its sign (a true minus sign when negative), so a wrong rendering fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import time_machine

from controlroom import team
from controlroom.services import Services
from integrations.statestore import SlackThread
from integrations.warehouse import Warehouse
from workflows.ask import Answer

TEAM_ZONE = ZoneInfo("America/Denver")  # policies/schedule.yaml
TEAM_NOW = datetime(2026, 11, 24, 12, 0, tzinfo=TEAM_ZONE)
LAST_WEEK = (date(2026, 11, 16), date(2026, 11, 22))
WEEK_BEFORE = (date(2026, 11, 9), date(2026, 11, 15))
ASKER = "U0ANALYST"
CHANNELS = ("paid_search", "paid_social", "email", "organic", "referral", "affiliate", "direct")


@contextmanager
def on_team_day() -> Iterator[None]:
    """The clock at ``TEAM_NOW``, ticking (runs in one thread are still told apart by time)."""
    with time_machine.travel(TEAM_NOW, tick=True):
        yield


def ask(services: Services, request: str, *, thread: SlackThread | None = None) -> Answer:
    """``request`` asked as Slack's ``/controlroom ask`` asks it."""
    return team.ask(services, request, started_by=ASKER, trigger="command", thread=thread)


def scalar(warehouse: Warehouse, sql: str, *parameters: object) -> Decimal:
    """The one value ``sql`` selects (0 when NULL), as a Decimal."""
    with warehouse.connect() as connection:
        (value,) = connection.execute(sql, list(parameters)).fetchone() or (None,)
    return Decimal(str(value)) if value is not None else Decimal(0)


def revenue(warehouse: Warehouse, start: date, end: date, channel: str | None = None) -> Decimal:
    """What customers paid for the orders placed from ``start`` to ``end`` (one channel's)."""
    sql = "SELECT sum(amount) FROM orders WHERE order_date BETWEEN ? AND ?"
    if channel is None:
        return scalar(warehouse, sql, start, end)
    return scalar(warehouse, sql + " AND channel = ?", start, end, channel)


def dollars(value: Decimal | float) -> str:
    """``$12,345``: whole dollars, half up."""
    whole = Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"${whole:,}" if whole >= 0 else f"\u2212${-whole:,}"


def whole(value: Decimal | float) -> str:
    """``1,234``: a count, half up."""
    return f"{Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP):,}"


def change(now: Decimal, before: Decimal) -> str:
    """``+12.3%`` / ``−4.5%``: the relative change, one decimal, half up, signed."""
    ratio = (Decimal(now) / Decimal(before) - 1) * 100
    shown = ratio.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if shown > 0:
        return f"+{shown}%"
    return f"\u2212{-shown}%" if shown < 0 else f"{abs(shown)}%"


def percent(value: float) -> str:
    """``91%``: a fraction as a whole percent, half up."""
    return f"{(Decimal(repr(value)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)}%"
