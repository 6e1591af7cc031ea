"""Metrics questions → ``MetricsPlan``: metrics, days, breakdown or series, filters, comparison.

A question about how something did that names no metric gets a default set (the headline, or
marketing's or support's). A clause is read in parts cut at "and", commas and colons: parts that
each carry their own breakdown, series, filter or period are separate plans ("orders by channel
and aov by category"); a part with no metric adds to the plans around it ("…, both for last
week", "…? just paid social", "paid search: clicks and impressions") or repeats the last one
with another period ("revenue last week and for last month"), or a series with the period that
follows ("yearly revenue, 2025 and this year so far" is one series). With no period the question is
about the last complete week.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta

from agents.planner.clause import Clause, last_complete_week, narrowest
from agents.planner.comparisons import Comparisons
from agents.planner.lexicon import Lexicon, MetricSet
from agents.planner.metric_words import FilterValue, Mention, MetricWords, fit
from agents.planner.periods import PeriodMatch
from agents.planner.plans import MetricsPlan
from agents.planner.words import TermIndex
from integrations.warehouse.metrics import (
    Comparison,
    DateRange,
    DimensionName,
    Filter,
    Grain,
    MetricCatalog,
)

_CUT = re.compile(r"[,;:?\u2014]")
_OR = re.compile(r"\b(or|oder|o|ou)\b")


@dataclass(frozen=True, slots=True)
class Stated:
    """What a request states about a metrics question, each part None or empty when it does
    not say (for a follow-up in a thread, which changes only what is stated)."""

    metrics: tuple[str, ...]
    period: DateRange | None
    by: DimensionName | None
    grain: Grain | None
    filters: tuple[Filter, ...]
    compare: Comparison | None
    compare_stated: bool


@dataclass
class _Part:
    """What one part (or several parts read together) of a clause asks for."""

    metrics: list[str] = field(default_factory=list)
    by: DimensionName | None = None
    grain: Grain | None = None
    filters: dict[DimensionName, list[str]] = field(default_factory=dict)
    periods: list[PeriodMatch] = field(default_factory=list)

    def modified(self) -> bool:
        return bool(self.by or self.grain or self.filters or self.periods)

    def absorb(self, other: _Part) -> None:
        self.metrics += [m for m in other.metrics if m not in self.metrics]
        self.by = self.by or other.by
        self.grain = self.grain or other.grain
        for dimension, values in other.filters.items():
            self.add_filter(dimension, values)
        self.periods += other.periods

    def add_filter(self, dimension: DimensionName, values: Sequence[str]) -> None:
        known = self.filters.setdefault(dimension, [])
        known += [value for value in values if value not in known]

    def copy(self) -> _Part:
        return replace(
            self,
            metrics=list(self.metrics),
            filters={d: list(v) for d, v in self.filters.items()},
            periods=list(self.periods),
        )


class MetricRules:
    """Reads metrics questions with the catalog and the lexicon (compiled once)."""

    def __init__(self, catalog: MetricCatalog, lexicon: Lexicon, terms: TermIndex) -> None:
        self._lexicon = lexicon
        self.words = MetricWords(catalog, lexicon, terms)
        self._comparisons = Comparisons(lexicon)

    def default_set(self, clause: Clause) -> MetricSet | None:
        """The metric set of a question about how something did, when it says enough to
        answer (a period, a filter, "we", or a topic) and asks about no figure the layer lacks
        ("how's our conversion doing"); None otherwise."""
        if not clause.find(self._lexicon.performance) or clause.find(self._lexicon.unknown_figures):
            return None
        for topic, pattern in self._lexicon.performance_topics.items():
            if clause.find(pattern):
                return topic
        if (
            clause.periods
            or self.words.filters(clause)
            or clause.find(self._lexicon.performance_subject)
        ):
            return "headline"
        return None

    def plans(self, clause: Clause, mentions: Sequence[Mention]) -> list[MetricsPlan]:
        """The metrics plans of a clause (``mentions`` empty: the default set it asks for)."""
        if not mentions:
            chosen = self.default_set(clause)
            if chosen is None:
                return []
            mentions = [Mention(m, 0, 0) for m in self._lexicon.default_metrics[chosen]]
        mentions, filters = self.words.settle(mentions, self.words.filters(clause), clause)
        comparison = self._comparisons.read(clause, _spans(mentions, filters))
        asked = [p for p in clause.periods if p not in comparison.periods]
        parts = self._parts(clause, mentions, filters, asked)
        for dimension in self._set_against(clause, filters):
            for part in parts:
                if part.by is None and len(part.filters.get(dimension, ())) > 1:
                    part.by = dimension  # "paid social vs paid search": each apart
        shared = next((p.periods for p in parts if p.periods), [])
        plans = []
        for part in parts:
            asked_here = part.periods or shared
            for period in self._periods(asked_here, comparison.periods, clause):
                compare, compare_to = self._comparisons.against(
                    clause, period, comparison, asked_here
                )
                plans.append(self._plan(part, period, compare, compare_to))
        return _series_joined(plans)

    def stated(self, clause: Clause) -> Stated:
        """What the clause states, with nothing filled in by default."""
        mentions, filters = self.words.settle(
            self.words.mentions(clause), self.words.filters(clause), clause
        )
        comparison = self._comparisons.read(clause, _spans(mentions, filters))
        asked = narrowest([p for p in clause.periods if p not in comparison.periods], clause.today)
        part = _Part()
        for f in filters:
            part.add_filter(f.dimension, [f.value])
        breakdowns, grains = self.words.breakdowns(clause), self.words.grains(clause)
        return Stated(
            metrics=tuple(dict.fromkeys(m.metric for m in mentions)),
            period=asked[0].range if asked else None,
            by=breakdowns[0].dimension if breakdowns else None,
            grain=grains[0].grain if grains else None,
            filters=tuple(Filter(dimension=d, values=tuple(v)) for d, v in part.filters.items()),
            compare=comparison.compare,
            compare_stated=comparison.compare != "previous_period" or bool(comparison.periods),
        )

    def _set_against(self, clause: Clause, filters: Sequence[FilterValue]) -> set[DimensionName]:
        """The dimensions whose values the clause sets against each other ("email vs organic",
        "did paid social do better than paid search", "which did better, the US or Canada"):
        a comparison word between two of them. Values joined by "and" are summed instead."""
        against: set[DimensionName] = set()
        comparing = clause.find(self._lexicon.comparatives) is not None
        for dimension in {f.dimension for f in filters}:
            named = sorted((f for f in filters if f.dimension == dimension), key=lambda f: f.start)
            for first, second in zip(named, named[1:], strict=False):
                between = clause.folded[first.end : second.start]
                if self._lexicon.compare_markers.search(between) or (
                    comparing and _OR.search(between)
                ):
                    against.add(dimension)
        return against

    def _plan(
        self,
        part: _Part,
        period: DateRange,
        compare: Comparison | None,
        compare_to: DateRange | None = None,
    ) -> MetricsPlan:
        """The plan of a part; a breakdown or filter the metrics cannot give is asked in the
        dimension they can (a ticket's category is its topic), and a ticket topic named
        beside figures that have none is not a filter ("returns" of orders)."""
        allowed = self.words.allowed(part.metrics)
        filters = tuple(
            Filter(dimension=fit(dimension, allowed), values=tuple(values))
            for dimension, values in part.filters.items()
            if dimension != "topic" or "topic" in allowed
        )
        return MetricsPlan(
            metrics=tuple(part.metrics),
            period=period,
            by=part.by and fit(part.by, allowed),
            grain=part.grain,
            filters=filters,
            compare=compare,
            compare_to=compare_to,
        )

    def _periods(
        self, asked: Sequence[PeriodMatch], compared: Sequence[PeriodMatch], clause: Clause
    ) -> list[DateRange]:
        if asked:
            return [p.range for p in narrowest(asked, clause.today)]
        to_date = self._comparisons.current_of(compared, clause.today)
        return [to_date or last_complete_week(clause.today)]

    def _parts(
        self,
        clause: Clause,
        mentions: Sequence[Mention],
        filters: Sequence[FilterValue],
        periods: Sequence[PeriodMatch],
    ) -> list[_Part]:
        """The clause cut into parts, and parts gathered into what each plan asks for."""
        breakdowns, grains = self.words.breakdowns(clause), self.words.grains(clause)
        bounds = self._part_bounds(clause, mentions)
        parts: list[_Part] = []
        pending = _Part()
        for start, end in zip(bounds, bounds[1:], strict=False):
            here = _Part(
                metrics=list(dict.fromkeys(m.metric for m in mentions if start <= m.start < end)),
                by=next((b.dimension for b in breakdowns if start <= b.start < end), None)
                or next((m.by for m in mentions if start <= m.start < end and m.by), None),
                grain=next((g.grain for g in grains if start <= g.start < end), None),
                periods=[p for p in periods if start <= p.start < end],
            )
            for f in filters:
                if start <= f.start < end:
                    here.add_filter(f.dimension, [f.value])
            if not here.metrics:
                if parts:
                    parts += _spread(parts, here)
                else:
                    pending.absorb(here)
            elif parts and not (parts[-1].modified() and here.modified()):
                parts[-1].absorb(here)
            else:
                parts.append(here)
        if parts and pending.modified():
            parts += _spread(parts, pending)
        return parts

    def _part_bounds(self, clause: Clause, mentions: Sequence[Mention]) -> list[int]:
        """Where the clause's parts start: at each "and" and comma outside a period or a
        metric's words, and at its end."""
        cuts = [0]
        for pattern in (self._lexicon.conjunctions, _CUT):
            for match in pattern.finditer(clause.folded):
                start, end = match.span()
                inside = clause.period_inside(start, end) or any(
                    m.start <= start and end <= m.end for m in mentions
                )
                if not inside:
                    cuts.append(start)
        return [*sorted(set(cuts)), len(clause.folded) + 1]


def _spans(mentions: Sequence[Mention], filters: Sequence[FilterValue]) -> list[tuple[int, int]]:
    """Where the figures and filter values named are (a default set names none)."""
    spans = [(m.start, m.end) for m in mentions] + [(f.start, f.end) for f in filters]
    return [(start, end) for start, end in spans if end > start]


def _series_joined(plans: Sequence[MetricsPlan]) -> list[MetricsPlan]:
    """A series asked over periods that follow each other is one series over them all
    ("yearly revenue, 2025 and this year so far", "weekly orders for October and November")."""
    joined: list[MetricsPlan] = []
    for plan in plans:
        last = joined[-1] if joined else None
        if (
            last is not None
            and plan.grain is not None
            and last.period.end + timedelta(days=1) == plan.period.start
            and last.model_copy(update={"period": plan.period}) == plan
        ):
            period = DateRange(start=last.period.start, end=plan.period.end)
            joined[-1] = last.model_copy(update={"period": period})
        else:
            joined.append(plan)
    return joined


def _spread(parts: list[_Part], modifier: _Part) -> list[_Part]:
    """A part with no metric: what every plan lacks it gives them all; a second period or
    breakdown repeats the last plan with it (the same one again, "annual revenue, one number
    per year", adds nothing); a filter adds to the last. Returns the plans it adds."""
    added: list[_Part] = []
    last = parts[-1]
    if [p.range for p in modifier.periods] == [p.range for p in last.periods]:
        modifier.periods = []
    if modifier.by == last.by:
        modifier.by = None
    if modifier.grain == last.grain:
        modifier.grain = None
    if modifier.periods:
        if all(not p.periods for p in parts):
            for p in parts:
                p.periods = list(modifier.periods)
        else:
            repeated = last.copy()
            repeated.periods = list(modifier.periods)
            added.append(repeated)
    if modifier.by is not None:
        if all(p.by is None for p in parts):
            for p in parts:
                p.by = modifier.by
        else:
            repeated = last.copy()
            repeated.by = modifier.by
            added.append(repeated)
    if modifier.grain is not None:
        if all(p.grain is None for p in parts):
            for p in parts:
                p.grain = modifier.grain
        else:
            repeated = last.copy()
            repeated.grain = modifier.grain
            added.append(repeated)
    for dimension, values in modifier.filters.items():
        lacking = [p for p in parts if dimension not in p.filters]
        for p in lacking if len(lacking) == len(parts) else [last]:
            p.add_filter(dimension, values)
    return added
