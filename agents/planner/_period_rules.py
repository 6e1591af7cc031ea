"""What each period phrase means: one resolver per rule of ``periods``' grammar.

A resolver gets the tokens a rule matched (``Phrase``: with today, and the period named before
them for "the week before") and returns the days and their grain, or None when the words name
no real period ("30 February", "Q5"). Each follows the rules in ``periods``' docstring; the
calendar's arithmetic is ``_calendar``'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from agents.planner._calendar import DAY, EVENT_DAYS, add, so_far, start_of, whole
from agents.planner._period_words import EVENTS, Token
from integrations.warehouse.metrics.periods import same_period_last_year
from integrations.warehouse.metrics.query import DateRange, Grain

# How many years back a year may be named ("2011", "the same quarter in 2020").
_YEARS_BACK = 15


@dataclass(frozen=True, slots=True)
class PeriodMatch:
    """A period named in a text: its days, where the phrase is, and its natural grain."""

    range: DateRange
    start: int
    end: int
    phrase: str
    grain: Grain | None
    future: bool


@dataclass(frozen=True, slots=True)
class Phrase:
    """The tokens a rule matched, with today and the period named before them in the text."""

    tokens: tuple[Token, ...]
    today: date
    previous: PeriodMatch | None = None

    def has(self, *symbols: str) -> bool:
        return any(t.symbol in symbols for t in self.tokens)

    def value(self, *symbols: str) -> int | None:
        return next((t.value for t in self.tokens if t.symbol in symbols), None)

    def unit(self) -> Grain:
        units: tuple[Grain, ...] = ("week", "month", "quarter", "year", "day")
        return next(u for t in self.tokens for u in units if t.symbol == u)


Resolved = tuple[DateRange, Grain | None] | None


def named_year(p: Phrase) -> int | None:
    """The year a phrase states ("2025", "last year", "del año pasado"), if any."""
    if (year := p.value("yr")) is not None or not p.has("year"):
        return year
    return p.today.year + (-1 if p.has("last", "lastp") else 1 if p.has("next", "nextp") else 0)


def relative(p: Phrase) -> Resolved:
    """last / this / next / the one before last week, month, quarter or year."""
    unit, current = p.unit(), start_of(p.unit(), p.today)
    if p.has("this", "thisp"):
        return so_far(whole(unit, current), p.today), unit
    back = 2 if p.has("before_last", "before") else 1 if p.has("last", "lastp") else -1
    return whole(unit, add(unit, current, -back)), unit


def this_unit_last_year(p: Phrase) -> Resolved:
    unit = p.unit()
    return same_period_last_year(whole(unit, start_of(unit, p.today))), unit


def ago(p: Phrase) -> Resolved:
    n, unit = p.value("count", "num") or 0, p.unit()
    return whole(unit, add(unit, start_of(unit, p.today), -n)), unit


def trailing(p: Phrase) -> Resolved:
    """The last (next) n whole units before (after) the current one; days end yesterday."""
    n, unit, current = p.value("count", "num") or 0, p.unit(), start_of(p.unit(), p.today)
    if n < 1:
        return None
    first, last = (1, n) if p.has("next", "nextp") else (-n, -1)
    period = DateRange(start=add(unit, current, first), end=add(unit, current, last + 1) - DAY)
    return period, None if unit == "day" else unit


def day_word(p: Phrase) -> Resolved:
    back = 2 if p.has("daybefore") else 1 if p.has("yesterday") else 0
    return whole("day", p.today - back * DAY), "day"


def weekend(p: Phrase) -> Resolved:
    back = 1 if p.has("last", "lastp") else -1 if p.has("next", "nextp") else 0
    saturday = start_of("week", p.today) + timedelta(days=5 - 7 * back)
    return so_far(DateRange(start=saturday, end=saturday + DAY), p.today), None


def month(p: Phrase) -> Resolved:
    month, today = p.value("mon") or 1, p.today
    year = named_year(p)
    if year is None:
        if p.has("last", "lastp"):
            year = today.year - (month >= today.month)
        elif p.has("next", "nextp"):
            year = today.year + (month <= today.month)
        else:
            year = today.year - (month > today.month and not p.has("this"))
    return so_far(whole("month", date(year, month, 1)), p.today), "month"


def quarter(p: Phrase) -> Resolved:
    quarter, today = p.value("qn", "ord") or 0, p.today
    if not 1 <= quarter <= 4:
        return None
    year = named_year(p)
    if year is None:
        year = today.year - (quarter > (today.month + 2) // 3)
    return so_far(whole("quarter", date(year, quarter * 3 - 2, 1)), today), "quarter"


def year(p: Phrase) -> Resolved:
    year = p.value("yr") or 0
    if not p.today.year - _YEARS_BACK <= year <= p.today.year + 2:  # "top 2000 customers"
        return None
    return so_far(whole("year", date(year, 1, 1)), p.today), "year"


def event(p: Phrase) -> Resolved:
    """A named day: the most recent that has begun ("Black Friday"), the most recent that has
    ended ("last Black Friday"), this year's ("this Black Friday") or the next one to come."""
    first, last, grain = _event_days(p)
    return so_far(DateRange(start=first, end=last), p.today), grain


def event_weekend(p: Phrase) -> Resolved:
    """The weekend of a named day ("Halloween weekend", "4th of July weekend"): Saturday and
    Sunday, stretched back to a Thursday or Friday holiday and on to a Monday one; a Tuesday's
    is the weekend before, a Wednesday's the one after."""
    if p.has("event"):
        day = _event_days(p)[0]
    elif (named := days(Phrase(p.tokens[:-1], p.today))) is not None:
        day = named[0].start
    else:
        return None
    weekday = day.weekday()
    if weekday == 0:
        first, last = day - 2 * DAY, day
    elif weekday == 1:
        first, last = day - 3 * DAY, day - 2 * DAY
    elif weekday <= 4:
        first = day if weekday >= 3 else day + 3 * DAY
        last = day + timedelta(days=6 - weekday)
    else:
        first = day - timedelta(days=weekday - 5)
        last = first + DAY
    return so_far(DateRange(start=first, end=last), p.today), None


def _event_days(p: Phrase) -> tuple[date, date, Grain | None]:
    days, grain = EVENT_DAYS[list(EVENTS)[p.value("event") or 0]]
    year, today = named_year(p), p.today
    if year is None and p.has("next", "nextp"):
        year = today.year + (days(today.year)[0] <= today)
    elif year is None and p.has("last", "lastp"):
        year = today.year - (days(today.year)[1] >= today)
    elif year is None:
        year = today.year - (days(today.year)[0] > today and not p.has("this"))
    first, last = days(year)
    return first, last, grain


def half(p: Phrase) -> Resolved:
    """The first or second half of a year ("H1", "first half", "zweites Halbjahr"): the most
    recent that has begun, unless a year is named."""
    number = p.value("ord") or 0
    if number not in (1, 2):
        return None
    year = named_year(p)
    if year is None:
        year = p.today.year - (number == 2 and p.today.month < 7)
    first = date(year, 6 * number - 5, 1)
    return so_far(DateRange(start=first, end=add("quarter", first, 2) - DAY), p.today), None


def current(p: Phrase) -> Resolved:
    """ "the start of the year": the current unit to date (read with "since")."""
    unit = p.unit()
    return so_far(whole(unit, start_of(unit, p.today)), p.today), unit


def since_day(p: Phrase) -> Resolved:
    """ "since the 1st": from that day of this month (of last month when still to come) to
    yesterday."""
    number, today = p.value("ord", "num") or 0, p.today
    month = start_of("month", today)
    if not 1 <= number <= 31:
        return None
    try:
        first = month.replace(day=number)
        if first > today:
            first = add("month", month, -1).replace(day=number)
    except ValueError:  # the 31st of a shorter month
        return None
    return DateRange(start=first, end=max(first, today - DAY)), None


def weekday(p: Phrase) -> Resolved:
    """A weekday: the most recent up to today, before today ("last"), or this week's."""
    weekday, today = p.value("weekday") or 0, p.today
    if p.has("this"):
        day = start_of("week", today) + timedelta(days=weekday)
    elif p.has("next", "nextp"):
        day = today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)
    else:
        strict = p.has("last", "lastp")
        day = today - timedelta(days=(today.weekday() - weekday - strict) % 7 + strict)
    return whole("day", day), "day"


def days(p: Phrase) -> Resolved:
    """A date, or a range of dates or months: "3 Nov", "Oct 1-15", "between Sep and Nov"."""
    cut = next((k for k, t in enumerate(p.tokens) if t.symbol in ("to", "and")), None)
    parts = [p.tokens] if cut is None else [p.tokens[:cut], p.tokens[cut + 1 :]]
    (m1, d1, y1), (m2, d2, y2) = [date_part(part) for part in (parts[0], parts[-1])]
    m1, m2 = m1 or m2, m2 or m1
    if m1 is None or m2 is None or (d1 is None) != (d2 is None):
        return None
    first, last = (m1, d1 or 1), (m2, d2 or 1)
    named = y1 or y2 or named_year(p)
    if named is None:
        y1 = p.today.year - (first > (p.today.month, p.today.day))
    else:
        y1 = y1 or named - (y2 is not None and first > last)
    y2 = y2 or y1 + (last < first)
    try:
        start = date(y1, m1, d1 or 1)
        end = date(y2, m2, d2) if d2 else add("month", date(y2, m2, 1), 1) - DAY
    except ValueError:  # 30 February
        return None
    if end < start:
        return None
    if d2 is None:
        return so_far(DateRange(start=start, end=end), p.today), "month"
    return DateRange(start=start, end=end), "day" if start == end else None


def date_part(tokens: tuple[Token, ...]) -> tuple[int | None, int | None, int | None]:
    """(month, day, year) from one side of a range, each None where not written."""
    month = day = year = None
    for t in tokens:
        if t.symbol == "numdate":
            year, month, day = t.value // 10_000 or None, t.value // 100 % 100, t.value % 100
        elif t.symbol == "mon":
            month = t.value
        elif t.symbol in ("num", "ord"):
            day = t.value
        elif t.symbol == "yr":
            year = t.value
    return month, day, year


def week_of(p: Phrase) -> Resolved:
    inner = [t for t in p.tokens if t.symbol not in ("week", "of", "from")]
    resolved = days(Phrase(tuple(inner), p.today))
    if resolved is None:
        return None
    return so_far(whole("week", start_of("week", resolved[0].start)), p.today), "week"


def iso_week(p: Phrase) -> Resolved:
    week, today = p.value("num") or 0, p.today
    year = named_year(p) or today.year
    try:
        monday = date.fromisocalendar(year, week, 1)
        if monday > today and named_year(p) is None:
            monday = date.fromisocalendar(year - 1, week, 1)
    except ValueError:  # week 0, or week 53 of a 52-week year
        return None
    return so_far(whole("week", monday), today), "week"


def unit_before(p: Phrase) -> Resolved:
    if p.previous is None:
        return None
    unit = p.unit()
    return whole(unit, start_of(unit, p.previous.range.start - DAY)), unit


def same_last_year(p: Phrase) -> Resolved:
    """The period named before, a year earlier ("the same week last year") or in the year
    named ("the same quarter in 2025")."""
    if p.previous is None:
        return None
    back = 1 if (year := p.value("yr")) is None else p.previous.range.start.year - year
    if not 1 <= back <= _YEARS_BACK:
        return None
    period = p.previous.range
    for _ in range(back):
        period = same_period_last_year(period)
    return period, p.previous.grain


def season(p: Phrase) -> Resolved:
    """A season (spring from March, winter from December): a named year's, the last one
    ended, the next to come, or this year's ("this winter" in November is the coming one)."""
    number, today = p.value("season") or 1, p.today
    around = [_season_days(number, today.year + k) for k in (-2, -1, 0, 1)]
    if (year := p.value("yr")) is not None:
        period = _season_days(number, year)
    elif p.has("last", "lastp"):
        period = [s for s in around if s.end < today][-1]
    elif p.has("next", "nextp"):
        period = next(s for s in around if s.start > today)
    else:
        period = _season_days(number, today.year - (number == 4 and today.month <= 2))
    return so_far(period, today), None


def _season_days(number: int, year: int) -> DateRange:
    first = date(year, 3 * number, 1)
    return DateRange(start=first, end=add("quarter", first, 1) - DAY)


def units_around(p: Phrase) -> Resolved:
    """ "the week before Christmas", "2 weeks before Thanksgiving", "the month after Black
    Friday": whole units before (after) the one holding the day named."""
    n, unit = p.value("count", "num") or 1, p.unit()
    cut = next(k for k, t in enumerate(p.tokens) if t.symbol in ("before", "after"))
    named = Phrase(p.tokens[cut + 1 :], p.today)
    anchor = event(named) if named.has("event") else days(named)
    if anchor is None:
        return None
    if p.tokens[cut].symbol == "before":
        last = start_of(unit, anchor[0].start)
        period = DateRange(start=add(unit, last, -n), end=last - DAY)
    else:
        first = add(unit, start_of(unit, anchor[0].end), 1)
        period = so_far(DateRange(start=first, end=add(unit, first, n) - DAY), p.today)
    return period, unit if n == 1 else None
