"""BLAS on one thread for small problems: the model fits.

OpenBLAS (numpy's and scipy's each have one) starts a thread per core and uses them on any call
it thinks large enough. Our fits have three or four parameters: L-BFGS-B's linear algebra is on
matrices of that size. On a busy 2-core machine each such call then waits for a second core,
which makes a fit 10-30x slower (0.1-0.2 s instead of 8 ms), and the spinning threads cost CPU
the other sections need. Work outside these blocks keeps every thread.

OpenBLAS has one thread count per process, and threadpoolctl lets only the thread that set a
limit restore it (another thread's call does nothing meanwhile). So the fits of the weekly
sections, which run side by side, take turns: each sets one thread and restores the count in its
own thread. A fit takes milliseconds.

Finding the loaded libraries reads ``/proc/self/maps`` (about 1 ms, as long as a small fit's
work): threadpoolctl's cached controller finds them again only when modules were imported since
(a BLAS library comes with the extension module that loads it).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

_turn = threading.RLock()  # reentrant: one fit may run inside another's block


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the block with BLAS limited to one thread (import the libraries first: a BLAS
    library loaded inside the block is not limited)."""
    # Imported here: only the fits need it.
    from threadpoolctl import get_cached_controller

    with _turn, get_cached_controller().limit(limits=1, user_api="blas"):
        yield
