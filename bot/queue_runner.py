"""Workflow calls on a distributed task queue: Celery on the Redis broker (``REDIS_URL``).

``QueueRunner`` is a ``bot.runner.WorkflowRunner``: ``await runner.call(work.fn, *args,
**kwargs)`` sends a task that ``controlroom worker`` processes, on this machine or any other,
run as ``work.fn(services, *args, **kwargs)`` over their own services (``bot.queue_tasks``,
which says why the broker must be trusted). The contract is ``ProcessRunner``'s: the same
exception type back where it pickles, else a ``WorkerError`` with the traceback as text;
``on_progress`` relayed, in order, from a thread of this process; a call its workers kept
dying on is given up (``BROKER_MAX_DELIVERIES``) with a ``TaskGivenUpError``. Each call is
recorded in the state store as a queued task before it is sent. These calls are short (the
checks a modal's submission is acked with): they go to the "interactive" queue.

``send`` is the other way in: work nobody waits for, to the queue its sender names — a Slack
request's handed-off half (``bot.slack_work``: an answer to "interactive", a digest or an
approved campaign's send to "batch") or a clock's job — so that an answer never waits behind a
digest when each queue has workers of its own.

Replies (progress, then the result) come back on one Redis list per runner, read by one
thread, each tagged with its call's id: a list rather than Celery's task states, which keep only
the latest state (a caller polling them misses progress calls made between two polls), or a
pub/sub channel, which drops what is published while nobody listens (before the caller has
subscribed, or while it reconnects). A list keeps every reply, in order, until it is read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import pickle
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

import redis

from bot.handoff import INTERACTIVE
from bot.queue_tasks import TASK, Reply, celery_app, check_broker
from bot.runner import WORKFLOW_BACKLOG, WorkersUnavailableError
from bot.worker import PROGRESS, WorkerError
from controlroom.services import Services
from controlroom.settings import Settings
from integrations.statestore import StateStore

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

# Seconds the reply thread waits on Redis before looking whether it should stop.
READ_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class _Call:
    loop: asyncio.AbstractEventLoop
    outcome: asyncio.Future[Any]
    on_progress: Callable[..., None] | None


class QueueRunner:
    """Workflow calls, and work nobody waits for, sent to ``controlroom worker`` processes
    through the broker of ``settings``.

    At most ``backlog`` calls are held (waiting for their reply); one more is refused at once
    with ``WorkersUnavailableError``, as ``ProcessRunner`` does and for its reasons. Closing
    stops listening: calls still waiting are refused (their tasks still run in the workers).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        backlog: int = WORKFLOW_BACKLOG,
    ) -> None:
        if settings.broker_url is None:
            raise ValueError("a queue runner needs a broker: set REDIS_URL")
        self._settings = settings
        self._url = settings.broker_url.get_secret_value()
        self._celery = celery_app(settings)
        self._backlog = backlog
        self._replies = f"{settings.broker_prefix}replies:{uuid.uuid4().hex}"
        self._calls: dict[str, _Call] = {}
        self._held = 0  # calls waiting (changed on the event loop only)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._reader: threading.Thread | None = None
        # Where each task is recorded as queued (for ``controlroom runs list``), from start().
        self._state: StateStore | None = None

    @property
    def busy(self) -> bool:
        return self._held >= self._backlog

    def start(self) -> None:
        """Check that the broker answers, open the state store and start reading replies
        (once); raises ``bot.queue_tasks.BrokerUnavailableError`` when the broker does not
        answer, ``StateStoreError`` when the database does not."""
        with self._lock:
            if self._reader is not None:
                return
            if self._stop.is_set():
                raise WorkersUnavailableError("the queue runner is closed")
            check_broker(self._settings)
            self._state = StateStore(self._settings.effective_database_url)
            self._state.migrate()
            self._reader = threading.Thread(
                target=self._read,
                args=(redis.Redis.from_url(self._url),),
                name="queue-replies",
                daemon=True,
            )
            self._reader.start()

    async def call(
        self, fn: Callable[Concatenate[Services, P], R], /, *args: P.args, **kwargs: P.kwargs
    ) -> R:
        if self.busy:
            raise WorkersUnavailableError(f"{self._held} workflow calls are waiting already")
        state = self._open_state()
        arguments = dict(kwargs)
        progress = cast(Callable[..., None] | None, arguments.pop(PROGRESS, None))
        loop = asyncio.get_running_loop()
        call_id = uuid.uuid4().hex
        pending = _Call(loop, loop.create_future(), progress)
        self._calls[call_id] = pending
        self._held += 1
        try:
            reply = Reply(self._replies, call_id)
            task_args = (fn, call_id, reply, args, arguments, progress is not None)
            work = f"{fn.__module__}.{getattr(fn, '__qualname__', fn)}"
            await asyncio.to_thread(self._send, state, call_id, work, task_args, INTERACTIVE)
            return cast(R, await pending.outcome)
        finally:
            self._held -= 1
            self._calls.pop(call_id, None)

    def _open_state(self) -> StateStore:
        """Where tasks are recorded; refuses (``WorkersUnavailableError``) before ``start``
        or after ``close``."""
        state = self._state
        if self._reader is None or state is None or self._stop.is_set():
            raise WorkersUnavailableError("the queue runner is not started, or is closed")
        return state

    def _send(
        self, state: StateStore, task_id: str, work: str, task_args: tuple[Any, ...], queue: str
    ) -> None:
        """Record the task as queued, then send it (a worker may take it at once)."""
        state.queue_task(task_id, work=work, queue=queue)
        self._celery.send_task(TASK, args=task_args, task_id=task_id, queue=queue)

    def send(self, fn: Callable[..., None], /, *args: Any, queue: str, work: str) -> None:
        """Record ``fn(services, *args)`` as a queued task named ``work`` and send it to
        ``queue``: nobody waits for it (a handed-off Slack request, ``bot.slack_work``, or a
        clock's job); raises what the database or the broker raise."""
        task_id = uuid.uuid4().hex
        task_args: tuple[Any, ...] = (fn, task_id, None, args, {}, False)
        self._send(self._open_state(), task_id, work, task_args, queue)

    def close(self) -> None:
        with self._lock:
            self._stop.set()
            reader = self._reader
        if reader is not None:
            reader.join(timeout=2 * READ_SECONDS + 5)
        refused = WorkersUnavailableError("the queue runner is closing")
        for call in list(self._calls.values()):
            with contextlib.suppress(RuntimeError):  # its event loop has closed already
                call.loop.call_soon_threadsafe(_settle, call.outcome, refused)
        self._celery.close()
        if self._state is not None:
            self._state.close()

    def _read(self, client: redis.Redis) -> None:
        """The reply thread: each reply in turn, until ``close``; then the list is deleted."""
        try:
            while not self._stop.is_set():
                try:
                    got = client.blpop([self._replies], timeout=READ_SECONDS)
                except redis.RedisError:
                    logger.exception("reading the workflow replies failed; trying again")
                    self._stop.wait(READ_SECONDS)
                    continue
                if got is not None:
                    self._deliver(cast(bytes, got[1]))
            client.delete(self._replies)
        except redis.RedisError:
            logger.warning("could not delete the reply list %s", self._replies)
        finally:
            client.close()

    def _deliver(self, raw: bytes) -> None:
        call_id, kind, blob = pickle.loads(raw)
        call = self._calls.get(call_id)
        if call is None:
            return  # the call has returned or been cancelled: its replies no longer matter
        try:
            payload = pickle.loads(blob)
        except Exception as error:
            kind, payload = "raised", WorkerError(f"a worker's reply does not unpickle: {error}")
        if kind == "progress":
            if call.on_progress is not None:
                try:
                    call.on_progress(*payload)
                except Exception:
                    logger.exception("a workflow's progress listener failed")
            return
        outcome = payload if kind == "raised" else _Returned(payload)
        call.loop.call_soon_threadsafe(_settle, call.outcome, outcome)


@dataclass(frozen=True, slots=True)
class _Returned:
    value: Any


def _settle(outcome: asyncio.Future[Any], result: _Returned | BaseException) -> None:
    """Resolve a call's future on its event loop (once: a redelivered task may reply twice)."""
    if outcome.done():
        return
    if isinstance(result, _Returned):
        outcome.set_result(result.value)
    else:
        outcome.set_exception(result)
