"""The composition of an answer over a knowledge base (``compose``): the sections it chooses
among, and one composer per knowledge base and model, each reading vectors kept per text."""

from __future__ import annotations

from collections.abc import Sequence
from weakref import WeakKeyDictionary

from agents.support.answer_types import expected_types, states_any
from agents.support.compose import Composer, Composition, Section
from agents.support.confidence import Meaning
from agents.support.crosslingual import encode
from agents.support.kb import KnowledgeBase, Passage
from agents.support.query import RewrittenQuery
from agents.support.vectors import KeptVectors

# The answer is composed from the sections of this many of the best articles.
COMPOSED_ARTICLES = 2
# The English model's vectors of a knowledge base's units and listed questions kept (30 MB).
COMPOSER_KEPT = 20_000

# Per knowledge base, a composer per model, reading vectors kept per text (``KeptVectors``).
_COMPOSERS: WeakKeyDictionary[KnowledgeBase, dict[bool, Composer]] = WeakKeyDictionary()


def _sections(kb: KnowledgeBase, question: str, passages: Sequence[Passage]) -> list[Section]:
    """Every section of the best ``COMPOSED_ARTICLES`` articles found, best first; when the
    question asks for a kind of fact (an amount, a time, a phone number: ``answer_types``) that
    none of them states, the sections of the next article found that does, first ("what's your
    phone number": the privacy page and the account page say "phone number", the contact page,
    third, gives it)."""
    articles = list(dict.fromkeys(p.article for p in passages if p.kind == "article"))
    sections = [
        Section(p, asked)
        for article in articles[:COMPOSED_ARTICLES]
        for p, asked in kb.sections(article)
    ]
    kinds = expected_types(question)
    if kinds and not any(states_any(kinds, s.passage.text) for s in sections):
        for article in articles[COMPOSED_ARTICLES:]:
            more = [Section(p, asked) for p, asked in kb.sections(article)]
            if any(states_any(kinds, s.passage.text) for s in more):
                return more + sections
    return sections


def composed(
    kb: KnowledgeBase,
    question: str,
    passages: Sequence[Passage],
    rewritten: RewrittenQuery | None,
    *,
    meaning: Meaning | None = None,
) -> Composition | None:
    """The sentences of the best article that answer ``question`` (None for a person's answer
    or no passage: those are quoted whole): an English question as the search ``rewritten``
    it; a question in another language (``rewritten`` None) matched by the multilingual model
    and taken as written (the English rewriter would "correct" its words into English ones)."""
    if not passages or passages[0].kind != "article":
        return None
    multilingual = rewritten is None
    kept = _COMPOSERS.setdefault(kb, {})
    if multilingual not in kept:
        kept[multilingual] = Composer(
            encode if multilingual else KeptVectors(kb.store.embed, kept=COMPOSER_KEPT)
        )
    sections = _sections(kb, question, passages)
    if rewritten is None:
        return kept[multilingual].compose(question, sections)
    return kept[multilingual].compose(
        rewritten.corrected,
        sections,
        rewritten.glosses,
        None if meaning is None else meaning.by_passage,
    )
