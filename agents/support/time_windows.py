"""Sections that hold for a span of time, and the time a question says has passed.

Help centres split a rule by time: "Cancel within 30 minutes" / "After 30 minutes", "Claims in
the first year" / "After the first year". A customer rarely names the window; they say what
happened and when: "order was 2 hours ago", "bought it 5 months ago", "placed it yesterday".
Both sections share the question's words, so only the arithmetic tells them apart: the composer
(``compose``) asks ``fits`` whether the time the question says has passed falls in the window
a heading names.

The phrases are read with a short English pattern rather than a date parser: dateparser's
``search_dates`` took 40–100 ms a question here (2.2 s on its first call) and read "may" and
"do" as dates.
"""

from __future__ import annotations

import re
from datetime import timedelta

_UNIT = {
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
    "month": timedelta(days=30),
    "year": timedelta(days=365),
}
_COUNT = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_AMOUNT = rf"(?:\d+|{'|'.join(_COUNT)})"
_UNITS = r"(?P<unit>minute|min|hour|hr|day|week|month|year)s?"
_HEADING = re.compile(
    rf"\b(?P<edge>within|in the first|the first|first|after(?: the first)?|more than)\s+"
    rf"(?:(?P<n>{_AMOUNT})\s+)?{_UNITS}\b",
    re.IGNORECASE,
)
_AGO = re.compile(rf"\b(?P<n>{_AMOUNT}|a few|few|couple of|a couple of)\s+{_UNITS}\s+ago\b", re.I)
_NAMED = {
    "yesterday": timedelta(days=1),
    "last night": timedelta(hours=12),
    "this morning": timedelta(hours=4),
    "earlier today": timedelta(hours=4),
    "last week": timedelta(weeks=1),
    "last month": timedelta(days=30),
    "last year": timedelta(days=365),
}
_NAMED_PATTERN = re.compile(rf"\b(?:{'|'.join(_NAMED)})\b", re.IGNORECASE)


def _length(amount: str | None, unit: str) -> timedelta:
    unit = {"min": "minute", "hr": "hour"}.get(unit.lower(), unit.lower())
    if amount is None:
        count = 1
    elif amount.isdigit():
        count = int(amount)
    else:
        count = _COUNT.get(amount.lower(), 3 if "few" in amount.lower() else 2)
    return count * _UNIT[unit]


def window(heading: str) -> tuple[timedelta, timedelta | None] | None:
    """The span ``heading`` applies to, as (from, until; None for no end), or None."""
    match = _HEADING.search(heading)
    if match is None:
        return None
    span = _length(match["n"], match["unit"])
    if match["edge"].lower().startswith(("after", "more")):
        return span, None
    return timedelta(0), span


def elapsed(question: str) -> timedelta | None:
    """How long ago the question says its event happened ("2 hours ago", "yesterday"), or
    None when it does not say."""
    if match := _AGO.search(question):
        return _length(match["n"], match["unit"])
    if match := _NAMED_PATTERN.search(question):
        return _NAMED[match[0].lower()]
    return None


def fits(question: str, heading: str) -> bool | None:
    """Whether the time ``question`` says has passed falls in the window ``heading`` names;
    None when either says nothing about time."""
    span, passed = window(heading), elapsed(question)
    if span is None or passed is None:
        return None
    start, end = span
    return passed > start if end is None else start <= passed <= end
