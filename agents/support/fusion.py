"""Lexical (BM25) scoring and the fusion of several rankings into one, as pure functions.

Hybrid retrieval ranks passages by meaning (the vector store) and by shared words (BM25, via
``bm25s``), then fuses the two rankings with weighted reciprocal-rank fusion (Cormack, Clarke &
Büttcher, SIGIR 2009): ``score(d) = Σ_r w_r / (k + rank_r(d))``, ranks from 1, a passage absent
from a ranking contributing nothing to it. Ranks rather than raw scores are fused because cosine
similarities and BM25 scores live on unrelated scales.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

import bm25s
import numpy as np
import numpy.typing as npt

# bm25s logs every index build at DEBUG through its own handler; that is noise for a CLI.
logging.getLogger("bm25s").setLevel(logging.WARNING)

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# Common English function words: they match everywhere and only add noise to BM25.
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "after",
        "again",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "been",
        "before",
        "being",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
    ]
)
_SUFFIXES = ("ing", "ed", "es", "s")


def _stem(word: str) -> str:
    # A deliberately light suffix stripper (returns/returned/returning → return): enough for
    # BM25 to match inflections; a full Porter stemmer would need another dependency.
    word = word.split("'", 1)[0]
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def lexical_tokens(text: str) -> list[str]:
    """Lower-case word stems without stop words: the terms BM25 matches on."""
    return [_stem(w) for w in _WORD.findall(text.lower()) if w not in STOPWORDS]


class LexicalIndex:
    """BM25 (Lucene variant, k1=1.5, b=0.75) over a fixed list of passages."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.size = len(texts)
        self._retriever = bm25s.BM25()
        corpus = [lexical_tokens(t) or ["\u2205"] for t in texts]
        if corpus:
            self._retriever.index(corpus, show_progress=False)
        self._vocabulary: dict[str, int] = dict(self._retriever.vocab_dict) if corpus else {}

    def scores(self, query: str) -> npt.NDArray[np.float32]:
        """The BM25 score of every passage for ``query`` (zeros when no query term is known)."""
        known = [self._vocabulary[t] for t in lexical_tokens(query) if t in self._vocabulary]
        if not known or self.size == 0:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._retriever.get_scores(known), dtype=np.float32)

    def top(self, query: str, k: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """Indices and scores of the ``k`` best passages with a positive score, best first."""
        scores = self.scores(query)
        k = min(k, self.size)
        if k == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best], kind="stable")]
        best = best[scores[best] > 0]
        return best.astype(np.int64), scores[best]


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[str]], weights: Sequence[float], *, k: float = 60.0
) -> list[tuple[str, float]]:
    """Fuse ranked id lists into one list of (id, fused score), best first.

    Ties keep the order in which ids first appear (the first ranking wins), so a fused list is
    deterministic.
    """
    if len(rankings) != len(weights):
        raise ValueError("one weight per ranking")
    order: dict[str, int] = {}
    for ranking in rankings:
        for item in ranking:
            order.setdefault(item, len(order))
    if not order:
        return []
    totals = np.zeros(len(order), dtype=np.float64)
    for ranking, weight in zip(rankings, weights, strict=True):
        if not ranking:
            continue
        positions = np.fromiter((order[i] for i in ranking), dtype=np.int64, count=len(ranking))
        ranks = np.arange(1, len(ranking) + 1, dtype=np.float64)
        np.add.at(totals, positions, weight / (k + ranks))
    ids = list(order)
    best = np.argsort(-totals, kind="stable")
    return [(ids[i], float(totals[i])) for i in best]
