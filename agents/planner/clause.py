"""One ask of a request, with what every rule reads from it: its words and its periods.

A request is split into asks (``RulesPlanner``); each is a ``Clause``. Its periods are found
once (``periods.find_periods``) and told apart by where they stand: before a comparison marker
("vs", "than", "im Vergleich zu") they are the period asked about, after it the period compared
with.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from agents.planner.periods import PeriodMatch, find_period, find_periods
from agents.planner.words import Mend, Word, words_of
from integrations.warehouse.metrics.periods import series_buckets
from integrations.warehouse.metrics.query import DateRange
from integrations.warehouse.sample_company import last_complete_week_end

# How far after a comparison marker its period may start ("vs the same week …").
NEAR = 16
# What may stand between two periods read as one: "last year's Q4", "Q4 of last year".
_JOINED = re.compile(r"[\s'-]*(?:s|of|de|del|von)?[\s'-]*")
_SENTENCE_END = re.compile(r"[?!;]")
_WEEK = timedelta(days=7)
_YEAR_OR_MORE = timedelta(days=367)


@dataclass(frozen=True)
class Clause:
    """An ask as written (typos mended), folded, its words and the periods it names."""

    text: str
    folded: str
    today: date
    mends: tuple[Mend, ...] = ()
    # Words after which a bare month/day is a date: the metrics' ("revenue 11/3").
    date_cues: frozenset[str] = frozenset()
    words: tuple[Word, ...] = field(init=False)
    periods: tuple[PeriodMatch, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "words", words_of(self.folded))
        object.__setattr__(
            self, "periods", tuple(find_periods(self.text, self.today, self.date_cues))
        )

    def as_written(self, start: int, end: int) -> str:
        """The text from ``start`` to ``end`` with the words written before typos were mended
        (a copy theme keeps the request's own words)."""
        pieces, last = [], start
        for mend in self.mends:
            if start <= mend.start and mend.end <= end:
                pieces += [self.text[last : mend.start], mend.written]
                last = mend.end
        return "".join([*pieces, self.text[last:end]])

    def find(self, pattern: re.Pattern[str]) -> re.Match[str] | None:
        return pattern.search(self.folded)

    def spans(self, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
        return [match.span() for match in pattern.finditer(self.folded)]

    def split_periods(
        self,
        marker: tuple[int, int] | None,
        taken: Sequence[tuple[int, int]] = (),
        cues: Sequence[tuple[int, int]] = (),
    ) -> tuple[list[PeriodMatch], list[PeriodMatch]]:
        """(the periods asked about, the periods compared with): those right after the
        comparison ``marker``, one after the other, are compared with ("vs Q3 last year",
        "than last year's Q4"), or the one right before a marker that ends the clause, as a
        German verb does ("… den Dezember des Vorjahres schlagen?"); the others are asked
        about ("vs last year for Q3"). A figure or filter value between (``taken``) compares
        those, not periods ("the US vs Canada last month"). A period inside a comparison phrase
        the marker compares with (``cues``: "frente al mismo día de la semana pasada") is
        compared with however far into the phrase it comes."""
        if marker is None:
            return list(self.periods), []
        asked: list[PeriodMatch] = []
        compared: list[PeriodMatch] = []
        for period in self.periods:
            if compared:
                joined = bool(_JOINED.fullmatch(self.folded[compared[-1].end : period.start]))
            else:
                joined = self.linked(marker, period.start, period.end, taken) or any(
                    start <= period.start and period.end <= end and self.linked(marker, start, end)
                    for start, end in cues
                )
            (compared if joined else asked).append(period)
        return asked, compared

    def linked(
        self, marker: tuple[int, int], start: int, end: int, taken: Sequence[tuple[int, int]] = ()
    ) -> bool:
        """Whether the words from ``start`` to ``end`` are what ``marker`` compares with: close
        after it with nothing of ``taken`` nor a sentence's end between ("better than before?
        last week" asks about last week), or close before a marker ending the clause."""
        if 0 <= start - marker[1] <= NEAR:
            if _SENTENCE_END.search(self.folded, marker[1], start):
                return False
            return not any(marker[1] <= a and b <= start for a, b in taken)
        closing = not self.folded[marker[1] :].strip(" ?!.")
        return closing and 0 <= marker[0] - end <= NEAR

    def period_inside(self, start: int, end: int) -> bool:
        return any(p.start < end and start < p.end for p in self.periods)


def last_complete_week(today: date) -> DateRange:
    """The default period of a metrics question: the last whole Monday–Sunday week."""
    end = last_complete_week_end(today)
    return DateRange(start=end - _WEEK + timedelta(days=1), end=end)


def narrowest(periods: Sequence[PeriodMatch], today: date) -> list[PeriodMatch]:
    """The periods meant: a year named apart from a shorter period names that period's year
    ("Q4 sales last year" is Q4 2025); one that only names the year of another ("cyber
    monday … last year") gives way to it; periods apart from each other are each meant."""
    periods = _with_their_year(periods, today)
    kept = []
    for period in periods:
        qualified = any(
            other is not period
            and period.range.days > other.range.days
            and period.range.start <= other.range.start
            and other.range.end <= period.range.end
            and period.range.days >= 365
            for other in periods
        )
        if not qualified:
            kept.append(period)
    return kept


def _with_their_year(periods: Sequence[PeriodMatch], today: date) -> list[PeriodMatch]:
    """Each period read again with a whole year named elsewhere in the ask, where that puts it
    in that year ("Q4" with "last year": Q4 2025; "last week" with "last year" stays)."""
    years = [p for p in periods if p.grain == "year" and not p.future and p.range.days >= 365]
    if len(years) != 1:
        return list(periods)
    year = years[0]
    read: list[PeriodMatch] = []
    for period in periods:
        again = None if period is year else find_period(f"{period.phrase} {year.phrase}", today)
        inside = again is not None and year.range.start <= again.range.start
        if again is not None and inside and again.range.end <= year.range.end:
            period = replace(period, range=again.range, future=again.future)
        read.append(period)
    return read


def whole(period: PeriodMatch) -> DateRange:
    """A period in progress made whole: "Q4" asked on 25 Nov is all of Q4 (a forecast's
    target), not Q4 to date."""
    if period.grain is None or period.grain == "day":
        return period.range
    start = period.range.start
    return series_buckets(DateRange(start=start, end=start + _YEAR_OR_MORE), period.grain)[0]


def year_after(period: DateRange) -> DateRange:
    return DateRange(start=_shift_year(period.start, 1), end=_shift_year(period.end, 1))


def _shift_year(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)
