"""What a clause names for a metrics question: metrics, filter values, breakdowns, grains.

Metrics come from the catalog's words (``TermIndex``) and the lexicon's phrasings ("how much did
we sell" is revenue, "what did it cost to get a customer" CAC). Filter values are the
warehouse's, whatever the language ("just paid social", "from canada", "en Allemagne"); a
breakdown is a dimension after "by", "per", "nach", "por", "par", or after "which"/"top" ("which
category sold the most"); a grain is "weekly", "by month", "pro Woche".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from agents.planner.clause import Clause
from agents.planner.lexicon import FILTER_VALUES, Lexicon, compile_phrases
from agents.planner.words import TermIndex
from integrations.warehouse.metrics import AnalysisMetric, DimensionName, Grain, MetricCatalog

# Words that make the metric after them the population of another ("escalation rate on
# shipping tickets", "revenue from new customers", German genitive "Bearbeitungszeit der
# Tickets"), one or two words away.
_POPULATION = compile_phrases(
    [r"(on|for|of|among|from|across|to|uber|bei|von|unter|der|des|de|del|entre|para|sur|pour"
     r"|parmi|du)( \w+){0,2}_$"]
)  # fmt: skip
_ARTICLES = "the|each|every|our|der|die|den|dem|el|la|los|las|le|les|de|product"
# What lies between the values of one list ("email, affiliate and referral").
_LISTED = compile_phrases([r"[\s,]*((and|or|und|oder|y|o|et|ou|nor|&) )?(the )?"])
# How close a signup word must be to a channel for it to be the signup channel.
_SIGNUP_NEAR = 25


@dataclass(frozen=True, slots=True)
class Mention:
    """A metric a clause names, where, and the breakdown its phrasing implies."""

    metric: str
    start: int
    end: int
    by: DimensionName | None = None


@dataclass(frozen=True, slots=True)
class FilterValue:
    """A filter value a clause names (the warehouse's spelling), and where."""

    dimension: DimensionName
    value: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Breakdown:
    dimension: DimensionName
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Series:
    grain: Grain
    start: int
    end: int


class MetricWords:
    """Finds the metrics questions' words in clauses (patterns compiled once)."""

    def __init__(self, catalog: MetricCatalog, lexicon: Lexicon, terms: TermIndex) -> None:
        self._catalog = catalog
        self._lexicon = lexicon
        self._terms = terms
        self._sql = {m.name for m in catalog.metrics if not isinstance(m, AnalysisMetric)}
        entry = lexicon.entry
        self._marker_before = compile_phrases(
            [f"({'|'.join(entry.breakdown_markers)}) (({_ARTICLES}) )?$"]
        )
        self._which_before = compile_phrases(
            [f"({'|'.join(entry.which_markers)}) (\\w+ )?(({_ARTICLES}) )?$"]
        )
        self._noun_after = compile_phrases([f"^_({'|'.join(entry.breakdown_nouns)})"])

    def mentions(self, clause: Clause) -> list[Mention]:
        """The catalog's metrics the clause names, by phrasing or by one of their words (not in
        a noun that names no figure: "customer support"); a phrasing that holds only alone
        ("brought in") gives way to a metric named, and to a figure the layer does not have
        ("units sold")."""
        phrased: list[Mention] = []
        alone: list[Mention] = []
        for phrasing, pattern in self._lexicon.metric_phrasings:
            for match in pattern.finditer(clause.folded):
                found = [Mention(m, *match.span(), phrasing.by) for m in phrasing.metrics]
                (alone if phrasing.alone else phrased).extend(found)
        for metric, pattern in self._lexicon.case_sensitive_phrasings.items():
            phrased += [Mention(metric, *match.span()) for match in pattern.finditer(clause.text)]
        for pattern in self._lexicon.topic_requests:
            phrased += [
                Mention(metric, *match.span("noun"))
                for match in pattern.finditer(clause.folded)
                for metric in self._lexicon.entry.topic_requests.metrics
            ]
        taken = [(m.start, m.end) for m in [*phrased, *alone]]
        taken += [(p.start, p.end) for p in clause.periods]
        taken += clause.spans(self._lexicon.not_metrics)
        named = [
            Mention(term.metric, term.start, term.end)
            for term in self._terms.find(clause.words, taken)
            if term.metric in self._sql
        ]
        if not phrased + named and clause.find(self._lexicon.unknown_figures):
            return []
        return sorted(phrased + named or alone, key=lambda m: m.start)

    def filters(self, clause: Clause) -> list[FilterValue]:
        """Filter values named, in the warehouse's spelling: a channel next to a signup word
        is the signup channel, and a value after "excluding" gives every other value."""
        found: list[FilterValue] = []
        for dimension, values in self._lexicon.filters.items():
            for value, pattern in values.items():
                found += [
                    FilterValue(dimension, value, *m.span())
                    for m in pattern.finditer(clause.folded)
                ]
        for dimension, raw in self._lexicon.case_sensitive_filters.items():
            for value, pattern in raw.items():
                found += [
                    FilterValue(dimension, value, *m.span()) for m in pattern.finditer(clause.text)
                ]
        signup = clause.spans(self._lexicon.signup_cues)
        kept: list[FilterValue] = []
        left_out: dict[DimensionName, list[FilterValue]] = {}
        for f in sorted(found, key=lambda f: f.start):
            if clause.period_inside(f.start, f.end):
                continue
            if f.dimension == "channel" and any(
                -_SIGNUP_NEAR < start - f.end < _SIGNUP_NEAR
                or -_SIGNUP_NEAR < f.start - end < _SIGNUP_NEAR
                for start, end in signup
            ):
                f = replace(f, dimension="signup_channel")
            # "without email and affiliate": the values listed after the negation
            listed = left_out.get(f.dimension, [])
            after_list = listed and _LISTED.fullmatch(clause.folded[listed[-1].end : f.start])
            if after_list or self._lexicon.filter_negation.search(clause.folded[: f.start]):
                left_out.setdefault(f.dimension, []).append(f)
            else:
                kept.append(f)
        for dimension, negated in left_out.items():
            others = sorted(FILTER_VALUES[dimension] - {f.value for f in negated})
            kept += [replace(negated[0], value=other) for other in others]
        return kept

    def breakdowns(self, clause: Clause) -> list[Breakdown]:
        """Dimensions asked as a breakdown, the longest where two overlap ("by signup
        channel" is not "by channel")."""
        found = []
        for dimension, pattern in self._lexicon.dimensions.items():
            for match in pattern.finditer(clause.folded):
                before = clause.folded[max(0, match.start() - 40) : match.start()]
                if (
                    self._marker_before.search(before)
                    or self._which_before.search(before)
                    or self._noun_after.search(clause.folded[match.end() :])
                ):
                    found.append(Breakdown(dimension, *match.span()))
        return [f for f in found if not any(_covers(g, f) for g in found)]

    def grains(self, clause: Clause) -> list[Series]:
        return [
            Series(grain, *span)
            for grain, pattern in self._lexicon.grains.items()
            for span in clause.spans(pattern)
        ]

    def allowed(self, metrics: Iterable[str]) -> set[DimensionName]:
        """The dimensions at least one of ``metrics`` can be broken down or filtered by."""
        allowed: set[DimensionName] = set()
        for name in metrics:
            allowed |= set(self._catalog.sql_metric(name).dimensions)
        return allowed

    def settle(
        self, mentions: Sequence[Mention], filters: Sequence[FilterValue], clause: Clause
    ) -> tuple[list[Mention], list[FilterValue]]:
        """A word both a metric and a filter value ("discounts") is the filter when other
        metrics can be filtered by it; a metric that is another's population is dropped."""
        kept_mentions, kept_filters = list(mentions), list(filters)
        for f in filters:
            clash = [m for m in kept_mentions if m.start < f.end and f.start < m.end]
            if not clash:
                continue
            others = [m for m in kept_mentions if m not in clash]
            if others and f.dimension in self.allowed(m.metric for m in others):
                kept_mentions = others
            else:
                kept_filters.remove(f)
        asked = [m for m in kept_mentions if not _POPULATION.search(clause.folded[: m.start])]
        if asked and len({m.metric for m in asked}) < len({m.metric for m in kept_mentions}):
            kept_mentions = asked
        return kept_mentions, kept_filters


def _covers(longer: Breakdown, shorter: Breakdown) -> bool:
    return (
        longer is not shorter
        and longer.start <= shorter.start
        and shorter.end <= longer.end
        and longer.end - longer.start > shorter.end - shorter.start
    )


def fit(dimension: DimensionName, allowed: set[DimensionName]) -> DimensionName:
    """The dimension the metrics can give for one asked: a ticket's category is its topic and
    its channel the customer's signup channel; "new customers by channel" stays channel."""
    if dimension in allowed:
        return dimension
    if dimension == "category" and "topic" in allowed:
        return "topic"
    if dimension == "channel" and "signup_channel" in allowed:
        return "signup_channel"
    return dimension
