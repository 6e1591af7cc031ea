"""Work functions for the task-queue suite: module-level, as ``bot.work``'s are, so that a
``controlroom worker`` process can import them by reference."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from controlroom.services import Services

RECORDED = "queue-test-recorded"


def count_up(
    services: Services, to: int, *, on_progress: Callable[[int], None] | None = None
) -> int:
    """Report 1..``to`` in order, then return ``to``."""
    for step in range(1, to + 1):
        if on_progress is not None:
            on_progress(step)
    return to


class LockedError(RuntimeError):
    """An exception that does not pickle: it holds a lock."""

    def __init__(self) -> None:
        super().__init__("holding a lock")
        self.lock = threading.Lock()


def fail_unpicklably(services: Services) -> None:
    raise LockedError()


def hold(services: Services, started: str, seconds: float) -> int:
    """Say it started (a file), then take ``seconds``: a long batch job."""
    Path(started).write_text(str(os.getpid()))
    time.sleep(seconds)
    return os.getpid()


def record_after(services: Services, started: str, seconds: float, marker: str) -> int:
    """Start a run, say it started, take ``seconds``, then record ``marker`` in the audit log
    (appending, so that a second completion would show as a second entry) under that run and
    finish it."""
    run = services.state.start_run(RECORDED, started_by="queue-test", trigger="cli")
    Path(started).write_text(str(os.getpid()))
    time.sleep(seconds)
    entry = services.state.record_audit(
        RECORDED, actor="queue-test", run_id=run.run_id, marker=marker
    )
    services.state.finish_run(run.run_id, "succeeded")
    return entry.entry_id
