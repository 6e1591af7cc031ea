"""Support questions grouped into topics, each titled in the customers' own words, without a
language model (the knowledge-gap report's grouping, ``gaps``).

- **Near an article**: when retrieval's nearest passage was a help-centre section close enough
  (cosine similarity ≥ ``COVERED_SIMILARITY`` in the English search's MiniLM, ≥
  ``COVERED_SIMILARITY_MULTILINGUAL`` in the multilingual model that read a question in another
  language), the question joins that article's topic (the article exists but did not answer it
  well). Measured on the calibration half and the development set
  (``agents/support/eval_set*.yaml``, never the held-out half): at 0.55, 96% of the 395 English
  answerable questions whose top article is the right one stay with it, and 61% of the 112
  English ones no article covers fall below it; in the multilingual model at 0.5, 94% of 48 and
  76% of 17 (at 0.55: 73% and 94%).
- **Not in the help centre** (lower similarity, a person's earlier answer nearest, or no
  passage recorded): average-linkage agglomerative clustering of the questions' unit vectors,
  merging while two clusters' average cosine similarity is at least ``EMBEDDING_MERGE`` (0.55)
  in the multilingual model (``crosslingual.encode``: one space for every language, so that
  "what is the capital of Australia" and "Qual é a capital da Austrália?" meet at 0.90; MiniLM
  puts the questions of one language near each other whatever they ask, three German ones at
  0.5 or more), or ``WORDS_MERGE`` (0.4) for TF-IDF word vectors when no embedding is at hand.
  On the same sets' 129 questions no article covers (17 in other languages) the model at 0.55
  makes 20 groups of 44 questions (hiring at the Bozeman store, renting tents, Moosejaw's
  returns, RDS down in English and in Portuguese…), none of one language alone, one doubtful
  (returning REI boots with hemming trousers and reserving boots: store services); at 0.5 a
  German and a Spanish pair join by language. On the 33 uncovered questions the sets held when
  it was measured, the word vectors at 0.4 made four sound pairs and joined nothing unrelated
  (at 0.35 "do you have a wedding registry … for camping gear" joins "do you rent out camping
  gear").

A title is made of the topic's most characteristic words (word stems in the most of its
questions, weighted by their rarity among the window's questions: TF-IDF; the top three and
any tied with the third; in a topic of several questions, only stems two or more of them
share, when there are such: a word one customer used says nothing of the topic), read off its
most central question: the span from the first to the last of them when it is short, else
the top three words in its order.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from agents.support.fusion import lexical_tokens
from agents.support.vectors import Embed
from integrations.statestore import NearestPassage, SupportQuestionRecord

Vectors = npt.NDArray[np.float64]

COVERED_SIMILARITY = 0.55
COVERED_SIMILARITY_MULTILINGUAL = 0.5
EMBEDDING_MERGE = 0.55
WORDS_MERGE = 0.4
TITLE_WORDS = 3
TITLE_SPAN = 8  # the most words a title read off a question may span
MAX_TITLE_CHARS = 80
_TOKEN = re.compile(r"\S+")
_EDGE_PUNCTUATION = "?!.,;:\"'()[]“”‘’"


def covering(question: SupportQuestionRecord) -> NearestPassage | None:
    """The help-centre section that covers the question's topic, if retrieval found one close
    enough (``COVERED_SIMILARITY``, or ``COVERED_SIMILARITY_MULTILINGUAL`` for a question the
    multilingual search read)."""
    nearest = question.nearest
    if nearest is None or nearest.kind != "article":
        return None
    enough = COVERED_SIMILARITY if question.language is None else COVERED_SIMILARITY_MULTILINGUAL
    return nearest if nearest.similarity >= enough else None


def question_vectors(
    questions: Sequence[str], *, embed: Embed | None, background: Sequence[str]
) -> Vectors:
    """Unit vectors for ``questions``: their embeddings, or without ``embed`` TF-IDF over word
    stems (each stem once per question, idf from ``background``, the window's questions)."""
    if not questions:
        return np.zeros((0, 1))
    if embed is not None:
        vectors = np.asarray(embed(questions), dtype=np.float64)
    else:
        stems = [set(lexical_tokens(q)) for q in questions]
        vocabulary = {stem: n for n, stem in enumerate(sorted(set().union(*stems)))}
        idf = _idf(background)
        vectors = np.zeros((len(questions), max(len(vocabulary), 1)))
        for row, words in enumerate(stems):
            for word in words:
                vectors[row, vocabulary[word]] = idf(word)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


def group_questions(
    questions: Sequence[SupportQuestionRecord], vectors: Vectors, *, merge: float
) -> list[list[int]]:
    """Topics as lists of indices into ``questions``: by nearest article when the help centre
    covers the question, else by clustering ``vectors``; in order of first question."""
    by_article: dict[str, list[int]] = {}
    uncovered: list[int] = []
    for index, question in enumerate(questions):
        article = covering(question)
        if article is not None:
            by_article.setdefault(article.article, []).append(index)
        else:
            uncovered.append(index)
    clusters = _clusters(vectors[uncovered], merge)
    groups = [*by_article.values(), *([uncovered[i] for i in c] for c in clusters)]
    return sorted(groups, key=lambda group: group[0])


def _clusters(vectors: Vectors, merge: float) -> list[list[int]]:
    """Average-linkage agglomerative clusters whose average cosine similarity is at least
    ``merge``, each in index order."""
    if len(vectors) < 2:
        return [[0]] if len(vectors) else []
    # Imported here: scipy costs a noticeable import, and most processes never cluster.
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    distance = 1.0 - np.clip(vectors @ vectors.T, -1.0, 1.0)
    np.fill_diagonal(distance, 0.0)
    tree = linkage(squareform(distance, checks=False), method="average")
    labels = fcluster(tree, t=1.0 - merge, criterion="distance")
    clusters: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        clusters.setdefault(int(label), []).append(index)
    return list(clusters.values())


def representative_order(questions: Sequence[str], vectors: Vectors) -> list[int]:
    """One index per distinct question (by its words, ignoring case and spacing): the most
    often asked first, then the closest on average to the topic's other questions."""
    keys = [" ".join(q.casefold().split()) for q in questions]
    asked = Counter(keys)
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, 0.0)
    # Rounded: a pair's two similarities may differ in the last bits, and must tie.
    central = np.round(similarity.sum(axis=1) / max(len(questions) - 1, 1), 6)
    first: dict[str, int] = {}
    for index, key in enumerate(keys):
        first.setdefault(key, index)
    return sorted(first.values(), key=lambda i: (-asked[keys[i]], -central[i], i))


def suggested_title(questions: Sequence[str], *, central: int, background: Sequence[str]) -> str:
    """An article title from the questions' most characteristic words, read off the central
    question (``questions[central]``) in its own words; ``background`` (the window's questions)
    tells which words are rare."""
    stems = [set(lexical_tokens(q)) for q in questions]
    idf = _idf(background)
    counts = Counter(stem for words in stems for stem in words)
    tokens = [t.strip(_EDGE_PUNCTUATION) for t in _TOKEN.findall(clean_text(questions[central]))]
    tokens = [t for t in tokens if t]
    token_stems = [set(lexical_tokens(t)) for t in tokens]
    position: dict[str, int] = {}
    for index, words in enumerate(token_stems):
        for word in words:
            position.setdefault(word, index)

    def score(stem: str) -> float:
        return counts[stem] * idf(stem)

    shared = [stem for stem in counts if counts[stem] > 1]
    candidates = shared or list(counts)
    ranked = sorted(candidates, key=lambda w: (-score(w), position.get(w, len(tokens)), w))
    top = ranked[:TITLE_WORDS]
    # Words tied with the last of the top ones come too: a lone question's words are all tied.
    tied = [w for w in ranked if top and score(w) >= score(top[-1])]
    at = [i for i, words in enumerate(token_stems) if words.intersection(tied)]
    if at and at[-1] - at[0] < TITLE_SPAN:
        title = " ".join(tokens[at[0] : at[-1] + 1])
    else:
        title = " ".join(t for t, found in zip(tokens, token_stems, strict=True) if found & {*top})
    title = title or " ".join(tokens) or clean_text(questions[central])
    return cut(title[:1].upper() + title[1:], MAX_TITLE_CHARS)


def _idf(background: Sequence[str]) -> Callable[[str], float]:
    """Smoothed inverse document frequency over ``background``: ``ln((1 + n) / (1 + df)) + 1``."""
    df = Counter(stem for text in background for stem in set(lexical_tokens(text)))
    n = len(background)
    return lambda stem: math.log((1 + n) / (1 + df[stem])) + 1.0


def clean_text(text: str) -> str:
    """One line without control or format characters (a customer's text, shown to the team)."""
    kept = "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf") or c in "\t\n")
    return " ".join(kept.split())


def cut(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending with "…" when it was cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
