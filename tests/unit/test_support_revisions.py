"""A value derived from one revision of the collection: built once per revision, by one thread
however many ask at once, and again after this process's own write."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from agents.support.revisions import PerRevision


class Builds:
    """Counts its builds; each takes a while, so that concurrent callers overlap."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def __call__(self) -> int:
        time.sleep(0.05)
        with self._lock:
            self.count += 1
            return self.count


def test_callers_at_one_revision_share_one_build_however_many_ask_at_once() -> None:
    builds = Builds()
    held = PerRevision(builds)

    with ThreadPoolExecutor(max_workers=8) as pool:
        values = list(pool.map(lambda _: held.get("rev-1"), range(16)))

    assert values == [1] * 16 and builds.count == 1
    assert held.get("rev-1") == 1


def test_a_new_revision_or_a_clear_builds_again() -> None:
    builds = Builds()
    held = PerRevision(builds)

    assert held.get("rev-1") == 1
    assert held.get("rev-2") == 2  # another process changed the collection
    held.clear()  # this process wrote
    assert held.get("rev-2") == 3
    assert builds.count == 3
