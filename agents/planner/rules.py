"""The deterministic planner: a request in the team's words → typed plans, without a model.

``RulesPlanner(catalog, segments).plan(request, today)`` mends typos (never inside a period
phrase), cuts the request into asks (at "?", "also", "+", "; ", "and who…"), and reads each
ask with the rules in order: a customer's question; code, people's data and other companies
(declined); copy; other out-of-scope asks; other support questions; win-back what-if;
analysis; metrics. An ask with nothing of its own ("just paid social", "weekly since
september") adds to the ask before it; asks about figures next to each other are read
together, so their parts can share a period or a breakdown, and so are two sentences of one
customer's question. A what-if "for them" is for the segment named in the ask before it. A
request it cannot place is a ``ClarifyPlan``; it never raises.

Metric names and synonyms come from the metrics layer's catalog, periods from
``agents.planner.periods``, the rest of the team's words from ``lexicon.yaml``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from agents.planner.clause import Clause
from agents.planner.intent_rules import CAN_DO, IntentRules
from agents.planner.lexicon import Lexicon, LexiconError, compile_phrases, fold
from agents.planner.metric_rules import MetricRules, Stated
from agents.planner.metric_words import Mention
from agents.planner.periods import find_periods
from agents.planner.plans import (
    AnalysisPlan,
    ClarifyPlan,
    Plan,
    Plans,
    SupportPlan,
    WinbackWhatIfPlan,
)
from agents.planner.words import Mended, TermIndex, TypoCorrector
from integrations.warehouse.metrics import MetricCatalog

logger = logging.getLogger(__name__)

MAX_REQUEST_CHARS = 1000
MAX_PLANS = 4
ASK_AGAIN = (
    "What would you like to know? Ask for a figure and a period, e.g. \u201crevenue by channel "
    "last month\u201d. " + CAN_DO
)
# Asks of these kinds next to each other are one ask: figures that share a period or a
# breakdown, a customer's question written in two sentences.
_READ_TOGETHER = frozenset({"metrics", "support"})
_COMMA = re.compile(r",\s*")
# A quoted passage long enough to be someone's message.
_QUOTED = re.compile(
    r"[\"\u201c\u201e\u00ab\u2039]\s*[^\"\u201c\u201d\u201e\u00ab\u00bb]{20,}?\s*[\"\u201d\u201c\u00bb\u203a]"
)
_SENTENCE_END = re.compile(r"[?!;]+|(?<!\b\w)\.(?=\s)|\n+|(?<=\s)\+(?=\s)")
# Which words name metrics does not depend on the day: any day serves to find them.
_ANY_DAY = date(2026, 1, 1)


_Rule = Callable[[Clause, Sequence[Mention]], Sequence[Plan]]


@dataclass(frozen=True, slots=True)
class _Reading:
    kind: str
    plans: tuple[Plan, ...]
    start: int
    end: int


class RulesPlanner:
    """Plans requests with the catalog's words, the segment names and the lexicon."""

    def __init__(self, catalog: MetricCatalog, segments: Sequence[str]) -> None:
        lexicon = Lexicon.load()
        _check_metrics(lexicon, catalog)
        self._lexicon = lexicon
        terms = TermIndex(catalog.terms)
        self._date_cues = terms.words
        segment_words = {word for name in segments for word in fold(name).split()}
        self._typos = TypoCorrector(lexicon, terms.words, segment_words)
        self._metrics = MetricRules(catalog, lexicon, terms)
        intents = IntentRules(catalog, lexicon, terms, segments)
        # In this order: a customer's question wins over the figures it mentions; code and
        # people's data are declined even when asked to be written; copy wins over the errand
        # or channel it names, an errand over anything left, a what-if over the churn it
        # implies, an analysis over the metric words in it.
        self._rules: tuple[tuple[str, _Rule], ...] = (
            ("support", intents.customer_question),
            ("decline", intents.decline_before_copy),
            ("copy", intents.copy),
            ("decline", intents.decline),
            ("support", intents.support),
            ("winback_what_if", intents.winback),
            ("analysis", intents.analysis),
            ("metrics", self._metrics.plans),
        )
        entry = lexicon.entry
        starters = "|".join(entry.ask_starters)
        after_and = "|".join((*entry.ask_starters, *entry.and_starters))
        joins = "|".join(entry.conjunctions)
        self._new_ask = re.compile(
            rf"(?:,\s*)?(?<!\w)(?:{joins})\s+(?:then\s+)?(?=(?:{after_and})\b)"
            rf"|,\s*(?:then\s+)?(?=(?:{starters})\b)"
        )
        articles, new_nouns = "|".join(entry.article_starters), "|".join(entry.new_ask_nouns)
        formats = "|".join(p for f in entry.copywriting.formats.values() for p in f)
        asker = "|".join((*entry.support.customer, *entry.support.someone))
        self._new_ask_after_and = compile_phrases(
            [
                # "… and a tagline for …", "… and 3 subject lines", "… y una pregunta de …"
                f"({joins})(?= ({articles})( \\w+){{0,3}} ({new_nouns}|{formats}))",
                # "… et prévision pour janvier", "… and december's forecast"
                f"({joins})(?=( \\w+){{0,2}} ({new_nouns}))",
                # "…, and a customer is asking whether …", "…, someone on chat wants to know …"
                f"((?<=,)|{joins})(?= (({articles}) )?({asker})( \\w+){{0,4}}"
                f" ({'|'.join(entry.support.asking)}))",
            ]
        )
        self._list_end = re.compile(rf",\s*(?:{joins})\s+")
        self._clause_breaks = lexicon.clause_breaks
        # "who are our at-risk customers, and what would 20% off do for them?"
        self._refers_back = compile_phrases(entry.referring_back)

    def plan(self, request: str, today: date) -> Plans:
        """Every plan ``request`` needs (at most four); a clarifying question when it cannot
        be placed. Never raises."""
        try:
            plans = self._plan(request[:MAX_REQUEST_CHARS], today)
        except Exception:  # a rule's bug must not cost the user an answer: ask back instead
            logger.exception("rules planner failed on a request of %d characters", len(request))
            plans = []
        if len(plans) == 1 and isinstance(plans[0], SupportPlan):
            # The whole request is the customer's question: the help centre gets it as written.
            plans = [SupportPlan(question=" ".join(request.split())[:MAX_REQUEST_CHARS])]
        return Plans(
            plans=tuple(plans[:MAX_PLANS]) or (ClarifyPlan(question=self._ask_again(request)),)
        )

    def _ask_again(self, request: str) -> str:
        """The question back for a request no rule placed: naming the figure it asks for when
        the metrics layer has none ("gross margin"), so the person knows not to ask it again."""
        missing = self._lexicon.missing_figures.search(fold(request))
        if missing is None:
            return ASK_AGAIN
        return f"I have no figure for \u201c{missing[0]}\u201d. {ASK_AGAIN}"

    def stated(self, request: str, today: date) -> Stated:
        """What ``request`` states about a metrics question — metrics, period, breakdown,
        grain, filters, comparison — with nothing filled in by default ("by channel?" states
        a breakdown only): what a follow-up in a thread changes."""
        mended = self._mended(request, today)
        return self._metrics.stated(
            Clause(mended.text, mended.folded, today, mended.mends, self._date_cues)
        )

    def named_metrics(self, request: str) -> tuple[str, ...]:
        """The metrics ``request`` names itself, in its order (none when it names none)."""
        return self.stated(request, _ANY_DAY).metrics

    def _mended(self, request: str, today: date) -> Mended:
        """The request with its typos mended, outside the periods it names."""
        periods = find_periods(request, today, self._date_cues)
        return self._typos.correct(request, fold(request), keep=[(p.start, p.end) for p in periods])

    def _plan(self, request: str, today: date) -> list[Plan]:
        if self._pasted_question(request):
            return [SupportPlan(question=request)]
        mended = self._mended(request, today)
        readings: list[_Reading] = []
        pending: tuple[int, int] | None = None
        for start, end in self._asks(mended.folded):
            if pending is not None:
                start, pending = pending[0], None
            reading = self._read(mended, start, end, today)
            if reading is None:
                if readings:
                    last = readings.pop()
                    reading = self._read(mended, last.start, end, today) or last
                else:
                    pending = (start, end)
                    continue
            elif readings and readings[-1].kind == reading.kind and reading.kind in _READ_TOGETHER:
                last = readings.pop()
                reading = self._read(mended, last.start, end, today) or reading
            readings.append(reading)
        plans: list[Plan] = []
        segment: str | None = None
        for reading in readings:
            refers_back = self._refers_back.search(mended.folded, reading.start, reading.end)
            for plan in reading.plans:
                if isinstance(plan, AnalysisPlan | WinbackWhatIfPlan):
                    if refers_back and plan.segment is None and plan.kind == "winback_what_if":
                        plan = plan.model_copy(update={"segment": segment})
                    segment = plan.segment or segment
                if plan not in plans:
                    plans.append(plan)
        return [plan for plan in plans if not _said_again(plan, plans)]

    def _pasted_question(self, request: str) -> bool:
        """A customer's message pasted in quotes with a question about answering it
        (\u201c"Where is my package??" \u2014 what do I tell her\u201d): support, whatever
        the quote names."""
        if not _QUOTED.search(request):
            return False
        outside = fold(_QUOTED.sub(" ", request))
        return any(
            pattern.search(outside)
            for pattern in (
                self._lexicon.support_answering,
                self._lexicon.support_replying,
                self._lexicon.customer_asking,
            )
        )

    def _asks(self, folded: str) -> list[tuple[int, int]]:
        """Where each ask of the request is: cut at sentence ends, "+", "also", "; ", at
        "and" (a comma) before a new question ("… and who should we win back?") or someone
        asking ("…, and a customer asks …"), and at "and" before a noun that asks anew ("… and
        forecast for …"), or an article or number and a format ("… and 3 subject lines")."""
        cuts: list[tuple[int, int]] = [(0, 0)]
        cuts += [m.span() for m in _SENTENCE_END.finditer(folded)]
        cuts += [m.span() for m in self._clause_breaks.finditer(folded)]
        cuts += [m.span() for m in self._new_ask.finditer(folded)]
        cuts += [m.span() for m in self._new_ask_after_and.finditer(folded)]
        cuts += self._list_items(folded, cuts)
        cuts.sort()
        asks = []
        for (_, start), (end, _) in zip(cuts, [*cuts[1:], (len(folded), len(folded))], strict=True):
            if folded[start:end].strip(" ,.-\u2014"):
                asks.append((start, end))
        return asks

    def _list_items(self, folded: str, cuts: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
        """The commas of a list closed by ", and" ("orders yday, an email about …, and set my
        status"): each item may be an ask of its own; items of one kind are read together."""
        items: list[tuple[int, int]] = []
        for closing in self._list_end.finditer(folded):
            opened = max((end for _, end in cuts if end <= closing.start()), default=0)
            items += [m.span() for m in _COMMA.finditer(folded, opened, closing.start())]
            items.append(closing.span())
        return items

    def _read(self, mended: Mended, start: int, end: int, today: date) -> _Reading | None:
        """The plans of one ask, or None when it has nothing of its own."""
        mends = tuple(
            replace(m, start=m.start - start, end=m.end - start)
            for m in mended.mends
            if start <= m.start and m.end <= end
        )
        clause = Clause(
            mended.text[start:end], mended.folded[start:end], today, mends, self._date_cues
        )
        mentions = self._metrics.words.mentions(clause)
        for kind, rule in self._rules:
            plans = rule(clause, mentions)
            if plans:
                return _Reading(kind, tuple(plans), start, end)
        return None


def _said_again(plan: Plan, plans: Sequence[Plan]) -> bool:
    """A forecast asked again with nothing of its own ("… beat last year's Black Friday
    weekend? what's the projection saying"): the one with its period answers it. (Segments
    or churn risk without a period are today's, beside those as of another day.)"""
    forecast = isinstance(plan, AnalysisPlan) and plan.analysis == "forecast"
    bare = AnalysisPlan(analysis="forecast") if forecast else None
    return plan == bare and any(
        isinstance(other, AnalysisPlan) and other.analysis == plan.analysis and other != plan
        for other in plans
    )


def _check_metrics(lexicon: Lexicon, catalog: MetricCatalog) -> None:
    """The lexicon may only name metrics the catalog has, as the kind it has them."""
    named = [m for metrics in lexicon.default_metrics.values() for m in metrics]
    named += [m for phrasing, _ in lexicon.metric_phrasings for m in phrasing.metrics]
    named += list(lexicon.case_sensitive_phrasings)
    named += list(lexicon.entry.topic_requests.metrics)
    for name in named:
        try:
            catalog.sql_metric(name)
        except ValueError as error:
            raise LexiconError(f"lexicon.yaml names metric {name!r}: {error}") from None
    for name in lexicon.analysis_metrics:
        if name not in {m.name for m in catalog.metrics}:
            raise LexiconError(f"lexicon.yaml: key 'analysis_metrics': unknown metric {name!r}")
