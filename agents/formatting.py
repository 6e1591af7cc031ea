"""How the specialists' offline writer shows figures: the way a GTM team reads them in Slack."""

from __future__ import annotations

from datetime import date


def money(value: float | None, *, cents: bool = False) -> str:
    """``$1,204`` (or ``$1,204.30``); an em dash for a figure that does not exist."""
    if value is None:
        return "—"
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.2f}" if cents else f"{sign}${abs(value):,.0f}"


def count(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def share(value: float | None, *, digits: int = 0) -> str:
    """A fraction as a percentage: ``0.125`` → ``12.5%`` with one digit."""
    return "—" if value is None else f"{value:.{digits}%}"


def change(ratio: float | None) -> str:
    """A relative change with its sign: ``+4.2%``, ``-1.1%``, or ``no comparison``."""
    if ratio is None:
        return "no comparison"
    return f"{ratio:+.1%}"


def points(difference: float | None) -> str:
    """A rate's change in percentage points: ``0.012`` → ``+1.2 pts``; ``no comparison``."""
    if difference is None:
        return "no comparison"
    return f"{difference * 100:+.1f} pts"


def times(value: float | None) -> str:
    """A return multiple: ``13.3×``."""
    return "—" if value is None else f"{value:,.1f}×"


def day(value: date) -> str:
    return f"{value:%-d %b %Y}"
