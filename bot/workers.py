"""One generation of ``ProcessRunner``'s worker processes (``bot.runner``): the pool, the
queue the workers report on (ready, failed, progress) and the thread reading it."""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.queues
import os
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing.context import SpawnContext
from typing import Any

from bot.worker import start_worker
from controlroom.settings import Settings

POLL_SECONDS = 0.5


class WorkersNotStartedError(RuntimeError):
    """The worker processes did not get ready: the message says why."""


class Workers:
    """One generation of worker processes, the queue they report on (ready, failed, progress)
    and the thread reading it. A fresh generation gets a fresh queue: a worker killed while
    writing could leave the old one locked."""

    def __init__(
        self,
        context: SpawnContext,
        settings: Settings,
        *,
        processes: int,
        warm_knowledge_base: bool,
        relay: Callable[[int, tuple[Any, ...]], None],
    ) -> None:
        self.processes = processes
        self.pids: set[int] = set()
        self._relay = relay
        self._ready = threading.Event()
        self._failure: str | None = None
        self._stop = threading.Event()
        self._reports: multiprocessing.queues.Queue[tuple[Any, ...]] = context.Queue()
        self.executor = ProcessPoolExecutor(
            processes,
            mp_context=context,
            initializer=start_worker,
            initargs=(
                settings,
                self._reports,
                warm_knowledge_base,
                logging.getLogger().getEffectiveLevel(),
            ),
        )
        self._reader = threading.Thread(target=self._read, name="workflow-reports", daemon=True)
        self._reader.start()
        # The pool starts a process per call submitted while none is idle: one trivial call
        # each starts them all now, so they build their services before the first request.
        self._started: list[Future[int]] = [
            self.executor.submit(os.getpid) for _ in range(processes)
        ]

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self._ready.wait(POLL_SECONDS):
            if self._failure is not None:
                raise WorkersNotStartedError(f"a workflow worker failed to start: {self._failure}")
            if any(future.done() and future.exception() for future in self._started):
                raise WorkersNotStartedError("a workflow worker process exited while starting")
            if time.monotonic() > deadline:
                raise WorkersNotStartedError(
                    f"the workflow workers were not ready within {timeout:g} s"
                )

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
        self._stop.set()
        self._reader.join(timeout=2 * POLL_SECONDS)
        if not self._reader.is_alive():
            self._reports.close()

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                report = self._reports.get(timeout=POLL_SECONDS)
            except queue.Empty:
                continue
            except (EOFError, OSError):
                return  # closed
            kind = report[0]
            if kind == "progress":
                self._relay(report[1], report[2])
            elif kind == "ready":
                self.pids.add(report[1])
                if len(self.pids) >= self.processes:
                    self._ready.set()
            elif kind == "failed":
                self._failure = report[2]
