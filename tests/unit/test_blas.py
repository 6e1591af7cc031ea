"""BLAS on one thread for small problems: in force inside the block, restored after it, also
when the weekly sections' blocks run side by side in several threads."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import scipy.optimize  # noqa: F401  (loads scipy's own OpenBLAS, as the fits do)
from threadpoolctl import threadpool_info

from agents._blas import one_blas_thread


def blas_threads() -> set[int]:
    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}


@pytest.fixture
def before() -> set[int]:
    """The thread counts outside any block (more than one, or there is nothing to limit)."""
    np.ones(2) @ np.ones(2)  # numpy's BLAS is loaded
    counts = blas_threads()
    if counts == {1}:
        pytest.skip("BLAS already runs on one thread here (one core, or OPENBLAS_NUM_THREADS=1)")
    return counts


def test_blas_runs_on_one_thread_inside_the_block_and_as_before_after_it(
    before: set[int],
) -> None:
    with one_blas_thread():
        inside = blas_threads()

    assert inside == {1}
    assert blas_threads() == before


def test_a_block_inside_a_block_keeps_one_thread_until_the_outer_one_ends(
    before: set[int],
) -> None:
    with one_blas_thread():
        with one_blas_thread():
            pass
        between = blas_threads()

    assert between == {1}
    assert blas_threads() == before


def test_blocks_in_several_threads_each_run_on_one_thread_and_restore_the_count(
    before: set[int],
) -> None:
    seen: list[set[int]] = []
    start = threading.Barrier(4)

    def section() -> None:
        start.wait(5)
        for _ in range(20):
            with one_blas_thread():
                seen.append(blas_threads())

    threads = [threading.Thread(target=section) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert len(seen) == 80
    assert all(inside == {1} for inside in seen)
    assert blas_threads() == before


def test_an_error_inside_the_block_still_restores_the_thread_count(before: set[int]) -> None:
    with pytest.raises(RuntimeError), one_blas_thread():
        raise RuntimeError("a fit failed")

    assert blas_threads() == before
