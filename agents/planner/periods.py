"""The time period a question names, as days in the team's calendar.

The team's calendar: days in its own time zone (the caller passes ``today`` as the team's local
date), weeks Monday to Sunday named by their Monday, quarters from January. Phrases are read in
English, German, Spanish and French, with a typo corrected where one word is clearly meant
("lst week", "novmber").

How phrases resolve:
- a period in progress is cut at the last complete day: a month, quarter or year to date
  ("this month", "MTD", "November" in November, "YTD") ends yesterday, as the data of today is
  not complete; a week or shorter ("this week", "this weekend") ends today, as a week to date
  of complete days would be empty on Mondays and the team reads "this week" as Monday to now.
  On a period's first day yesterday is before it, so it ends today. One not begun is whole and
  ``future`` ("next month", "this December");
- a bare name is the most recent one that has begun ("October", "Q4", "H1", "Black Friday" in
  November 2026 before Black Friday → 2025), "last December" the most recent that has ended,
  "this Black Friday" this year's, and a day ("3 Nov", "on 2/11") the most recent up to
  today; a season needs "this", "last", "next" or a year ("this summer": "winter sports" is
  no period), and "Halloween weekend" is the weekend around the day;
- "the last 4 weeks" ("L4W", "the last fortnight") are the 4 whole weeks ending last Sunday
  (months, quarters, years alike); "the last 30 days" ("L30D") and "since 1 Sep" ("since the
  1st", "since the start of October") end yesterday, the last day with complete data; "the
  week before Christmas" is the whole week before the one holding it;
- numeric dates are month/day, as the team is in the US, unless that is impossible (13/11);
  dotted ones (2.11.2026) are day.month as German writes them; one without a year counts only
  after a word that introduces a date ("on", "since", "week of", "from") or that the caller
  names (a metric: "revenue 11/3"), or as a month/day ending a sentence ("orders 11/3?"), so
  "24/7", "50/50" and "1/2 price" are none;
- "the week before" and "the same period last year" are relative to the period named before
  them in the text, and name nothing on their own.

Words become symbols in ``_period_words`` ("la semana pasada", "letzte Woche" and "last week"
are all ``last week``); ``_GRAMMAR`` is the grammar over symbols, one resolver per rule, and
where rules overlap the longest phrase wins. Comparison periods are the metrics layer's own
(``previous_period``, ``same_period_last_year``), so a label shows what the layer computes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache

from agents.formatting import day as day_label
from agents.planner import _period_rules as resolve
from agents.planner._calendar import DAY
from agents.planner._period_rules import PeriodMatch, Phrase, Resolved
from agents.planner._period_words import tokens as read_tokens
from integrations.warehouse.metrics.periods import previous_period, same_period_last_year
from integrations.warehouse.metrics.query import DateRange

__all__ = ["PeriodMatch", "find_period", "find_periods", "impossible_date", "period_label",
           "previous_period", "same_period_last_year"]  # fmt: skip

# A date written with its year: 2026-02-30 (year first), 30/11/2026 or 11/30/2026, 30.11.2026.
_WRITTEN_DATE = re.compile(
    r"(?<![\d./-])(?:(?P<iso>(\d{4})-(\d\d?)-(\d\d?))|(\d\d?)(?P<sep>[/.])(\d\d?)(?P=sep)(\d{4}))"
    r"(?![\d./-]|\.\d)"
)

_CLASSES = {"unit": "week month quarter year", "anyunit": "week month quarter year day"}
_MACROS = {
    "YEAR": "((of|from)? (yr|(last|lastp|this|next|nextp) year|year (lastp|nextp)))",
    "LASTYEAR": "((of|from)? ((last|lastp) year|year lastp))",
    "DAY": "(((num|ord) of? mon|mon (num|ord)) YEAR?|numdate)",
    "PART": "(((num|ord) mon?|mon (num|ord)?) YEAR?|numdate)",
}


def find_period(text: str, today: date) -> PeriodMatch | None:
    """The first period ``text`` names (the longest phrase where several overlap), or None."""
    return next(iter(find_periods(text, today)), None)


def find_periods(
    text: str, today: date, date_cues: frozenset[str] = frozenset()
) -> list[PeriodMatch]:
    """Every period ``text`` names, in text order ("October vs September" gives two); a
    month/day right after a word of ``date_cues`` (a metric's: "revenue 11/3") is a date."""
    tokens = read_tokens(text, today, date_cues)
    rules, code = _grammar()
    codes = "".join(code.get(t.symbol, "_") for t in tokens)
    found = [
        (i, match.end(), rule)
        for rule in rules
        for i in range(len(tokens))
        if (match := rule.pattern.match(codes, i)) and match.end() > i
    ]
    chosen: list[tuple[int, int, _Rule, Resolved]] = []
    for i, j, rule in sorted(found, key=lambda f: (f[0] - f[1], f[0])):
        # By characters, not tokens: "2025 Q3" is read both as a quarter and as a year.
        if any(
            tokens[i].start < tokens[b - 1].end and tokens[a].start < tokens[j - 1].end
            for a, b, _, _ in chosen
        ):
            continue
        resolved = None if rule.anchored else rule.resolve(Phrase(tuple(tokens[i:j]), today))
        if rule.anchored or resolved:
            chosen.append((i, j, rule, resolved))
    matches: list[PeriodMatch] = []
    for i, j, rule, resolved in sorted(chosen, key=lambda c: c[0]):
        if rule.anchored:
            previous = matches[-1] if matches else None
            resolved = rule.resolve(Phrase(tuple(tokens[i:j]), today, previous))
        if resolved is None:
            continue
        period, grain = resolved
        before = i - (i > 0 and tokens[i - 1].symbol == "start")
        if before and tokens[before - 1].symbol == "since":
            i, grain = before - 1, None
            period = DateRange(start=period.start, end=max(period.start, today - DAY))
        start, end = tokens[i].start, tokens[j - 1].end
        matches.append(PeriodMatch(period, start, end, text[start:end], grain, period.end > today))
    return matches


def period_label(r: DateRange) -> str:
    """A range as people write it: "2–8 Nov 2026", "Oct 2026", "Q3 2026", "2025"."""
    start, end = r.start, r.end
    if start == end:
        return day_label(start)
    if start.day == 1 and (end + DAY).day == 1 and start.year == end.year:
        if (start.month, end.month) == (1, 12):
            return str(start.year)
        if start.month == end.month:
            return f"{start:%b %Y}"
        if start.month % 3 == 1 and end.month == start.month + 2:
            return f"Q{start.month // 3 + 1} {start.year}"
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{end.day} {end:%b %Y}"
    if start.year == end.year:
        return f"{start.day} {start:%b} – {end.day} {end:%b %Y}"
    return f"{day_label(start)} – {day_label(end)}"


@dataclass(frozen=True, slots=True)
class _Rule:
    pattern: re.Pattern[str]
    resolve: Callable[[Phrase], Resolved]
    anchored: bool = False  # relative to the period named before it


_GRAMMAR: tuple[tuple[str, Callable[[Phrase], Resolved]], ...] = (
    (
        "(last|lastp|this|next|nextp|before_last) unit|unit (lastp|thisp|nextp|before_last)",
        resolve.relative,
    ),
    ("unit before (last|lastp) unit?", resolve.relative),
    ("this unit LASTYEAR", resolve.this_unit_last_year),
    ("(count|num) anyunit ago|ago_pre (count|num) anyunit", resolve.ago),
    (
        "(last|lastp|next|nextp) (count|num) anyunit|(count|num) (lastp|nextp) anyunit",
        resolve.trailing,
    ),
    ("yesterday|today|daybefore", resolve.day_word),
    ("(last|lastp|this|next|nextp) weekend|weekend (lastp|nextp)", resolve.weekend),
    ("(last|lastp|this|next|nextp)? mon (YEAR|lastp|nextp)?", resolve.month),
    ("(qn|ord quarter) YEAR?|yr qn", resolve.quarter),
    ("yr", resolve.year),
    ("(last|lastp|this|next|nextp)? event YEAR?|(yr|(last|lastp|this) year) event", resolve.event),
    ("(last|lastp|this|next|nextp)? event weekend YEAR?|DAY weekend", resolve.event_weekend),
    ("(ord half|yr ord half) YEAR?", resolve.half),
    ("start (of|from)? this? unit|sofar this? unit", resolve.current),
    ("(last|lastp|this|next|nextp) season|season (lastp|nextp)|season of? yr", resolve.season),
    ("(count|num)? anyunit (before|after) (event YEAR?|DAY|mon YEAR?)", resolve.units_around),
    ("since (ord|num) (?!of? mon)", resolve.since_day),
    ("(last|lastp|this|next|nextp)? weekday (lastp|nextp)?", resolve.weekday),
    ("DAY", resolve.days),
    ("between PART and PART|from? PART to PART", resolve.days),
    ("week (of|from)? DAY", resolve.week_of),
    ("week num YEAR?", resolve.iso_week),
)
_ANCHORED_GRAMMAR: tuple[tuple[str, Callable[[Phrase], Resolved]], ...] = (
    ("unit before", resolve.unit_before),
    ("same (period|anyunit)? (LASTYEAR|of? yr)|this period LASTYEAR", resolve.same_last_year),
)


@cache
def _grammar() -> tuple[tuple[_Rule, ...], dict[str, str]]:
    """The rules compiled to regexes over one letter per token, and each symbol's letter."""
    specs = [spec for spec, _ in _GRAMMAR + _ANCHORED_GRAMMAR] + [*_MACROS.values()]
    names = sorted({n for spec in specs for n in re.findall(r"[a-z_]+", spec)} - _CLASSES.keys())
    names += sorted({n for members in _CLASSES.values() for n in members.split()} - {*names})
    code = {name: chr(65 + i) if i < 26 else chr(71 + i) for i, name in enumerate(names)}
    classes = {c: "[" + "".join(code[n] for n in m.split()) + "]" for c, m in _CLASSES.items()}

    def compile_spec(spec: str) -> re.Pattern[str]:
        while (expanded := re.sub(r"\b[A-Z]+\b", lambda m: _MACROS[m[0]], spec)) != spec:
            spec = expanded
        return re.compile(
            re.sub(r"[a-z_]+", lambda m: (classes | code)[m[0]], spec).replace(" ", "")
        )

    rules = [_Rule(compile_spec(s), f) for s, f in _GRAMMAR]
    rules += [_Rule(compile_spec(s), f, anchored=True) for s, f in _ANCHORED_GRAMMAR]
    return tuple(rules), code


def impossible_date(text: str) -> str | None:
    """The first date written with its year that is no day of the calendar ("2026-02-30",
    "31/11/2026", "2026-13-01"), as written; None when every one is a day. Year-first dates are
    year-month-day; slashed ones may be month/day or day/month, dotted ones day.month."""
    for m in _WRITTEN_DATE.finditer(text):
        if m["iso"]:
            year, month, day = int(m[2]), int(m[3]), int(m[4])
            readings = [(year, month, day)]
        else:
            first, second, year = int(m[5]), int(m[7]), int(m[8])
            readings = [(year, second, first)]
            if m["sep"] == "/":
                readings.append((year, first, second))
        if not any(_is_day(*reading) for reading in readings):
            return m[0]
    return None


def _is_day(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True
