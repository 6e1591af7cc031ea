"""The rules planner's words (``lexicon.yaml``), validated and compiled once.

The file holds how the team *asks* — breakdown and series words, filter values in four
languages, comparison cues, the words of each action, the out-of-scope categories — never the
metrics' own names and synonyms, which the metrics layer's catalog owns. A phrase is matched on
folded text (``fold``) on whole words; in a phrase a space stands for one or more separators
and ``_`` for an optional one, the rest is regular-expression syntax. ``Lexicon.load()`` raises
``LexiconError`` naming the file and the key when an entry does not compile or names a metric,
filter value or format that does not exist.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agents.planner.phrase_words import phrase_words
from agents.planner.plans import AnalysisName, CopyFormat
from integrations.warehouse.metrics.query import Comparison, DimensionName, Grain
from integrations.warehouse.sample_company import COUNTRIES, SIGNUP_CHANNELS
from integrations.warehouse.schema import CATEGORIES, CHANNELS, TICKET_TOPICS
from policies.yamlfile import YamlFileError, read_yaml

DEFAULT_PATH = Path(__file__).with_name("lexicon.yaml")
FILTER_VALUES: Mapping[DimensionName, frozenset[str]] = {
    "channel": frozenset(CHANNELS),
    "signup_channel": frozenset(SIGNUP_CHANNELS),
    "category": frozenset(CATEGORIES),
    "country": frozenset(COUNTRIES),
    "topic": frozenset(TICKET_TOPICS),
}
_SEPARATOR = r"[\s'.\-]+"
_OPTIONAL_SEPARATOR = r"[\s'.\-]*"
# Quotes fold to ', and "_" to a space: "signup_channel" and "paid_search" as people type them
# after reading a column name are the words.
_FOLDED = str.maketrans({"\u2019": "'", "\u2018": "'", "\u00b4": "'", "`": "'", "_": " "})

Phrases = tuple[str, ...]
_K = TypeVar("_K")
MetricSet = Literal["headline", "marketing", "support"]


class LexiconError(ValueError):
    """``lexicon.yaml`` is unreadable or wrong; the message names the file and the key."""


def fold(text: str) -> str:
    """``text`` lower-cased without accents and ``_`` as a space, one character for one
    (offsets still match)."""
    return "".join(
        (unicodedata.normalize("NFKD", char.lower())[:1] or char) for char in text
    ).translate(_FOLDED)


def compile_phrases(phrases: Iterable[str]) -> re.Pattern[str]:
    """One pattern finding any of ``phrases`` as whole words in folded text."""
    body = "|".join(
        phrase.replace("_", _OPTIONAL_SEPARATOR).replace(" ", _SEPARATOR) for phrase in phrases
    )
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MetricPhrasing(_Strict):
    """A way of asking for ``metrics`` (broken down ``by``) without naming them."""

    metrics: tuple[str, ...] = Field(min_length=1)
    by: DimensionName | None = None
    alone: bool = False  # only when the question names no metric itself
    phrases: Phrases = Field(min_length=1)


class TopicRequests(_Strict):
    """Requests named by a ticket topic: ``metrics``, filtered by the topic."""

    metrics: tuple[str, ...] = Field(min_length=1)
    nouns: Phrases
    links: Phrases


class WinbackWords(_Strict):
    offers: Phrases
    incentives: Phrases
    value: Phrases
    hypothetical: Phrases
    discount: Phrases
    discount_words: dict[float, Phrases]


class CopyWords(_Strict):
    formats: dict[CopyFormat, Phrases]
    standalone: tuple[CopyFormat, ...]
    verbs: Phrases
    nouns: Phrases
    theme_labels: Phrases
    no_theme: Phrases
    theme_markers: Phrases
    not_marketing: Phrases
    not_theme: Phrases
    theme_stops: Phrases


class SupportWords(_Strict):
    customer: Phrases
    someone: Phrases
    asking: Phrases
    a_question: Phrases
    answering: Phrases
    replying: Phrases
    phrases: Phrases
    situations: Phrases


class LexiconFile(_Strict):
    """``lexicon.yaml`` as written (see the file's comments for each key)."""

    default_metrics: dict[MetricSet, tuple[str, ...]]
    performance: Phrases
    performance_subject: Phrases
    performance_topics: dict[MetricSet, Phrases]
    metric_phrasings: tuple[MetricPhrasing, ...]
    not_metrics: Phrases
    unknown_figures: Phrases
    vague_figures: Phrases
    dimensions: dict[DimensionName, Phrases]
    breakdown_markers: Phrases
    which_markers: Phrases
    comparatives: Phrases
    breakdown_nouns: Phrases
    grains: dict[Grain, Phrases]
    filters: dict[DimensionName, dict[str, Phrases]]
    topic_requests: TopicRequests
    filter_negations: Phrases
    signup_cues: Phrases
    compare_markers: Phrases
    target_markers: Phrases
    comparisons: dict[
        Literal["none", "four_week_average", "same_period_last_year", "same_period_last_week"],
        Phrases,
    ]
    standing_comparisons: dict[Comparison, Phrases]
    analysis_phrasings: dict[AnalysisName, Phrases]
    cohort_cues: Phrases
    deadline_words: Phrases
    forecast_questions: Phrases
    forecast_outcomes: Phrases
    analysis_metrics: dict[str, AnalysisName]
    segment_people: Phrases
    everyday_segment_words: Phrases
    segment_aliases: dict[str, Phrases]
    winback: WinbackWords
    copywriting: CopyWords
    support: SupportWords
    decline: dict[str, Phrases]
    decline_before_copy: tuple[str, ...]
    clause_breaks: Phrases
    ask_starters: Phrases
    and_starters: Phrases
    article_starters: Phrases
    new_ask_nouns: Phrases
    referring_back: Phrases
    conjunctions: Phrases
    case_sensitive_filters: dict[DimensionName, dict[str, tuple[str, ...]]]
    case_sensitive_phrasings: dict[str, tuple[str, ...]]


class Lexicon:
    """The lexicon's phrases compiled: one pattern per class of words."""

    def __init__(self, entry: LexiconFile) -> None:
        self.entry = entry
        self.default_metrics = entry.default_metrics
        self.performance = compile_phrases(entry.performance)
        self.performance_subject = compile_phrases(entry.performance_subject)
        self.performance_topics = _each(entry.performance_topics)
        self.metric_phrasings = tuple(
            (phrasing, compile_phrases(phrasing.phrases)) for phrasing in entry.metric_phrasings
        )
        self.not_metrics = compile_phrases(entry.not_metrics)
        # what no figure answers: the figures the layer lacks and those named by reference
        self.unknown_figures = compile_phrases([*entry.unknown_figures, *entry.vague_figures])
        self.missing_figures = compile_phrases(entry.unknown_figures)
        self.dimensions = _each(entry.dimensions)
        self.grains = _each(entry.grains)
        self.filters = {dimension: _each(values) for dimension, values in entry.filters.items()}
        self.case_sensitive_filters = {
            dimension: {value: re.compile("|".join(raw)) for value, raw in values.items()}
            for dimension, values in entry.case_sensitive_filters.items()
        }
        self.case_sensitive_phrasings = {
            metric: re.compile("|".join(raw))
            for metric, raw in entry.case_sensitive_phrasings.items()
        }
        self.signup_cues = compile_phrases(entry.signup_cues)
        topics = "|".join(p for phrases in entry.filters["topic"].values() for p in phrases)
        nouns, links = "|".join(entry.topic_requests.nouns), "|".join(entry.topic_requests.links)
        articles = "the|der|die|el|la|los|las|le|les"
        # "sizing questions", "questions about the sizing": the noun is the metric's word
        self.topic_requests = (
            compile_phrases([f"({topics}) (?P<noun>{nouns})"]),
            compile_phrases([f"(?P<noun>{nouns}) ({links}) (({articles}) )?({topics})"]),
        )
        self.filter_negation = compile_phrases(
            [f"({'|'.join(entry.filter_negations)}) ((the|any|all) )?$"]
        )
        self.compare_markers = compile_phrases(entry.compare_markers)
        self.comparatives = compile_phrases(entry.comparatives)
        self.comparisons = _each(entry.comparisons)
        self.standing_comparisons = _each(entry.standing_comparisons)
        self.analysis_phrasings = _each(entry.analysis_phrasings)
        self.cohort_cues = compile_phrases(entry.cohort_cues)
        # the deadline word, then at most an article before the period's phrase
        self.deadline = re.compile(
            rf"\b(?:{'|'.join(entry.deadline_words)})\s+(?:(?:the|el|la|los|las|le|les|den|dem)\s+)?$"
        )
        self.forecast_questions = compile_phrases(entry.forecast_questions)
        self.forecast_outcomes = compile_phrases(entry.forecast_outcomes)
        self.analysis_metrics = entry.analysis_metrics
        self.segment_people = compile_phrases(entry.segment_people)
        self.everyday_segment_words = compile_phrases(entry.everyday_segment_words)
        self.segment_aliases = _each(entry.segment_aliases)
        self.winback_offers = compile_phrases(entry.winback.offers)
        self.winback_incentives = compile_phrases(entry.winback.incentives)
        self.winback_value = compile_phrases(entry.winback.value)
        self.winback_hypothetical = compile_phrases(entry.winback.hypothetical)
        self.discount = compile_phrases(entry.winback.discount)
        self.discount_words = _each(entry.winback.discount_words)
        self.copy_formats = _each(entry.copywriting.formats)
        self.copy_standalone = frozenset(entry.copywriting.standalone)
        self.copy_verbs = compile_phrases(entry.copywriting.verbs)
        self.copy_nouns = compile_phrases(entry.copywriting.nouns)
        self.theme_labels = compile_phrases(entry.copywriting.theme_labels)
        self.no_theme = compile_phrases(entry.copywriting.no_theme)
        self.theme_markers = compile_phrases(entry.copywriting.theme_markers)
        self.not_marketing = compile_phrases(entry.copywriting.not_marketing)
        self.not_theme = compile_phrases(entry.copywriting.not_theme)
        self.theme_stops = compile_phrases(entry.copywriting.theme_stops)
        asking, customer = "|".join(entry.support.asking), "|".join(entry.support.customer)
        # "a customer asks …", and "a question from a customer", "una pregunta de un cliente"
        self.customer_asking = compile_phrases(
            [
                f"({customer})( \\w+){{0,4}} ({asking})",
                f"({'|'.join(entry.support.a_question)}) (\\w+ )?({customer})",
            ]
        )
        self.someone_asking = compile_phrases(
            [f"({'|'.join(entry.support.someone)})( \\w+){{0,4}} ({asking})"]
        )
        self.support_answering = compile_phrases(entry.support.answering)
        self.support_replying = compile_phrases(entry.support.replying)
        self.support_phrases = compile_phrases(entry.support.phrases)
        self.support_situations = compile_phrases(entry.support.situations)
        self.decline = _each(entry.decline)
        self.decline_before_copy = {what: self.decline[what] for what in entry.decline_before_copy}
        self.clause_breaks = compile_phrases(entry.clause_breaks)
        self.conjunctions = compile_phrases(entry.conjunctions)
        self.vocabulary = frozenset(_literal_words(entry))
        # Every word the lexicon's phrases hold, stems included: words, never typos.
        self.spelled = frozenset(
            word for phrases in _phrase_lists(entry) for phrase in phrases
            for word in re.findall(r"[a-z]{2,}", phrase)
        )  # fmt: skip

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH) -> Lexicon:
        """The lexicon in ``path`` (the shipped file is read and compiled once per process)."""
        if path == DEFAULT_PATH:
            return _default_lexicon()
        return _read(path)


def _each(phrases: Mapping[_K, Phrases]) -> dict[_K, re.Pattern[str]]:
    return {key: compile_phrases(value) for key, value in phrases.items()}


def _literal_words(entry: LexiconFile) -> Iterable[str]:
    """The whole words the lexicon spells out, which typo corrections aim at ("shoes?" gives
    shoes and shoe, "countr(y|ies)" country and countries; stems give nothing). Out-of-scope
    words are left out: a typo must never turn a question into one to decline."""
    groups: list[Phrases] = [
        entry.performance,
        *entry.performance_topics.values(),
        *(phrasing.phrases for phrasing in entry.metric_phrasings),
        entry.compare_markers,
        *entry.comparisons.values(),
        entry.target_markers,
        entry.forecast_questions,
        entry.forecast_outcomes,
        entry.winback.offers,
        entry.winback.incentives,
        entry.winback.value,
        entry.winback.hypothetical,
        entry.filter_negations,
        *entry.dimensions.values(),
        *(phrases for values in entry.filters.values() for phrases in values.values()),
        *entry.grains.values(),
        *entry.copywriting.formats.values(),
        entry.copywriting.verbs,
        *entry.analysis_phrasings.values(),
        *entry.segment_aliases.values(),
        entry.breakdown_markers,
        entry.support.customer,
        entry.support.someone,
        entry.support.asking,
    ]
    for phrases in groups:
        for phrase in phrases:
            yield from phrase_words(phrase)


def _check(entry: LexiconFile) -> None:
    """Filter values must be the warehouse's, categories declined before copy declined at
    all; every phrase must compile."""
    unknown_categories = set(entry.decline_before_copy) - set(entry.decline)
    if unknown_categories:
        raise LexiconError(
            f"key 'decline_before_copy': {', '.join(sorted(unknown_categories))} not under "
            "'decline'"
        )
    for dimension, values in entry.filters.items():
        unknown = set(values) - FILTER_VALUES[dimension]
        if unknown:
            raise LexiconError(
                f"key 'filters.{dimension}': {', '.join(sorted(unknown))} not among the "
                f"warehouse's values ({', '.join(sorted(FILTER_VALUES[dimension]))})"
            )
    for key, value in entry:
        for phrases in _phrase_lists(value):
            try:
                compile_phrases(phrases)
            except re.error as error:
                raise LexiconError(f"key {key!r}: {phrases!r} does not compile ({error})") from None


def _phrase_lists(value: object) -> Iterable[Phrases]:
    if isinstance(value, tuple) and all(isinstance(item, str) for item in value):
        yield value
    elif isinstance(value, tuple):
        for item in value:
            yield from _phrase_lists(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _phrase_lists(item)
    elif isinstance(value, BaseModel):
        for _, item in value:
            yield from _phrase_lists(item)


@functools.cache
def _default_lexicon() -> Lexicon:
    return _read(DEFAULT_PATH)


def _read(path: Path) -> Lexicon:
    try:
        entry = LexiconFile.model_validate(read_yaml(path))
    except YamlFileError as error:
        raise LexiconError(str(error)) from None
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        raise LexiconError(f"{path}: key {where!r}: {first['msg']}") from None
    try:
        _check(entry)
    except LexiconError as error:
        raise LexiconError(f"{path}: {error}") from None
    return Lexicon(entry)
