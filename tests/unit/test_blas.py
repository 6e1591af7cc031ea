"""BLAS on one thread for small problems: in force inside the block, restored after it, also
when the weekly sections' blocks run side by side in several threads, and beside the
multilingual encoder, which limits BLAS itself."""

from __future__ import annotations

import os
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
        one_core = (os.cpu_count() or 1) == 1
        if one_core or any(os.environ.get(v) for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")):
            pytest.skip("BLAS runs on one thread here (one core, or a thread count set)")
        # On several cores, one thread here means an earlier test's limit was never undone.
        pytest.fail(f"BLAS is left on one thread on {os.cpu_count()} cores: a limit leaked")
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


def test_the_multilingual_encoder_beside_the_fits_leaves_the_thread_count_as_it_was(
    before: set[int],
) -> None:
    # The encoder limits BLAS itself; entered and left beside a fit's block in another thread,
    # its limit restored the fit's one thread for the whole process.
    from agents.support.crosslingual import encode

    encode(["loads the model first"])
    start = threading.Barrier(4)

    def fits() -> None:
        start.wait(5)
        for _ in range(40):
            with one_blas_thread():
                np.ones((50, 50)) @ np.ones((50, 50))

    def encodes(name: str) -> None:
        start.wait(5)
        for n in range(40):
            # Texts of its own: a text encoded once is kept, and a kept one touches no BLAS.
            encode([f"¿cuánto cuesta el envío número {n} para {name}?"])

    threads = [
        *(threading.Thread(target=fits) for _ in range(2)),
        *(threading.Thread(target=encodes, args=(name,)) for name in ("ana", "luis")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert blas_threads() == before
