"""Where the listeners' workflow calls run: in worker processes when serving, in threads here.

The workflows are seconds of CPU-bound Python (specialists, pandas, matplotlib, scipy). Run in
threads of the process that serves Slack, they hold its GIL and the acks wait behind them
(bench/slack_ack.py on 2 cores: ack p99 146 ms with two threads, max 685 ms). So the serving
process only parses, acks, renders and calls Slack (p99 26 ms, max 44 ms), and
``ProcessRunner`` runs each ``bot.work`` function in worker processes, each with its own
``Services`` built once from the settings. ``ThreadRunner`` runs them in threads of this
process, over its services: for tests that inject Python objects, and for the clock, which
serves no requests.

Both have ``await runner.call(work.fn, *args, **kwargs)``, which calls ``work.fn(services, *args,
**kwargs)`` with the services of wherever it runs. In a worker process:

- ``fn`` travels by reference (a module-level function), the arguments and result by pickle;
- an exception comes back as the same type with its attributes (it must pickle: see
  ``AlreadyDecidedError.__reduce__``); one that does not is sent as a ``WorkerError``, its
  traceback in the message (an exception that could not be read back would break the pool);
- ``on_progress``, the one callback a workflow takes, is relayed: the worker puts each call on a
  queue that a thread of this process reads, calling the caller's function from that thread
  (as the workflow's own threads would);
- a worker that dies (killed, out of memory) fails the calls in flight with ``BrokenProcessPool``
  (the app's error handler tells the person plainly), and the next call gets fresh workers.

Workers start with "spawn", not fork: this process has threads and open database handles that a
fork would copy half-way. A worker exits with its parent, however the parent ends.

Exceptions::

    RuntimeError
     ├── WorkerError              (bot.worker) a worker's exception that could not travel back
     ├── WorkersUnavailableError  too many calls held already, or the workers are stopping
     ├── TaskGivenUpError         a queued call delivered more often than BROKER_MAX_DELIVERIES
     │                            (its workers kept dying): not run again
     └── WorkersNotStartedError   (bot.workers) the workers failed, or timed out, building
                                  their services
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import multiprocessing
import multiprocessing.queues
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar, cast, runtime_checkable

from bot.worker import PROGRESS, call_in_worker
from bot.workers import Workers
from controlroom.services import Services
from controlroom.settings import Settings
from integrations.statestore import StateStore, StateStoreError, process_name

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

# Threads of ThreadRunner. The workflows hold the GIL: more threads finish no more work and
# only make the serving thread wait longer (bench/slack_ack.py: 6 threads p99 ~480 ms, 2 ~195).
WORKFLOW_THREADS = 2
# Worker processes of ProcessRunner with a Chroma server: two on this 2-core machine, where
# under bench/slack_ack.py they finished 55% more workflows than one (144 runs in 30 s against
# 93) for an ack p99 of 36 ms against 26. One only with the embedded store (``workflow_processes``).
WORKFLOW_PROCESSES = 2
# Calls a ProcessRunner holds (running or waiting) before it refuses more (see ProcessRunner).
WORKFLOW_BACKLOG = 100
# How long start() waits for every worker to build its services (and, the first time, ingest
# the help centre: ~10 s on an idle machine; several times that on a busy one).
READY_SECONDS = 300.0
# Seconds between two log lines about refused calls.
REFUSALS_LOGGED_EVERY = 60.0
# The error recorded on a run whose worker process died while it ran.
INTERRUPTED = "interrupted: the workflow process running it died (killed, or out of memory)"
# How often the reports thread looks up from its queue to see whether it should stop.


class WorkersUnavailableError(RuntimeError):
    """The call is refused at once: the workers have ``backlog`` calls to get through already,
    or they are stopping (the app is shutting down). Try again later."""


class TaskGivenUpError(RuntimeError):
    """A call on the task queue was given up: the broker delivered it more often than
    ``BROKER_MAX_DELIVERIES`` (each worker running it died first), so it is not run again;
    its run is failed with the reason. The message is for the log, not for the person."""


def workflow_processes(settings: Settings) -> int:
    """How many worker processes ``settings`` allow: ``WORKFLOW_PROCESSES`` with a Chroma
    server (``CHROMA_URL``); one with the embedded store under ``var/chroma``, which is not
    process-safe: a second process keeps querying its own stale in-memory index, never finding
    the answers a person gave in another, and two creating the store at once collide."""
    return WORKFLOW_PROCESSES if settings.chroma_url else 1


class WorkflowRunner(Protocol):
    """Runs ``bot.work`` functions away from the event loop; see the module docstring."""

    async def call(
        self, fn: Callable[Concatenate[Services, P], R], /, *args: P.args, **kwargs: P.kwargs
    ) -> R:
        """``fn(services, *args, **kwargs)`` with the services of wherever it runs."""
        ...

    @property
    def busy(self) -> bool:
        """Whether a call now would be refused with ``WorkersUnavailableError``: a slash
        command can say so in its ack, with no call to Slack."""
        ...

    def start(self) -> None:
        """Get ready for the first call (blocking; nothing to do for threads)."""
        ...

    def close(self) -> None:
        """Stop the threads or processes; calls in flight finish first. Idempotent."""
        ...


@runtime_checkable
class TaskSender(Protocol):
    """A runner that also sends work nobody waits for (the task queue's ``QueueRunner``): a
    handed-off Slack request, a clock's job."""

    def send(self, fn: Callable[..., None], /, *args: Any, queue: str, work: str) -> None:
        """Record ``fn(services, *args)`` as a queued task named ``work`` and send it to
        ``queue``, before returning; raises what the database or the broker raise."""
        ...


class ThreadRunner:
    """Workflow calls in ``threads`` threads of this process over ``services``; ``None``: the
    event loop's default pool (as ``asyncio.to_thread``), for a caller that runs one call."""

    def __init__(self, services: Services, *, threads: int | None = WORKFLOW_THREADS) -> None:
        self.services = services
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="workflow") if threads else None

    async def call(
        self, fn: Callable[Concatenate[Services, P], R], /, *args: P.args, **kwargs: P.kwargs
    ) -> R:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._pool, functools.partial(fn, self.services, *args, **kwargs)
        )

    @property
    def busy(self) -> bool:
        return False  # threads queue every call

    def start(self) -> None:
        return

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


class ProcessRunner:
    """Workflow calls in ``processes`` worker processes (default: as many as ``settings``
    allow, ``workflow_processes``), each building its services from ``settings`` once (and
    readying the knowledge base if ``warm_knowledge_base``).

    At most ``backlog`` calls are held, running or waiting; one more is refused at once with
    ``WorkersUnavailableError`` (``busy`` says so beforehand). A request takes Slack
    milliseconds to send and the workers seconds to run: under a flood (bench/slack_ack.py
    sends ~1,000 a second) an unbounded queue grows for good — minutes of waiting nobody wants
    (Slack's response URLs expire after 30), and waiting requests by the ten thousand that
    every pass of the garbage collector walks, stalling every ack (measured: passes growing to
    800 ms within 30 s, over 1.5 million objects; with the bound, none over 30 ms).

    A context manager: entering starts the workers and waits until they are ready (so the
    first click is not slow); leaving stops them once their calls in flight have finished.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        processes: int | None = None,
        backlog: int = WORKFLOW_BACKLOG,
        warm_knowledge_base: bool = True,
    ) -> None:
        processes = processes or workflow_processes(settings)
        if processes < 1 or backlog < processes:
            raise ValueError("a process runner needs a worker, and room for a call each")
        if processes > workflow_processes(settings):
            logger.warning(
                "%d workflow worker processes share the embedded Chroma store: an answer one "
                "adds is not found by the others (set CHROMA_URL for a Chroma server)",
                processes,
            )
        self._settings = settings
        self._processes = processes
        self._backlog = backlog
        self._held = 0  # calls running or waiting (changed on the event loop only)
        # Refusals are logged once a minute at most, with how many there were.
        self._refused = 0
        self._refusals_logged = -REFUSALS_LOGGED_EVERY
        self._warm_knowledge_base = warm_knowledge_base
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._workers: Workers | None = None
        self._closed = False
        # on_progress callbacks of the calls in flight, by the token their worker reports with.
        self._listeners: dict[int, Callable[..., None]] = {}
        self._tokens = itertools.count(1)

    def __enter__(self) -> ProcessRunner:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def pids(self) -> frozenset[int]:
        """The process ids of the current workers that are ready."""
        workers = self._workers
        return frozenset(workers.pids) if workers is not None else frozenset()

    @property
    def busy(self) -> bool:
        return self._held >= self._backlog

    def start(self, timeout: float = READY_SECONDS) -> None:
        """Start the workers and block until each has built its services; raises
        ``WorkersNotStartedError`` when one fails or ``timeout`` seconds pass first."""
        started = time.monotonic()
        self._current().wait_ready(timeout)
        logger.info(
            "%d workflow worker process(es) ready in %.1f s",
            self._processes,
            time.monotonic() - started,
        )

    async def call(
        self, fn: Callable[Concatenate[Services, P], R], /, *args: P.args, **kwargs: P.kwargs
    ) -> R:
        if self.busy:
            self._refuse()
            raise WorkersUnavailableError(f"{self._held} workflow calls are held already")
        arguments = dict(kwargs)
        progress = arguments.pop(PROGRESS, None)
        token = None
        if progress is not None:
            token = next(self._tokens)
            self._listeners[token] = cast(Callable[..., None], progress)
        workers = self._current()
        self._held += 1
        try:
            try:
                future = workers.executor.submit(call_in_worker, fn, token, args, arguments)
            except BrokenProcessPool:
                # A worker died while idle: nothing of this call ran, so fresh workers take it.
                logger.error("a workflow worker process had died; starting fresh workers")
                self._replace(workers)
                workers = self._current()
                future = workers.executor.submit(call_in_worker, fn, token, args, arguments)
            return cast(R, await asyncio.wrap_future(future))
        except BrokenProcessPool:
            logger.error(
                "a workflow worker process died during %s; starting fresh workers",
                getattr(fn, "__qualname__", fn),
            )
            self._replace(workers)
            raise
        finally:
            self._held -= 1
            if token is not None:
                self._listeners.pop(token, None)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers, self._workers = self._workers, None
        if workers is not None:
            workers.close()

    def _refuse(self) -> None:
        self._refused += 1
        now = time.monotonic()
        if now - self._refusals_logged >= REFUSALS_LOGGED_EVERY:
            logger.warning(
                "workflow workers busy (%d calls held): %d call(s) refused since the last notice",
                self._held,
                self._refused,
            )
            self._refused, self._refusals_logged = 0, now

    def _current(self) -> Workers:
        with self._lock:
            if self._closed:
                raise WorkersUnavailableError("the workflow workers are stopping")
            if self._workers is None:
                self._workers = self._new_workers()
            return self._workers

    def _replace(self, broken: Workers) -> None:
        """Fresh workers in place of ``broken`` (once, however many calls saw it break); the
        broken ones are cleared away in a thread, off the event loop."""
        with self._lock:
            if self._workers is not broken:
                return
            self._workers = None if self._closed else self._new_workers()
        threading.Thread(
            target=self._retire, args=(broken,), name="workflow-workers-close", daemon=True
        ).start()

    def _retire(self, broken: Workers) -> None:
        """Clear a broken generation away, then mark failed the runs its processes left
        "running" (each run records the process it runs in): the history and App Home would
        show them running for ever."""
        broken.close()
        dead = {process_name(pid) for pid in broken.pids}
        try:
            state = StateStore(self._settings.effective_database_url)
            try:
                interrupted = state.interrupt_runs(dead, INTERRUPTED)
            finally:
                state.close()
        except StateStoreError:
            logger.exception("could not mark the runs of the dead workflow processes failed")
            return
        for run_id in interrupted:
            logger.warning("run %s failed: its workflow process died", run_id)

    def _new_workers(self) -> Workers:
        return Workers(
            self._context,
            self._settings,
            processes=self._processes,
            warm_knowledge_base=self._warm_knowledge_base,
            relay=self._relay,
        )

    def _relay(self, token: int, args: tuple[Any, ...]) -> None:
        """A worker's ``on_progress(*args)`` for the call ``token`` (in the reports thread)."""
        listener = self._listeners.get(token)
        if listener is None:
            return  # the call has returned: its progress no longer matters
        try:
            listener(*args)
        except Exception:
            logger.exception("a workflow's progress listener failed")
