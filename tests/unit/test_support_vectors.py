"""Kept vectors: each text encoded once while kept, and right whichever threads ask at once."""

from __future__ import annotations

import random
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import numpy.typing as npt

from agents.support.vectors import KeptVectors


def _lengths(texts: Sequence[str]) -> npt.NDArray[np.float32]:
    return np.array([[float(len(t)), 1.0] for t in texts], dtype=np.float32).reshape(-1, 2)


def test_threads_sharing_a_small_keep_each_get_their_own_texts_vectors() -> None:
    # Eight threads asking at once, with the keep emptied again and again under them: each
    # answer is still its own texts' vectors, in order (a keep read after another thread had
    # emptied it lost them).
    vectors = KeptVectors(_lengths, kept=4)
    texts = ["x" * n for n in range(1, 30)]

    def ask(seed: int) -> bool:
        chosen = random.Random(seed).choices(texts, k=6)
        for _ in range(300):
            if vectors(chosen)[:, 0].tolist() != [float(len(t)) for t in chosen]:
                return False
        return True

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(ask, range(16)))


def test_no_texts_are_asked_of_the_model_in_its_own_shape() -> None:
    assert KeptVectors(_lengths, kept=4)([]).shape == (0, 2)
