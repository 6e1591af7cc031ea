"""The worker side of ``bot.queue_runner.QueueRunner``: the Celery app, its one task, and the
services each worker process holds.

A task message carries the ``bot.work`` function by reference (a module-level function), its
arguments and where to reply, all pickled, as ``ProcessRunner``'s pool pickles them. So whoever
can write to the broker can run code in every worker: **the broker must be trusted** (a Redis
on a private network, with a password, or TLS with ``rediss://``), never one shared with
anyone else.

A task is acknowledged late, after it has run: a worker that dies (killed, out of memory, its
machine gone) leaves it unacknowledged, and the broker gives it to another worker once
``BROKER_VISIBILITY_TIMEOUT`` seconds have passed. That delivery continues the run the dead
worker left (``StateStore.pick_up_task`` hands it over, the workflow takes it back when it
starts or decides its run) from its LangGraph checkpoint: one run, with one status. A step
the worker died in runs again from its start, so the steps' effects must be safe to repeat
(sends are idempotent per recipient, ``workflows.sending``). Work that is not a checkpointed
graph (``ask``) starts again from the beginning under the same run id.

The task replies on the caller's reply list in Redis (``reply``): each ``on_progress`` call,
then the result or the exception (the same type where it pickles, else a ``WorkerError``), in
order. Celery's own result backend is not used. Each task is recorded in the state store
(``integrations.statestore.tasks``): queued by the runner, then each pick-up, the worker that
took it and how it ended, for ``controlroom runs list``.
"""

from __future__ import annotations

import functools
import importlib
import logging
import os
import pickle
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

import redis
from celery import Celery
from celery.signals import worker_process_init, worker_process_shutdown

from bot.handoff import BATCH, INTERACTIVE
from bot.runner import TaskGivenUpError
from bot.worker import PROGRESS, WorkerError, travelling
from bot.workers import WorkersNotStartedError
from controlroom.services import Services, build_services
from controlroom.settings import Settings
from integrations.statestore import StateStore, StateStoreError, TaskOutcome

logger = logging.getLogger(__name__)

# The two queues: short interactive work (answers, approvals, App Home) and long batch work
# (the digest, a campaign's send), so that the one never waits behind the other.
QUEUES = (INTERACTIVE, BATCH)
# The name the runner sends the task by (it needs no import of this module to send it).
TASK = "controlroom.run_work"
# Seconds an unread reply list is kept: its caller has stopped (a restart) and will not read it.
REPLY_SECONDS = 24 * 3600
# Seconds a new worker process may take to build its services (and import the workflows)
# before Celery gives up on it; Celery's default (4 s) is shorter than the imports.
PROCESS_START_SECONDS = 300.0

# Seconds the broker has to answer a ping at start-up.
BROKER_CHECK_SECONDS = 5.0

ReplyKind = Literal["progress", "returned", "raised"]


class BrokerUnavailableError(WorkersNotStartedError):
    """The broker (``REDIS_URL``) did not answer."""


@dataclass(frozen=True, slots=True)
class Reply:
    """Where a task's replies go: the caller's reply list, and the call's id within it."""

    key: str
    call_id: str


@dataclass(frozen=True, slots=True)
class _Worker:
    services: Services
    replies: redis.Redis


# This worker process's services and Redis client, set once when it starts (Celery's
# ``worker_process_init``); unset in the worker's main process and in callers.
_worker: _Worker | None = None


def celery_app(settings: Settings) -> Celery:
    """The Celery app over ``settings``' broker, with the task registered: built by the runner
    (to send) and by ``run_worker`` (to consume); never at import time."""
    if settings.broker_url is None:
        raise ValueError("no broker configured: set REDIS_URL")
    app = Celery("controlroom", broker=settings.broker_url.get_secret_value(), set_as_current=False)
    app.conf.update(
        task_serializer="pickle",
        accept_content=["pickle"],
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_default_queue=INTERACTIVE,
        # One task at a time per process: a prefetched task would wait behind a long one, and
        # die with it unacknowledged.
        worker_prefetch_multiplier=1,
        worker_proc_alive_timeout=PROCESS_START_SECONDS,
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "global_keyprefix": settings.broker_prefix,
            "visibility_timeout": settings.broker_visibility_timeout,
            # Look for tasks to give back every tenth of the timeout (kombu: every 100 s).
            "unacked_restore_interval": max(1, settings.broker_visibility_timeout // 10),
            "unacked_restore_throttle": 1,
        },
    )
    app.task(name=TASK)(run_work)
    return app


def check_broker(settings: Settings, *, timeout: float = BROKER_CHECK_SECONDS) -> None:
    """Raise ``BrokerUnavailableError`` unless the broker answers within ``timeout`` seconds
    (Celery would retry for ever)."""
    assert settings.broker_url is not None
    client = redis.Redis.from_url(
        settings.broker_url.get_secret_value(),
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
    )
    try:
        client.ping()
    except redis.RedisError as error:
        raise BrokerUnavailableError(f"the broker (REDIS_URL) does not answer: {error}") from None
    finally:
        client.close()


def reply_to(client: redis.Redis, reply: Reply, kind: ReplyKind, payload: Any) -> None:
    """Append one reply to the caller's list; a payload that does not pickle is replaced by a
    ``WorkerError`` saying so (the caller would wait for ever for one that never arrives)."""
    try:
        blob = pickle.dumps(payload)
    except Exception as error:
        blob = pickle.dumps(WorkerError(f"the {kind} value of a worker does not pickle: {error}"))
        kind = "raised"
    with client.pipeline() as pipe:
        pipe.rpush(reply.key, pickle.dumps((reply.call_id, kind, blob)))
        pipe.expire(reply.key, REPLY_SECONDS)
        pipe.execute()


def run_work(
    fn: Callable[..., Any],
    task_id: str,
    reply: Reply | None,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    relay_progress: bool,
) -> None:
    """The task: ``fn(services, *args, **kwargs)`` over this worker process's services,
    replying with its ``on_progress`` calls (if the caller listens) and its outcome. A task
    nobody waits for (``reply`` None: a handed-off Slack request, ``bot.slack_work``) replies
    nothing; given up, it is called with ``given_up=`` the reason, to tell the person.

    Each delivery is counted in the state store first (under ``task_id``): past
    ``BROKER_MAX_DELIVERIES`` the work is not run again, its runs are failed and the caller
    gets a ``TaskGivenUpError``; otherwise the runs an earlier delivery left running are
    continued by this one (those the work does not take back are failed as interrupted)."""
    worker = _worker
    if worker is None:
        raise WorkerError("this worker process has no services (worker_process_init did not run)")

    def answer(kind: ReplyKind, payload: Any) -> None:
        if reply is not None:
            reply_to(worker.replies, reply, kind, payload)

    state = worker.services.state
    try:
        settings = worker.services.settings
        pickup = state.pick_up_task(
            task_id,
            max_deliveries=settings.broker_max_deliveries,
            # The broker gives a task out again only a visibility timeout after a delivery;
            # one sooner is a second copy while the first still runs (kombu's Redis transport
            # restores an unacknowledged task twice after a kill -9, seconds apart).
            duplicate_within=timedelta(seconds=settings.broker_visibility_timeout / 2),
        )
    except StateStoreError as error:
        logger.error("could not record the pick-up of task %s: %s", task_id, error)
        answer("raised", travelling(error))
        return
    if pickup.duplicate:
        logger.warning(
            "task %s is %s (in %s): this copy of it is not run",
            task_id,
            pickup.task.status,
            pickup.task.worker,
        )
        return
    for run_id in pickup.closed_runs:
        logger.warning("run %s of task %s failed: an earlier delivery died", run_id, task_id)
    for run in pickup.unfinished:
        logger.warning(
            "run %s of task %s: its worker (%s) died; continuing it",
            run.run_id,
            task_id,
            run.process,
        )
    if pickup.given_up:
        reason = pickup.task.error or "given up"
        logger.error("task %s (%s): %s", task_id, pickup.task.work, reason)
        if reply is None:
            fn(worker.services, *args, **kwargs, given_up=reason)
        answer("raised", TaskGivenUpError(reason))
        return
    if relay_progress and reply is not None:
        kwargs = {**kwargs, PROGRESS: functools.partial(_progress, worker.replies, reply)}
    try:
        with state.working_on(task_id, resuming=pickup.unfinished):
            result = fn(worker.services, *args, **kwargs)
    except Exception as error:
        logger.info("%s raised %s", getattr(fn, "__qualname__", fn), type(error).__name__)
        _finish(state, task_id, "failed", f"{type(error).__name__}: {error}")
        answer("raised", travelling(error))
        return
    _finish(state, task_id, "succeeded")
    answer("returned", result)


def _finish(
    state: StateStore, task_id: str, outcome: TaskOutcome, error: str | None = None
) -> None:
    """Record how the task ended; a state store that fails now is logged, and the caller
    still gets its reply (it would otherwise wait for ever)."""
    try:
        state.finish_task(task_id, outcome, error=error)
    except StateStoreError:
        logger.exception("could not record the end of task %s", task_id)


def _progress(client: redis.Redis, reply: Reply, *args: Any) -> None:
    reply_to(client, reply, "progress", args)


def run_worker(settings: Settings, *, concurrency: int, queues: Sequence[str]) -> int:
    """Consume ``queues`` with ``concurrency`` worker processes until stopped (SIGTERM: warm
    shutdown, the tasks running finish); returns the exit code."""
    app = celery_app(settings)
    start = functools.partial(_start_process, settings)
    worker_process_init.connect(start, weak=False)
    worker_process_shutdown.connect(_stop_process, weak=False)
    worker = app.Worker(
        # Several workers may run on one machine: each its own name in Celery's logs and tools.
        hostname=f"controlroom-{os.getpid()}@{socket.gethostname()}",
        concurrency=concurrency,
        queues=list(queues),
        pool="prefork",
        loglevel=logging.getLogger().getEffectiveLevel(),
        without_gossip=True,
        without_mingle=True,
    )
    worker.start()
    return int(worker.exitcode or 0)


def _start_process(settings: Settings, **_: Any) -> None:
    """Build this worker process's services, once (Celery's ``worker_process_init``)."""
    global _worker
    importlib.import_module("bot.work")  # the workflows' imports take seconds: now, once
    services = build_services(settings)
    assert settings.broker_url is not None  # run_worker's app needs it
    _worker = _Worker(services, redis.Redis.from_url(settings.broker_url.get_secret_value()))


def _stop_process(**_: Any) -> None:
    """Close this worker process's services (Celery's ``worker_process_shutdown``)."""
    global _worker
    worker, _worker = _worker, None
    if worker is not None:
        worker.services.close()
        worker.replies.close()
