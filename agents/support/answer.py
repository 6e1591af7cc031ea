"""Answer a customer's question from the knowledge base, with sources and a calibrated confidence.

``answer`` retrieves the best passages, asks the guard about the question, computes the
confidence (``confidence``) and writes the reply. The offline writer quotes the sentences of the
best section that answer the question (``compose``) and cites it; a model-backed writer
(``AnswerWriter``, e.g. over ``integrations.llm``) can be passed in to write a grounded answer
that cites the passages instead, and when it writes none (no model configured, or its answer
refused) the offline answer stands. A question the guard flags as an injection never reaches a
writer: it is escalated with the offline text. A question written in another language is looked
up by the multilingual search instead (``crosslingual``), guarded with that model's signals, and
scored by its own calibration; its answer is composed by the same rules, matched by that model.

Below ``policy.confidence_threshold`` the answer is marked ``escalate``: the support workflow
sends it to a person, whose final answer comes back through ``learn_from_human``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol
from weakref import WeakKeyDictionary

from agents.support.compose import Composition
from agents.support.composed import composed
from agents.support.confidence import (
    Evidence,
    Meaning,
    combined_confidence,
    evidence_of,
    retrieval_probability,
)
from agents.support.crosslingual import (
    MULTILINGUAL_RAMPS,
    CrossLingualSearch,
    cross_lingual_evidence,
    encode,
    language,
)
from agents.support.guard import Guard, GuardVerdict
from agents.support.kb import KnowledgeBase, Passage
from agents.support.long_messages import focus, long_message_caps
from agents.support.query import RewrittenQuery, searched_text
from policies.schema import ConfidenceCalibration, SupportPolicy

logger = logging.getLogger(__name__)

# Slack shows 3,000 characters per section; a quote longer than this is cut at a sentence.
MAX_QUOTE_CHARS = 900


@dataclass(frozen=True, slots=True)
class WrittenAnswer:
    """A writer's reply: the text, the passage ids it cites, and its own support check.

    ``supported`` is the writer's judgement in [0, 1] that the cited passages answer the
    question (a model's self-check); ``None`` when the writer makes no such judgement.
    """

    text: str
    cited: tuple[str, ...]
    supported: float | None = None


# What a question that tries to instruct the bot gets: no passage, no promise, a person next.
HAND_OFF = WrittenAnswer(
    text="Thanks for your message: a member of the Two Peaks team will reply to you here.",
    cited=(),
)


class AnswerWriter(Protocol):
    """Writes the reply from the question and the retrieved passages (best first); None when
    it wrote none (no model, or its answer was refused): the offline answer stands."""

    def __call__(self, question: str, passages: Sequence[Passage]) -> WrittenAnswer | None: ...


@dataclass(frozen=True, slots=True)
class Source:
    """A passage an answer cites, as a customer or an agent sees it."""

    passage_id: str
    title: str
    section: str
    url: str
    updated: str
    author: str | None

    @classmethod
    def of(cls, passage: Passage) -> Source:
        return cls(
            passage_id=passage.id,
            title=passage.title,
            section=passage.section,
            url=passage.url,
            updated=passage.updated,
            author=passage.author,
        )


@dataclass(frozen=True, slots=True)
class SupportAnswer:
    """The reply, its sources, how sure we are, and whether a person must look first."""

    question: str
    text: str
    sources: tuple[Source, ...]
    confidence: float
    escalate: bool
    reasons: tuple[str, ...]
    evidence: Evidence
    guard: GuardVerdict
    written_by: Literal["offline", "model"]
    passages: tuple[Passage, ...] = field(default=(), repr=False)
    # The language the question was read in when not English (the multilingual search's).
    language: str | None = None

    def as_draft(self) -> dict[str, Any]:
        """The answer as the support escalation workflow keeps it (its ``draft``): plain data."""
        return {
            "text": self.text,
            "confidence": self.confidence,
            "escalate": self.escalate,
            "reasons": list(self.reasons),
            "sources": [source.url for source in self.sources],
        }


def offline_answer(
    question: str, passages: Sequence[Passage], composition: Composition | None = None
) -> WrittenAnswer:
    """The help centre's own words, quoted and cited: the sentences ``composition`` chose from
    the best section, else the best passage. Nothing is said that the help centre does not say."""
    if not passages:
        return WrittenAnswer(
            text="I could not find this in our help centre; a member of the team will reply.",
            cited=(),
        )
    best = passages[0]
    cited = [best]
    if composition is not None and best.kind == "article":
        best, text = composition.section, composition.text
        cited = [best] if composition.also is None else [best, composition.also]
    else:
        # Markdown wraps paragraphs at a fixed width; a quote reads better unwrapped.
        text = re.sub(r"(?<!\n)\n(?![\n>*-])", " ", best.text)
    quote = _shorten(text, MAX_QUOTE_CHARS)
    quoted = "\n".join(f"> {line}" if line else ">" for line in quote.splitlines())
    if best.kind == "human":
        source = f"— answer from the Two Peaks support team ({best.author}, {best.updated})"
    else:
        source = "\n".join(f"— {p.title} › {p.section} ({p.url})" for p in cited)
    return WrittenAnswer(text=f"{quoted}\n{source}", cited=tuple(p.id for p in cited))


def answer(
    question: str,
    kb: KnowledgeBase,
    policy: SupportPolicy,
    *,
    guard: Guard | None = None,
    writer: AnswerWriter | None = None,
) -> SupportAnswer:
    """Answer one question; see the module docstring for the steps."""
    return answer_many([question], kb, policy, guard=guard, writer=writer)[0]


def answer_many(
    questions: Sequence[str],
    kb: KnowledgeBase,
    policy: SupportPolicy,
    *,
    guard: Guard | None = None,
    writer: AnswerWriter | None = None,
) -> list[SupportAnswer]:
    """``answer`` for several questions with batched embedding (the evaluation uses it). A
    question written in another language is looked up by the multilingual search
    (``crosslingual``), the others by the knowledge base's own."""
    searched = [searched_text(question) for question in questions]
    codes = [language(text) for text in searched]
    found: dict[int, _Found] = {}
    for multilingual in (False, True):
        mine = [i for i, code in enumerate(codes) if (code is not None) is multilingual]
        chosen = None if multilingual else guard
        looked_up = _found(
            [(questions[i], searched[i]) for i in mine], kb, policy, chosen, multilingual
        )
        found |= {i: replace(f, language=codes[i]) for i, f in zip(mine, looked_up, strict=True)}
    return [_answer_one(q, found[i], policy, writer) for i, q in enumerate(questions)]


@dataclass(frozen=True, slots=True)
class _Found:
    """What the search found for one question and the evidence, before an answer is written."""

    passages: list[Passage]
    composition: Composition | None
    evidence: Evidence
    calibration: ConfidenceCalibration
    verdict: GuardVerdict
    cap: float  # the most confidence the message may get (``long_message_caps``)
    language: str | None = None


def _found(
    questions: Sequence[tuple[str, str]],
    kb: KnowledgeBase,
    policy: SupportPolicy,
    guard: Guard | None,
    multilingual: bool,
) -> list[_Found]:
    """Search, compose and weigh the evidence for each question (as written, and what the
    search reads of it: ``searched_text``), by the knowledge base's own search or
    (``multilingual``) by the multilingual one, each with its calibration."""
    if not questions:
        return []
    guard = guard or _guard(kb, policy, multilingual=multilingual)
    search = _multilingual_search(kb)
    find = search.search_many if multilingual else kb.search_many
    calibration = policy.cross_lingual if multilingual else policy.calibration

    written, searched = [q for q, _ in questions], [text for _, text in questions]
    asked = [focus(text) for text in searched]
    # Looked up and weighed once per text: a long message's focus is also one of its endings.
    looked_up: dict[str, list[Passage]] = {}
    rewritten: dict[str, RewrittenQuery] = {}  # English questions as the search read them
    meanings: dict[str, Meaning] = {}
    weighed: dict[str, tuple[Composition | None, Evidence]] = {}

    def look_up(texts: Sequence[str]) -> None:
        missing = [t for t in dict.fromkeys(texts) if t not in looked_up]
        if not missing:
            return
        looked_up.update(zip(missing, find(missing, policy.top_k), strict=True))
        # The English search's second opinion, by the multilingual model (``confidence``), of
        # the question as the search reads it: that model is no better at typos ("shippin to
        # canda") than the other.
        found_some = [t for t in missing if looked_up[t] and not multilingual]
        if found_some:
            rewritten.update((t, kb.rewrite(t)) for t in found_some)
            corrected = [rewritten[t].corrected for t in found_some]
            meanings.update(zip(found_some, search.meaning_many(corrected), strict=True))

    def weigh(text: str) -> tuple[Composition | None, Evidence]:
        if text not in weighed:
            passages = looked_up[text]
            composition = composed(
                kb, text, passages, rewritten.get(text), meaning=meanings.get(text)
            )
            evidence = (
                cross_lingual_evidence(passages, composition)
                if multilingual
                else evidence_of(passages, composition, meanings.get(text))
            )
            weighed[text] = (composition, evidence)
        return weighed[text]

    def probability(texts: Sequence[str]) -> list[float]:
        look_up(texts)
        return [retrieval_probability(weigh(t)[1], calibration) for t in texts]

    look_up(asked)
    verdicts = guard.check_many(written)  # the whole message: an injection may hide anywhere
    caps = long_message_caps(searched, probability)
    return [
        _Found(looked_up[text], *weigh(text), calibration, verdict, cap)
        for text, verdict, cap in zip(asked, verdicts, caps, strict=True)
    ]


# One multilingual search per knowledge base: it keeps its passages' vectors.
_SEARCHES: WeakKeyDictionary[KnowledgeBase, CrossLingualSearch] = WeakKeyDictionary()
# Per knowledge base, a guard per retailer list and model: it keeps its examples' vectors.
_GUARDS: WeakKeyDictionary[KnowledgeBase, dict[tuple[tuple[str, ...], bool], Guard]] = (
    WeakKeyDictionary()
)


def _multilingual_search(kb: KnowledgeBase) -> CrossLingualSearch:
    return _SEARCHES.get(kb) or _SEARCHES.setdefault(kb, CrossLingualSearch(kb))


def prepare(kb: KnowledgeBase) -> None:
    """Load now what the first question would wait for: the multilingual model and its index of
    ``kb``'s passages (every question's second opinion reads it: ``confidence``). 4 s here."""
    _multilingual_search(kb).meaning_many(["warm-up"])


def _guard(kb: KnowledgeBase, policy: SupportPolicy, *, multilingual: bool) -> Guard:
    companies = tuple(policy.guard.other_companies)
    kept = _GUARDS.setdefault(kb, {})
    key = (companies, multilingual)
    if key not in kept:
        kept[key] = (
            Guard(companies, embed=encode, ramps=MULTILINGUAL_RAMPS)
            if multilingual
            else Guard(companies, embed=kb.store.embed)
        )
    return kept[key]


def _answer_one(
    question: str, found: _Found, policy: SupportPolicy, writer: AnswerWriter | None
) -> SupportAnswer:
    passages, composition, verdict = found.passages, found.composition, found.verdict
    written = HAND_OFF if verdict.is_injection else offline_answer(question, passages, composition)
    written_by: Literal["offline", "model"] = "offline"
    shown = _for_the_writer(passages, composition)
    if writer is not None and passages and not verdict.is_injection:
        drafted = writer(question, shown)
        known = {p.id for p in shown}
        if drafted is not None and drafted.cited and set(drafted.cited) <= known:
            written, written_by = drafted, "model"
        elif drafted is not None:
            logger.warning("writer cited no retrieved passage; using the offline answer")
    confidence = min(
        found.cap,
        combined_confidence(
            found.evidence,
            found.calibration,
            verdict.risk,
            written.supported if written_by == "model" else None,
        ),
    )
    reasons = list(verdict.reasons)
    if confidence < policy.confidence_threshold:
        reasons.append(f"confidence {confidence:.2f} below {policy.confidence_threshold:.2f}")
    by_id = {p.id: p for p in shown}
    return SupportAnswer(
        question=question,
        text=written.text,
        sources=tuple(Source.of(by_id[i]) for i in written.cited),
        confidence=confidence,
        escalate=confidence < policy.confidence_threshold or verdict.is_injection,
        reasons=tuple(reasons),
        evidence=found.evidence,
        guard=verdict,
        written_by=written_by,
        passages=tuple(passages),
        language=found.language,
    )


def _for_the_writer(passages: Sequence[Passage], composition: Composition | None) -> list[Passage]:
    """What a writer is shown, best first: the section(s) the composition chose (the one that
    answers, not its article's overview retrieval may have ranked), then the other passages."""
    chosen = [] if composition is None else [composition.section, composition.also]
    first = [p for p in chosen if p is not None]
    ids = {p.id for p in first}
    return first + [p for p in passages if p.id not in ids]


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = max(cut.rfind(". "), cut.rfind(".\n"))
    return (cut[: end + 1] if end > limit // 3 else cut.rstrip() + "…").strip()
