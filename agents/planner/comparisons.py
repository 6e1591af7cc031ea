"""What a metrics question compares with: the previous period (the default), the same period
last year, the four-week average, or nothing.

A comparison phrase starts at a marker ("vs", "compared to", "than", "im Vergleich zu") that a
period or a comparison word follows closely, so "new vs returning customers last 30 days" is no
comparison. The period it names decides the kind: a year before the period asked about (or the
same name again: "October vs last October") is the same period last year; the period just before
is the previous period; any other is compared with as named ("October vs August", "yesterday vs
the same day last week": ``against``). Asked with no period of its own ("are we doing better than
last month?") the question is about the current one to date, against the same days before.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from agents.planner.clause import Clause
from agents.planner.lexicon import Lexicon
from agents.planner.periods import PeriodMatch, find_period
from integrations.warehouse.metrics import Comparison, DateRange
from integrations.warehouse.metrics.periods import A_WEEK, previous_period, shifted

_A_YEAR_BEFORE = range(300, 431)
_A_YEAR = 365


@dataclass(frozen=True, slots=True)
class ComparisonRead:
    """The comparison a clause asks for and the periods it compares with (not asked about)."""

    compare: Comparison | None
    periods: tuple[PeriodMatch, ...]


class Comparisons:
    """Reads comparison phrases with the lexicon's markers and cues."""

    def __init__(self, lexicon: Lexicon) -> None:
        self._lexicon = lexicon

    def marker(
        self,
        clause: Clause,
        markers: re.Pattern[str] | None = None,
        taken: Sequence[tuple[int, int]] = (),
        cues: Sequence[tuple[int, int]] | None = None,
    ) -> tuple[int, int] | None:
        """Where the clause's comparison marker is (one of ``markers``, by default the
        comparison markers) when a period or a comparison word is what it compares with
        (``Clause.linked``; ``taken``: the spans of figures and filter values; ``cues``: the
        comparison words' spans, when already found), or None."""
        if cues is None:
            cues = self._cues(clause)
        spans = [(p.start, p.end) for p in clause.periods] + list(cues)
        for match in (markers or self._lexicon.compare_markers).finditer(clause.folded):
            if any(clause.linked(match.span(), start, end, taken) for start, end in spans):
                return match.span()
        return None

    def _cues(self, clause: Clause) -> list[tuple[int, int]]:
        """Where the clause's comparison phrases are ("the same day last week", "yoy")."""
        return [
            m.span() for p in self._lexicon.comparisons.values() for m in p.finditer(clause.folded)
        ]

    def read(self, clause: Clause, taken: Sequence[tuple[int, int]] = ()) -> ComparisonRead:
        """The comparison asked for; ``taken``: the spans of the figures and filter values
        named (what a marker before them compares instead of periods)."""
        cues = self._cues(clause)
        marker = self.marker(clause, taken=taken, cues=cues)
        asked, compared = clause.split_periods(marker, taken, cues)
        phrase = clause.folded[marker[0] :] if marker is not None else ""
        kinds = self._lexicon.comparisons
        compare: Comparison | None = "previous_period"
        if clause.find(kinds["none"]):
            compare = None
        elif clause.find(kinds["four_week_average"]):
            compare = "four_week_average"
        elif (
            kinds["same_period_last_year"].search(phrase)
            or self._year_apart(asked, compared, clause.today)
            or any(p.search(clause.folded) for p in self._lexicon.standing_comparisons.values())
        ):
            compare = "same_period_last_year"
        return ComparisonRead(compare, tuple(compared))

    def against(
        self,
        clause: Clause,
        period: DateRange,
        read: ComparisonRead,
        asked: Sequence[PeriodMatch],
    ) -> tuple[Comparison | None, DateRange | None]:
        """What a plan over ``period`` is compared with, and the days when they are named: a
        period named to compare with is that period ("October vs August": August, not
        September); "the same day last week" is ``period`` seven days earlier, as is a day
        named again ("yesterday vs last Sunday" asked on a Monday: the Sunday before). A
        comparison computed from ``period`` (the period before, a year before) names none."""
        if read.compare != "previous_period":
            return read.compare, None
        if clause.find(self._lexicon.comparisons["same_period_last_week"]):
            return "period", shifted(period, A_WEEK)
        if not asked or not read.periods:
            return read.compare, None
        other = self.compared_range(read.periods, clause.today, asked[0])
        if other == period and period.days <= A_WEEK.days:
            other = shifted(period, A_WEEK)
        if other is None or other == period or other == previous_period(period):
            return read.compare, None
        return "period", other

    def current_of(self, compared: Sequence[PeriodMatch], today: date) -> DateRange | None:
        """The current period to date of the kind compared with ("than last month": this
        month), for a question that names no period of its own."""
        if not compared or compared[0].grain not in ("week", "month", "quarter", "year"):
            return None
        current = find_period(f"this {compared[0].grain}", today)
        return None if current is None else current.range

    def compared_range(
        self, compared: Sequence[PeriodMatch], today: date, asked: PeriodMatch | None = None
    ) -> DateRange | None:
        """The period compared with. A year beside another period names that period's year:
        "last year's Q4", "December 2025"; a year alone beside a shorter period asked about is
        that period a year before ("Black Friday weekend — will we beat last year?")."""
        if not compared:
            return None
        years = [p for p in compared if _is_year(p)]
        shorter = [p for p in compared if not _is_year(p)]
        if years and not shorter and asked is not None and not _is_year(asked):
            shorter = [asked]
        if years and shorter:
            combined = find_period(f"{shorter[0].phrase} {years[0].phrase}", today)
            if combined is not None:
                return combined.range
        return compared[0].range

    def _year_apart(
        self, asked: Sequence[PeriodMatch], compared: Sequence[PeriodMatch], today: date
    ) -> bool:
        if not compared:
            return False
        main = asked[0].range if asked else self.current_of(compared, today)
        if main is None:
            return False
        other = self.compared_range(compared, today)
        if other is None:
            return False
        # The same name again is its previous occurrence: a year before for a month ("October vs
        # last October"), a week before for a day (``against``).
        same_again = other == main and main.days > A_WEEK.days
        return same_again or (main.start - other.start).days in _A_YEAR_BEFORE


def _is_year(period: PeriodMatch) -> bool:
    """A whole year, or one to date ("2026" asked in November)."""
    return period.grain == "year" or period.range.days >= _A_YEAR
