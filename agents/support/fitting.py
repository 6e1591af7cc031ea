"""Fitting the confidence: the calibrations and the threshold, from labelled evaluation outcomes.

``fit_on_calibration_split`` is what ``controlroom kb eval --fit`` runs; every question is scored
by a fit that did not see it (``out_of_fold_confidence``) before a threshold is chosen on it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from agents.support.confidence import combined_confidence, fit_calibration
from agents.support.evals import EvalOutcome
from policies.schema import ConfidenceCalibration

# The threshold is chosen on confidences scored by fits that did not see the question.
FOLDS = 5
# Costs within this share of the least are a tie, which the lowest threshold (the one answering
# the most) wins: the out-of-fold cost curve is flat around its least (219-228 from 0.6 to 0.8 on
# 2026-12-07), and two runs of the same code put its least at 0.7 and at 0.8.
COST_TIE = 0.02
# How far the cross-lingual intercept may move from its fit (``_least_cost_shift``).
SHIFTS = tuple(float(s) for s in np.round(np.arange(-10.0, 1.01, 0.25), 2))


@dataclass(frozen=True, slots=True)
class Fitted:
    """What ``fit_on_calibration_split`` chose, for ``policies/support.yaml``."""

    calibration: ConfidenceCalibration
    cross_lingual: ConfidenceCalibration
    threshold: float


def fit_on_calibration_split(
    outcomes: Sequence[EvalOutcome],
    *,
    dev_outcomes: Sequence[EvalOutcome] = (),
    min_escalated: float = 0.95,
    min_correct: float = 0.95,
    wrong_answer_cost: float = 5.0,
    thresholds: Sequence[float] = tuple(np.round(np.arange(0.30, 0.91, 0.05), 2)),
) -> Fitted:
    """Fit the calibrations on the calibration half (and the development set, when given): the
    English one on the questions the knowledge base's search read, the cross-lingual one on
    those the multilingual search read (``crosslingual``). On the English ones, choose the
    threshold of least cost among those that escalate at least ``min_escalated`` of the
    unanswerable questions and keep at least ``min_correct`` of the direct answers right (the
    issue's floors), each question scored by a fit that did not see it
    (``out_of_fold_confidence``); then move the cross-lingual intercept by the same rule: the
    least cost at that threshold among the shifts whose questions, scored the same way, meet the
    same floors (``_least_cost_shift``).

    Both are labelled by the answer the customer would read: right when it states the fact the
    question asks for. The cost counts an answerable question escalated as 1 (a person answers
    it) and a wrong answer sent — one without the fact, or any answer to an unanswerable
    question — as
    ``wrong_answer_cost``: a customer acting on a wrong answer costs more than a wait.

    Every question but the held-out half's is fitted on: with the calibration half alone (about
    80 answerable and 30 unanswerable questions) the threshold hinges on one or two questions.
    The returned values go into ``policies/support.yaml``; re-run ``evaluate`` with them to see
    the held-out figures.
    """
    chosen = [o for o in outcomes if o.case.split == "calibration"] + list(dev_outcomes)
    english = [o for o in chosen if o.result.language is None]
    other = [o for o in chosen if o.result.language is not None]
    threshold = least_cost_threshold(
        out_of_fold_confidence(english),
        answerable=[o.case.answerable for o in english],
        correct=[o.answer_correct for o in english],
        injection=[o.result.guard.is_injection for o in english],
        thresholds=thresholds,
        min_escalated=min_escalated,
        min_correct=min_correct,
        wrong_answer_cost=wrong_answer_cost,
    )
    cross_lingual = fit_calibration(
        [o.result.evidence for o in other], [o.answer_correct for o in other]
    )
    shift = _least_cost_shift(
        other,
        threshold,
        min_escalated=min_escalated,
        min_correct=min_correct,
        wrong_answer_cost=wrong_answer_cost,
    )
    return Fitted(
        calibration=fit_calibration(
            [o.result.evidence for o in english], [o.answer_correct for o in english]
        ),
        cross_lingual=cross_lingual.model_copy(
            update={"intercept": round(cross_lingual.intercept + float(shift), 3)}
        ),
        threshold=threshold,
    )


def _least_cost_shift(
    outcomes: Sequence[EvalOutcome],
    threshold: float,
    *,
    min_escalated: float,
    min_correct: float,
    wrong_answer_cost: float,
) -> float:
    """How far to move the cross-lingual intercept: by the English threshold's rule, the least
    cost among the shifts (``SHIFTS``) whose direct answers at ``threshold``, scored out of fold,
    meet the floors (a tie to the one answering more); the lowest when none does.

    Its questions are few (about 440), so its fit alone is too sure of itself: out of fold, it
    kept 88% of its answers right on 2026-12-07. Moved down until the floors were just met, as
    it was before, it answered as many as they allow whatever a wrong answer costs; by cost, a
    dearer wrong answer answers fewer. (On that day's questions, at 0.65, both rules chose -1.0:
    the least cost, 171, was the first shift to meet the floors.)"""
    refused = np.array([o.result.guard.is_injection for o in outcomes], dtype=bool)
    costs = _costs(
        {
            shift: (np.asarray(out_of_fold_confidence(outcomes, shift=shift)) >= threshold)
            & ~refused
            for shift in SHIFTS
        },
        [o.case.answerable for o in outcomes],
        [o.answer_correct for o in outcomes],
        min_escalated=min_escalated,
        min_correct=min_correct,
        wrong_answer_cost=wrong_answer_cost,
    )
    return max(_cheapest(costs), default=SHIFTS[0])


def _costs(
    choices: Mapping[float, npt.NDArray[np.bool_]],
    answerable: Sequence[bool],
    correct: Sequence[bool],
    *,
    min_escalated: float,
    min_correct: float,
    wrong_answer_cost: float,
) -> dict[float, float]:
    """What each choice (the questions it answers directly) costs, for the choices that meet
    both floors: an answerable question escalated counts 1, a wrong answer sent
    ``wrong_answer_cost``."""
    can_answer = np.asarray(answerable, dtype=bool)
    right = np.asarray(correct, dtype=bool)
    costs = {}
    for choice, direct in choices.items():
        escalated = float(np.mean(~direct[~can_answer])) if (~can_answer).any() else 1.0
        kept_right = float(np.mean(right[direct])) if direct.any() else 1.0
        if escalated >= min_escalated and kept_right >= min_correct:
            wrong = np.sum(direct & ~right)
            costs[choice] = float(np.sum(can_answer & ~direct) + wrong_answer_cost * wrong)
    return costs


def _cheapest(costs: Mapping[float, float]) -> list[float]:
    """The choices whose cost is the least or within ``COST_TIE`` of it (a tie)."""
    least = min(costs.values(), default=0.0)
    return [choice for choice, cost in costs.items() if cost <= least * (1 + COST_TIE)]


def out_of_fold_confidence(
    outcomes: Sequence[EvalOutcome], folds: int = FOLDS, *, shift: float = 0.0
) -> list[float]:
    """Each question's confidence under a calibration fitted without it: the questions fall in
    ``folds`` groups by a hash of their text, and each group is scored by a fit on the others
    (of the same search: English and cross-lingual evidence are fitted apart), its intercept
    moved by ``shift``.

    A threshold chosen on the confidences of the very questions the weights were fitted on is
    chosen on flattering figures: the questions it lets through are those the fit happens to
    be sure of. Chosen on these, its floors hold for questions the fit has not seen.
    """
    group = [int.from_bytes(o.case.digest[1:3]) % folds for o in outcomes]
    confidence = [0.0] * len(outcomes)
    for read_in_english in (True, False):
        members = [
            i for i, o in enumerate(outcomes) if (o.result.language is None) is read_in_english
        ]
        for fold in range(folds):
            fitted = fit_calibration(
                [outcomes[i].result.evidence for i in members if group[i] != fold],
                [outcomes[i].answer_correct for i in members if group[i] != fold],
            )
            fitted = fitted.model_copy(update={"intercept": fitted.intercept + shift})
            for i in members:
                if group[i] == fold:
                    result = outcomes[i].result
                    confidence[i] = combined_confidence(result.evidence, fitted, result.guard.risk)
    return confidence


def least_cost_threshold(
    confidence: Sequence[float],
    *,
    answerable: Sequence[bool],
    correct: Sequence[bool],
    injection: Sequence[bool],
    thresholds: Sequence[float],
    min_escalated: float,
    min_correct: float,
    wrong_answer_cost: float,
) -> float:
    """The threshold of least cost (``fit_on_calibration_split`` says which) that meets both
    floors; the highest threshold when none does. A tie, or a cost within ``COST_TIE`` of the
    least, goes to the lower threshold."""
    scores = np.asarray(confidence, dtype=np.float64)
    refused = np.asarray(injection, dtype=bool)
    costs = _costs(
        {float(t): (scores >= t) & ~refused for t in thresholds},
        answerable,
        correct,
        min_escalated=min_escalated,
        min_correct=min_correct,
        wrong_answer_cost=wrong_answer_cost,
    )
    return min(_cheapest(costs), default=float(thresholds[-1]))
