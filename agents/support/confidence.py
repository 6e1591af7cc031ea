"""A confidence that means something: P(the top passage answers the question), calibrated.

Three pieces of retrieval evidence go into a logistic model whose weights are fitted on the
evaluation set (``fit_calibration``) and kept in ``policies/support.yaml``:

- ``similarity``: cosine similarity of the question to the top passage (all-MiniLM-L6-v2);
- ``margin``: how far it beats the best passage of another article (a clear winner vs a tie);
- ``lexical``: ``log(1 + BM25)`` of the top passage (shared words, typos aside).

``p = sigmoid(intercept + w · evidence)`` with non-negative weights, so more evidence never
lowers it; the guard's risk then scales it, ``confidence = p · (1 - risk)``, and a model's own
check of its grounded answer, where one is set, scales it once more. Label for fitting: the
question is answerable and the top passage is from the expected article; an unanswerable
question is always a 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from agents.support.kb import Passage
from policies.schema import ConfidenceCalibration

FEATURES = ("similarity", "margin", "lexical")


@dataclass(frozen=True, slots=True)
class Evidence:
    """What retrieval says about the best passage."""

    similarity: float
    margin: float
    lexical: float

    def vector(self) -> npt.NDArray[np.float64]:
        return np.array([self.similarity, self.margin, self.lexical], dtype=np.float64)


def evidence_of(passages: Sequence[Passage]) -> Evidence:
    """The evidence for the top passage of a (diversified, best-first) result."""
    if not passages:
        return Evidence(similarity=0.0, margin=0.0, lexical=0.0)
    top = passages[0]
    runner_up = max((p.similarity for p in passages[1:] if p.article != top.article), default=0.0)
    return Evidence(
        similarity=top.similarity,
        margin=top.similarity - runner_up,
        lexical=math.log1p(max(top.lexical, 0.0)),
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
