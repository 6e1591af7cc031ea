"""The team's calendar, for ``agents.planner.periods``: units, periods to date, named days.

Weeks run Monday to Sunday, quarters from January. A period in progress is cut at the last
complete day when it is longer than a week ("this month" on 25 November is 1–24 November), and
at today when it is a week or shorter ("this week" is Monday to today); on its first day it
ends today. Named days are the US retail calendar's (Black Friday hangs from Thanksgiving) and
the holidays the team sells around (Halloween, Memorial Day weekend, Easter …).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

# python-dateutil comes with dateparser (pyproject.toml), which reads the numeric dates.
from dateutil.easter import easter  # type: ignore[import-untyped]

from integrations.warehouse.metrics.query import DateRange, Grain

DAY = timedelta(days=1)
_WEEK = timedelta(days=7)
_MONTHS_IN = {"month": 1, "quarter": 3, "year": 12}


def start_of(unit: Grain, day: date) -> date:
    """The first day of the week, month, quarter or year ``day`` falls in."""
    if unit in ("day", "week"):
        return day - timedelta(days=day.weekday() if unit == "week" else 0)
    months = _MONTHS_IN[unit]
    return date(day.year, (day.month - 1) // months * months + 1, 1)


def add(unit: Grain, start: date, n: int) -> date:
    """The first day of the period ``n`` units after the one starting on ``start``."""
    if unit in ("day", "week"):
        return start + n * timedelta(days=7 if unit == "week" else 1)
    index = start.year * 12 + start.month - 1 + n * _MONTHS_IN[unit]
    return date(index // 12, index % 12 + 1, 1)


def whole(unit: Grain, start: date) -> DateRange:
    return DateRange(start=start, end=add(unit, start, 1) - DAY)


def so_far(period: DateRange, today: date) -> DateRange:
    """A period in progress, to date: up to yesterday (complete days) when longer than a week
    and begun before today, else up to today (see the module docstring)."""
    if not period.start <= today <= period.end:
        return period
    to_date = period.end - period.start >= _WEEK and period.start < today
    return DateRange(start=period.start, end=today - DAY if to_date else today)


def _thanksgiving(year: int) -> date:
    """US Thanksgiving, the fourth Thursday of November, which the retail days hang from."""
    return _nth_weekday(year, 11, 3, 4)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The ``n``-th ``weekday`` (Monday 0) of a month; ``n`` = -1 is the last one."""
    if n < 0:
        last = add("month", date(year, month, 1), 1) - DAY
        return last - timedelta(days=(last.weekday() - weekday) % 7)
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


_Days = Callable[[int], tuple[date, date]]


def _around(anchor: Callable[[int], date], first: int = 0, last: int = 0) -> _Days:
    """The days from ``first`` to ``last`` days after the anchor day of a year."""
    return lambda y: (anchor(y) + first * DAY, anchor(y) + last * DAY)


def _fixed(month: int, first: int, last: int | None = None) -> _Days:
    return lambda y: (date(y, month, first), date(y, month, last or first))


def _memorial_day(year: int) -> date:
    return _nth_weekday(year, 5, 0, -1)


def _labor_day(year: int) -> date:
    return _nth_weekday(year, 9, 0, 1)


def _mothers_day(year: int) -> date:
    return _nth_weekday(year, 5, 6, 2)


def _fathers_day(year: int) -> date:
    return _nth_weekday(year, 6, 6, 3)


# Each named day's first and last day in a year, and its grain; the keys are
# ``_period_words.EVENTS``'s, in the same order.
EVENT_DAYS: dict[str, tuple[_Days, Grain | None]] = {
    "black_friday": (_around(_thanksgiving, 1, 1), "day"),
    "black_friday_weekend": (_around(_thanksgiving, 1, 3), None),
    "cyber_monday": (_around(_thanksgiving, 4, 4), "day"),
    "bfcm": (_around(_thanksgiving, 1, 4), None),
    "thanksgiving": (_around(_thanksgiving), "day"),
    "thanksgiving_week": (_around(_thanksgiving, -3, 3), "week"),
    "christmas": (_fixed(12, 24, 26), None),
    "christmas_eve": (_fixed(12, 24), "day"),
    "christmas_day": (_fixed(12, 25), "day"),
    "holiday_season": (lambda y: (_thanksgiving(y) + DAY, date(y, 12, 31)), None),
    "new_years_eve": (_fixed(12, 31), "day"),
    "new_years_day": (_fixed(1, 1), "day"),
    "valentines_day": (_fixed(2, 14), "day"),
    "easter": (_around(easter, -2, 1), None),  # Good Friday to Easter Monday
    "mothers_day": (_around(_mothers_day), "day"),
    "memorial_day": (_around(_memorial_day), "day"),
    "memorial_day_weekend": (_around(_memorial_day, -2), None),
    "fathers_day": (_around(_fathers_day), "day"),
    "independence_day": (_fixed(7, 4), "day"),
    "labor_day": (_around(_labor_day), "day"),
    "labor_day_weekend": (_around(_labor_day, -2), None),
    "halloween": (_fixed(10, 31), "day"),
    "boxing_day": (_fixed(12, 26), "day"),
}
