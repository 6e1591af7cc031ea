"""Asks that are not metrics questions: support, copy, decline, win-back what-if, analysis.

Each rule reads one clause and returns its plans (none when it does not apply). ``RulesPlanner``
tries them in an order that settles their overlaps: a customer asking wins over the figures or
the card number they mention, copy over the errand or channel it names, an out-of-scope word
over everything after it, a what-if over the churn it implies, an analysis over the metric
words in it ("customers in each segment").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from agents.planner.clause import Clause, whole, year_after
from agents.planner.comparisons import Comparisons
from agents.planner.lexicon import Lexicon, compile_phrases, fold
from agents.planner.metric_words import Mention
from agents.planner.periods import PeriodMatch, find_period
from agents.planner.plans import (
    AS_OF_ANALYSES,
    AnalysisName,
    AnalysisPlan,
    CopyPlan,
    DeclinePlan,
    SupportPlan,
    WinbackWhatIfPlan,
)
from agents.planner.segments import SegmentNames
from agents.planner.words import TermIndex
from integrations.warehouse.metrics import DateRange, MetricCatalog

CAN_DO = (
    "I can answer questions about sales, customers, marketing and support figures, forecast "
    "revenue, look at customer segments, churn and cohorts, work out what a win-back offer "
    "would return, write marketing copy, and answer customers' questions from the help centre."
)
# Specific analyses win over general ones: "lifetime value by segment" is lifetime value.
_ANALYSIS_ORDER: tuple[AnalysisName, ...] = ("lifetime_value", "cohorts", "churn", "segments")
_THEME_END = re.compile(r"[,;.!?\n]| - | — ")
# What may join two formats asked together ("an email and 3 subject lines", "caption + tweet"),
# or nothing at all ("email subject lines").
_JOINED_FORMATS = re.compile(r"\s*(?:(?:,|\+|&|and|und|y|et|plus)\s*(?:an?|some|\d+|a few)?\s*)?")
_NEAR_WORDS = 40
# A word saying whose thing follows: "my order", "their package", "someone's order".
_BELONGING = re.compile(
    r"(?:\b(?:my|your|their|his|her|mi|tu|su|sus|mein\w*|dein\w*|sein\w*|ihr\w*|mon|ma|ton|ta"
    r"|son|sa|leur)|'s?)\s*$"
)


class IntentRules:
    """The non-metrics rules, built once from the lexicon, the catalog and the segment names."""

    def __init__(
        self, catalog: MetricCatalog, lexicon: Lexicon, terms: TermIndex, segments: Sequence[str]
    ) -> None:
        self._lexicon = lexicon
        self._terms = terms
        self._segments = SegmentNames(segments, lexicon, catalog)
        self._comparisons = Comparisons(lexicon)
        self._forecast_markers = compile_phrases(
            [*lexicon.entry.compare_markers, *lexicon.entry.target_markers]
        )

    def decline(self, clause: Clause, mentions: Sequence[Mention]) -> list[DeclinePlan]:
        """Out of scope: the first category whose words the clause has."""
        return _declined(clause, self._lexicon.decline)

    def decline_before_copy(self, clause: Clause, mentions: Sequence[Mention]) -> list[DeclinePlan]:
        """Out of scope whatever is asked to be written: code, people's data or pay, other
        companies' figures."""
        return _declined(clause, self._lexicon.decline_before_copy)

    def customer_question(self, clause: Clause, mentions: Sequence[Mention]) -> list[SupportPlan]:
        """A customer asking ("customer asks", "un cliente pregunta") or how to answer one:
        support, whatever else it names (a card, an address)."""
        lexicon = self._lexicon
        if clause.find(lexicon.customer_asking) or clause.find(lexicon.support_answering):
            return [SupportPlan(question=clause.text.strip())]
        return []

    def support(self, clause: Clause, mentions: Sequence[Mention]) -> list[SupportPlan]:
        """Someone asking ("someone on chat wants to know"), a question in a customer's words
        ("do you ship to Canada?"); a customer's situation ("arrived damaged") when no figure
        or period is asked."""
        lexicon = self._lexicon
        # "a customer's zipper", "their order": someone's things, not figures asked for
        figures = [
            m
            for m in mentions
            if "'" not in clause.folded[m.start : m.end + 1]
            and not _BELONGING.search(clause.folded, 0, m.start)
        ]
        # "someone said it's way higher over the holidays" is about a period's figures
        someone_asked = clause.find(lexicon.someone_asking) and not clause.periods
        if (
            someone_asked
            or clause.find(lexicon.support_phrases)
            or (clause.find(lexicon.support_situations) and not figures and not clause.periods)
        ):
            return [SupportPlan(question=clause.text.strip())]
        return []

    def copy(self, clause: Clause, mentions: Sequence[Mention]) -> list[CopyPlan]:
        """Copy in the format named first (and in formats joined to it: "an email and three
        subject lines"), on the theme given. Without a writing verb before it or a word for
        copy after it ("email copy for …"): a format that is copy by itself (a caption, subject
        lines), or an email or ad on a theme ("black friday email pls", "email for the sale")
        with no figure named; never after a figure or in a "how did … do"."""
        lexicon = self._lexicon
        found = sorted(
            (match.start(), match.end(), name)
            for name, pattern in lexicon.copy_formats.items()
            for match in pattern.finditer(clause.folded)
        )
        if not found or clause.find(lexicon.not_marketing):
            return []
        start, end, name = found[0]
        formats = [name]
        for next_start, next_end, next_name in found[1:]:
            between = clause.folded[end:next_start]
            if next_start < end or not _JOINED_FORMATS.fullmatch(between):
                continue
            if between.strip():
                formats.append(next_name)
            else:  # "email subject lines": the last word names the format
                formats[-1] = next_name
            end = next_end
        theme = self._theme(clause, start, end)
        written = lexicon.copy_verbs.search(clause.folded[max(0, start - _NEAR_WORDS) : start])
        if not (written or lexicon.copy_nouns.match(clause.folded[end:].lstrip())):
            if clause.find(lexicon.performance) or any(m.start < start for m in mentions):
                return []
            rest = clause.folded[end:].strip(" ?!.,")
            closing = (
                not rest or lexicon.theme_stops.match(rest) or lexicon.theme_markers.match(rest)
            )
            if name not in lexicon.copy_standalone and not (theme and closing and not mentions):
                return []
        return [CopyPlan(format=f, theme=theme) for f in dict.fromkeys(formats)]

    def _theme(self, clause: Clause, start: int, end: int) -> str | None:
        """The words the request gives as the subject: after "for"/"about"/"para"/"pour" close
        behind the format, else before the format; asking and filler words dropped."""
        lexicon = self._lexicon
        if clause.find(lexicon.no_theme):
            return None
        if label := clause.find(lexicon.theme_labels):
            rest = clause.folded[label.end() :]
            stop = _THEME_END.search(rest)
            words = clause.as_written(
                label.end(), label.end() + (stop.start() if stop else len(rest))
            )
            return _theme_words(lexicon, words)
        # What follows the format, up to the end of its phrase ("IG caption, something cosy
        # about fleece" reads past the comma right after the format).
        end += len(clause.folded[end:]) - len(clause.folded[end:].lstrip(" ,:-"))
        after = clause.folded[end:]
        after = after[: m.start()] if (m := _THEME_END.search(after)) else after
        marker = lexicon.theme_markers.search(after)
        if marker is not None and len(after[: marker.start()].split()) <= 3:
            offset = end + marker.end()
            words = clause.as_written(offset, end + len(after))
        else:
            verb = lexicon.copy_verbs.search(clause.folded[:start])
            words = clause.as_written(verb.end() if verb else 0, start)
        return _theme_words(lexicon, words)

    def winback(self, clause: Clause, mentions: Sequence[Mention]) -> list[WinbackWhatIfPlan]:
        """What a win-back offer would return: a win-back word with a value, amount, incentive
        or "what if"; an amount as an incentive ("15% off", "a 20% coupon") or for a segment;
        an incentive with a value or a "what if". A past period makes it a question about
        figures, and an amount alone is no offer ("what would a 10% raise cost us")."""
        lexicon = self._lexicon
        discount = self._discount(clause)
        segment = self._segments.find(clause)
        value = bool(clause.find(lexicon.winback_value))
        hypothetical = bool(clause.find(lexicon.winback_hypothetical))
        incentive = bool(clause.find(lexicon.winback_incentives))
        if clause.find(lexicon.winback_offers):
            asked = value or discount is not None or incentive or hypothetical
        elif any(not period.future for period in clause.periods):
            asked = False
        elif discount is not None:
            asked = incentive or segment is not None or (hypothetical and value)
        else:
            asked = incentive and (value or hypothetical)
        if not asked:
            return []
        return [
            WinbackWhatIfPlan(
                discount=discount if discount is None or 0 < discount < 1 else None,
                segment=segment and segment[0],
            )
        ]

    def _discount(self, clause: Clause) -> float | None:
        """The amount off as a fraction: "20%", "15 pct", "twenty percent", "half off"."""
        if amount := clause.find(self._lexicon.discount):
            return float(amount["amount"].replace(",", ".")) / 100
        for fraction, pattern in self._lexicon.discount_words.items():
            if clause.find(pattern):
                return fraction
        return None

    def analysis(self, clause: Clause, mentions: Sequence[Mention]) -> list[AnalysisPlan]:
        """An analysis named by the catalog's words or the lexicon's ("who is slipping away"),
        a segment named, or a question about a period still to come (a forecast). Analyses
        joined by "and" ("cohort retention and LTV") are each asked; otherwise the most
        specific one named ("lifetime value by segment")."""
        lexicon = self._lexicon
        segment = self._segments.find(clause)
        named: dict[AnalysisName, tuple[int, int]] = {}
        for term in self._terms.find(clause.words, [(p.start, p.end) for p in clause.periods]):
            kind = lexicon.analysis_metrics.get(term.metric)
            if kind and not (segment and term.start < segment[2] and segment[1] < term.end):
                named.setdefault(kind, (term.start, term.end))
        for kind, pattern in lexicon.analysis_phrasings.items():
            if found := clause.find(pattern):
                named.setdefault(kind, found.span())
        if "forecast" in named:
            return [self._forecast(clause)]
        if segment:
            named.setdefault("segments", (segment[1], segment[2]))
        if named:
            chosen = self._joined(clause, named) or [
                next(kind for kind in _ANALYSIS_ORDER if kind in named)
            ]
            days = self._as_of(clause)
            return [
                AnalysisPlan(
                    analysis=kind,
                    segment=segment[0] if segment and kind == "segments" else None,
                    period=period if kind in AS_OF_ANALYSES else None,
                )
                for kind in chosen
                for period in (days if kind in AS_OF_ANALYSES else [None])
            ]
        # "will we …" is a forecast about a figure, or about beating a period ("will Q4 come in
        # above last year's?"); "will we be closed on Thanksgiving" is not. How a period yet
        # to end will turn out ("where will December land?") is one whatever it names.
        aims = self._comparisons.marker(clause, self._forecast_markers) is not None
        asks_ahead = clause.find(lexicon.forecast_questions) and (mentions or aims)
        turns_out = clause.find(lexicon.forecast_outcomes) and clause.periods
        if asks_ahead or turns_out or (mentions and any(p.future for p in clause.periods)):
            return [self._forecast(clause)]
        return []

    def _as_of(self, clause: Clause) -> list[DateRange | None]:
        """The periods gone by (or under way) whose last day the clause's segments, churn risk
        or lifetime value are asked as of: the first it names, or each of those it compares
        ("lost customers in Q2 vs Q3"; with one, None too: "churn risk vs last month"). [None],
        the data's last day, when it names none, when it says which customers it means
        ("customers we acquired in 2024"), or when it asks about what is still to come ("how
        many will be at risk in January": today's figures are what there is). A period set as
        a deadline ("call them before the holidays") is not one."""
        lexicon = self._lexicon
        past: list[DateRange | None] = [
            p.range
            for p in clause.periods
            if not p.future and not lexicon.deadline.search(clause.folded[: p.start])
        ]
        if not past or clause.find(lexicon.cohort_cues) or clause.find(lexicon.forecast_questions):
            return [None]
        if not clause.find(lexicon.compare_markers):
            return past[:1]
        compared = list(dict.fromkeys(past))
        return compared if len(compared) > 1 else [None, *compared]  # "now vs last month"

    def _joined(
        self, clause: Clause, named: Mapping[AnalysisName, tuple[int, int]]
    ) -> list[AnalysisName]:
        """The analyses named one after the other with "and" (or a comma) between each; none
        when they are not (one qualifies another)."""
        spans = sorted((span, kind) for kind, span in named.items())
        for ((_, end), _), ((start, _), _) in zip(spans, spans[1:], strict=False):
            between = clause.folded[end:start]
            if not (self._lexicon.conjunctions.search(between) or "," in between):
                return []
        return [kind for _, kind in spans] if len(spans) > 1 else []

    def _forecast(self, clause: Clause) -> AnalysisPlan:
        """The forecast for the period named (its next occurrence, whole) against the period it
        must beat ("last December"; "last year" is the same period a year before)."""
        marker = self._comparisons.marker(clause, self._forecast_markers)
        asked, compared = clause.split_periods(marker)
        target = _target(asked[0], clause.today) if asked else None
        compare_to = self._comparisons.compared_range(
            compared, clause.today, asked[0] if asked else None
        )
        if target is None and compare_to is not None:
            target = _a_year_on(compared, clause.today) or year_after(compare_to)
        return AnalysisPlan(analysis="forecast", period=target, compare_to=compare_to)


def _a_year_on(compared: Sequence[PeriodMatch], today: date) -> DateRange | None:
    """What the one period compared with names asked a year from now: "last year's Black
    Friday weekend" is this year's (a day's date a year on would miss the weekday)."""
    if len(compared) != 1:
        return None
    again = find_period(compared[0].phrase, year_after(DateRange(start=today, end=today)).start)
    return again.range if again is not None else None


def _target(period: PeriodMatch, today: date) -> DateRange:
    """A forecast's period: a future one as named, one in progress made whole, a past one's
    next occurrence ("December" in November is the coming December)."""
    if period.future:
        return period.range
    if period.range.end >= today - timedelta(days=1):
        return whole(period)
    again = find_period(f"{period.phrase} this year", today)
    if again is not None and again.future:
        return again.range
    return year_after(period.range)


def _theme_words(lexicon: Lexicon, words: str) -> str | None:
    """The theme in ``words``: cut at a closing word ("pls", "and keep it short"), asking and
    filler words dropped from both ends."""
    if stop := lexicon.theme_stops.search(fold(words)):
        words = words[: stop.start()]
    kept = words.split()
    while kept and lexicon.not_theme.fullmatch(fold(kept[0])):
        kept.pop(0)
    while kept and lexicon.not_theme.fullmatch(fold(kept[-1])):
        kept.pop()
    return " ".join(kept).strip(" -'\"") or None


def _declined(clause: Clause, categories: Mapping[str, re.Pattern[str]]) -> list[DeclinePlan]:
    for what, pattern in categories.items():
        if clause.find(pattern):
            return [DeclinePlan(reason=f"That's outside what I do ({what}). {CAN_DO}")]
    return []
