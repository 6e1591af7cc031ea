"""What the period tests share: the days they ask on, and a check that a question's first
period is the phrase, days and grain expected.

Expected dates are worked out by hand from a calendar: Wednesday 25 November 2026 is "today"
unless a case says otherwise; US Thanksgiving fell on 27 November 2025 and 28 November 2024
and falls on 26 November 2026.

A period to date longer than a week (this month, MTD, QTD, YTD, "November" in November, "since
1 Sep") ends yesterday, the last day whose data is complete: the team decided so (it is how
the evaluation set labels them), so that a month-to-date figure never mixes in a part day. A
week or shorter ("this week", "today") still ends today, and so does a period on its first day,
when yesterday is before it.
"""

from __future__ import annotations

from datetime import date

from agents.planner.periods import find_period
from integrations.warehouse.metrics.query import DateRange

WEDNESDAY = date(2026, 11, 25)


def span(start: str, end: str) -> DateRange:
    return DateRange(start=date.fromisoformat(start), end=date.fromisoformat(end))


def check_period(
    text: str, today: date, phrase: str, start: str, end: str, grain: str | None
) -> None:
    match = find_period(text, today)
    assert match is not None, text
    assert (match.phrase, match.range, match.grain) == (phrase, span(start, end), grain)
    assert text[match.start : match.end] == match.phrase
