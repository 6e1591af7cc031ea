"""A confidence that means something: P(the answer the customer reads is right), calibrated.

Eight pieces of evidence go into a logistic model whose weights are fitted on the evaluation
set (``fit_calibration``, labelled by whether the answer contains the fact the customer needed)
and kept in ``policies/support.yaml``. None of them grows with the length of the message, so a
long preamble cannot buy confidence:

- ``similarity``: cosine similarity of the question to the top passage (all-MiniLM-L6-v2);
- ``margin``: how far it beats the best passage of another article (a clear winner vs a tie);
- ``answer_similarity``: cosine of the question to the sentences the answer quotes, or to a
  question the help centre lists for their section (``compose``);
- ``coverage``: the share of the question's content words the quoted sentences, their section
  heading and article title contain (or say in the help centre's words: the glossary's);
- ``agreement``: 1 when the passages' best by meaning is also their best by words (BM25), else 0;
- ``remainder``: cosine of the question's words that the answer does not contain to the answer
  (1 when it contains them all): whether the answer speaks to the rest of the question in
  meaning. A question the help centre does not cover often shares its nouns with a passage
  ("are you hiring at the Boulder store" and the store's address) and leaves its point
  ("hiring") unanswered;
- ``meaning`` and ``meaning_margin``: a second opinion by another model, the multilingual
  Universal Sentence Encoder (``crosslingual``; trained on question–answer pairs, where MiniLM was
  trained on paraphrases): its cosine of the question to the quoted section (its text or a
  question the help centre lists for it), and how far the top article's best entry beats another
  article's (``Meaning``). Chatty questions written by people who never saw the help centre sit
  lower in MiniLM's cosine whether their answer is right or not; the two models agreeing is what
  tells them apart. Zero for the multilingual search, whose own similarity is this model's.

``p = sigmoid(intercept + w · evidence)`` with non-negative weights, so more evidence never
lowers it; the guard's risk then scales it, ``confidence = p · (1 - risk)``, and a model's own
check of its grounded answer, where one is set, scales it once more. An unanswerable question
is always a 0 when fitting.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from agents.support.compose import Composition
from agents.support.kb import Passage
from policies.schema import ConfidenceCalibration

FEATURES = (
    "similarity",
    "margin",
    "answer_similarity",
    "coverage",
    "agreement",
    "remainder",
    "meaning",
    "meaning_margin",
)


@dataclass(frozen=True, slots=True)
class Evidence:
    """What retrieval and the composed answer say (see the module docstring)."""

    similarity: float
    margin: float
    answer_similarity: float
    coverage: float
    agreement: float
    remainder: float
    meaning: float = 0.0
    meaning_margin: float = 0.0

    def vector(self) -> npt.NDArray[np.float64]:
        return np.array([getattr(self, name) for name in FEATURES], dtype=np.float64)


NO_EVIDENCE = Evidence(0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


@dataclass(frozen=True, slots=True)
class Meaning:
    """How close the multilingual model puts one question to every passage and article of the
    knowledge base, each at its best entry (its text, or a question listed for it)."""

    by_passage: Mapping[str, float]
    by_article: Mapping[str, float]

    def of(self, cited: Passage, top_article: str) -> tuple[float, float]:
        """``meaning`` for the quoted passage and ``meaning_margin`` for the top article."""
        best_elsewhere = max(
            (s for article, s in self.by_article.items() if article != top_article), default=0.0
        )
        return (
            self.by_passage.get(cited.id, 0.0),
            self.by_article.get(top_article, 0.0) - best_elsewhere,
        )


def evidence_of(
    passages: Sequence[Passage],
    composition: Composition | None = None,
    meaning: Meaning | None = None,
) -> Evidence:
    """The evidence for a (diversified, best-first) result and the answer composed from it
    (without a composition — a person's answer, quoted whole — the top passage stands for it),
    with the multilingual model's second opinion when ``meaning`` is given."""
    if not passages:
        return NO_EVIDENCE
    top = passages[0]
    runner_up = max((p.similarity for p in passages[1:] if p.article != top.article), default=0.0)
    best_by_words = max(p.lexical for p in passages)
    best_by_meaning = max(p.similarity for p in passages)
    cited = top if composition is None else composition.section
    second_opinion = (0.0, 0.0) if meaning is None else meaning.of(cited, top.article)
    return Evidence(
        similarity=top.similarity,
        margin=top.similarity - runner_up,
        answer_similarity=top.similarity if composition is None else composition.similarity,
        coverage=1.0 if composition is None else composition.coverage,
        agreement=float(top.similarity >= best_by_meaning and top.lexical >= best_by_words > 0.0),
        remainder=1.0 if composition is None else composition.remainder,
        meaning=second_opinion[0],
        meaning_margin=second_opinion[1],
    )


def _sigmoid(z: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -40.0, 40.0))), dtype=np.float64)


def retrieval_probability(evidence: Evidence, calibration: ConfidenceCalibration) -> float:
    """P(the top passage answers the question) from the evidence alone."""
    weights = np.array([getattr(calibration, name) for name in FEATURES], dtype=np.float64)
    return float(_sigmoid(np.array(calibration.intercept + weights @ evidence.vector())))


def combined_confidence(
    evidence: Evidence,
    calibration: ConfidenceCalibration,
    risk: float,
    model_check: float | None = None,
) -> float:
    """The confidence in [0, 1]: retrieval probability x (1 - guard risk) x the model's check."""
    confidence = retrieval_probability(evidence, calibration) * (1.0 - risk)
    if model_check is not None:
        confidence *= float(np.clip(model_check, 0.0, 1.0))
    return float(np.clip(confidence, 0.0, 1.0))


def fit_calibration(
    evidence: Sequence[Evidence], correct: Sequence[bool], *, ridge: float = 1e-2
) -> ConfidenceCalibration:
    """Logistic regression (Newton's method, a small ridge) with non-negative weights.

    A feature whose weight comes out negative is dropped and the rest refitted: the confidence
    must rise with the evidence, and with a few hundred questions a negative weight is noise.
    """
    x = np.array([e.vector() for e in evidence], dtype=np.float64).reshape(-1, len(FEATURES))
    y = np.asarray(correct, dtype=np.float64)
    active = list(range(len(FEATURES)))
    while True:
        beta = _newton(np.column_stack([np.ones(len(x)), x[:, active]]), y, ridge)
        negative = [a for a, w in zip(active, beta[1:], strict=True) if w < 0]
        if not negative:
            break
        active = [a for a in active if a not in negative]
    weights = dict.fromkeys(FEATURES, 0.0)
    for a, w in zip(active, beta[1:], strict=True):
        weights[FEATURES[a]] = round(float(w), 3)
    return ConfidenceCalibration(intercept=round(float(beta[0]), 3), **weights)


def _newton(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], ridge: float
) -> npt.NDArray[np.float64]:
    beta = np.zeros(x.shape[1])
    penalty = ridge * np.eye(x.shape[1])
    penalty[0, 0] = 0.0  # the intercept is not shrunk
    for _ in range(100):
        p = _sigmoid(x @ beta)
        gradient = x.T @ (p - y) + penalty @ beta
        hessian = (x * (p * (1 - p))[:, None]).T @ x + penalty
        step = np.linalg.solve(hessian + 1e-9 * np.eye(len(beta)), gradient)
        beta -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return beta
