"""Whether the support confidence can be taken at its word: a reliability table and the
expected calibration error (ECE).

The questions are put in equal-width confidence bins; in a calibrated model, each bin's share of
right answers is about its mean confidence. ECE is the questions-weighted mean gap between the
two: 0.05 means a stated 0.80 is, on average, 5 points off what customers get.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class ReliabilityBin:
    """One confidence bin: its bounds, how many questions fell in it, their mean confidence
    and the share of them whose answer was right."""

    low: float
    high: float
    questions: int
    mean_confidence: float
    right: float


@dataclass(frozen=True, slots=True)
class Reliability:
    bins: tuple[ReliabilityBin, ...]
    expected_calibration_error: float


def reliability(
    confidence: Sequence[float], right: Sequence[bool], *, bins: int = 5
) -> Reliability:
    """The reliability table over ``bins`` equal-width bins of [0, 1] (empty bins left out; the
    last bin holds 1.0) and the ECE of ``confidence`` against whether each answer was ``right``."""
    if len(confidence) != len(right):
        raise ValueError("one 'right' flag is needed per confidence")
    scores = np.clip(np.asarray(confidence, dtype=np.float64), 0.0, 1.0)
    truth = np.asarray(right, dtype=np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.minimum(np.searchsorted(edges, scores, side="right") - 1, bins - 1)
    table, gap = [], 0.0
    for b in range(bins):
        chosen = index == b
        count = int(chosen.sum())
        if count == 0:
            continue
        mean, share = float(scores[chosen].mean()), float(truth[chosen].mean())
        table.append(ReliabilityBin(float(edges[b]), float(edges[b + 1]), count, mean, share))
        gap += count * abs(mean - share)
    return Reliability(tuple(table), gap / len(scores) if len(scores) else float("nan"))
