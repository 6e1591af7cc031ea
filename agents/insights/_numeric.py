"""Small numeric helpers shared by the model fits."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

# Log-parameters stay within e^±20: wide enough for any time unit from hours to years.
LOG_BOUND = 20.0


def as_float(values: ArrayLike) -> np.ndarray:
    """Any array-like as a flat float64 array."""
    return np.asarray(values, dtype=np.float64).ravel()


def weighted_sum(left: np.ndarray, right: np.ndarray) -> float:
    """Σ left·right; multiply-and-sum, which beats BLAS ``dot`` on a busy machine."""
    return float(np.multiply(left, right).sum())
