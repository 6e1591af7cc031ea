"""What runs inside a workflow worker process of ``bot.runner.ProcessRunner``.

``start_worker`` is the pool's initializer: it builds the worker's own ``Services`` once from
the settings (closed when the worker exits), readies the knowledge base, and reports on the
runner's queue that it is ready. ``call_in_worker`` runs one ``bot.work`` function over those
services, relaying ``on_progress`` to the queue, and makes sure what it raises can travel back.
"""

from __future__ import annotations

import functools
import importlib
import logging
import multiprocessing
import multiprocessing.connection
import multiprocessing.queues
import multiprocessing.util
import os
import pickle
import signal
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from controlroom.services import Services, build_services, ready_knowledge_base
from controlroom.settings import Settings

# The keyword argument that is relayed from a worker rather than sent to it.
PROGRESS = "on_progress"


class WorkerError(RuntimeError):
    """A worker's exception that does not pickle; the message has its type and traceback."""


@dataclass(frozen=True, slots=True)
class _Worker:
    services: Services
    reports: multiprocessing.queues.Queue[tuple[Any, ...]]


# This worker process's services and report queue, set once by ``start_worker`` (the pool's
# initializer: the one way to give a pool's process state of its own). Unset in the parent.
_worker: _Worker | None = None


def start_worker(
    settings: Settings,
    reports: multiprocessing.queues.Queue[tuple[Any, ...]],
    warm_knowledge_base: bool,
    log_level: int,
) -> None:
    """Build this worker's services (closed when it exits) and say it is ready."""
    global _worker
    # Ctrl-C goes to the whole process group: the parent stops the workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(
        level=log_level, format="%(asctime)s %(processName)s %(name)s %(levelname)s %(message)s"
    )
    # A report not yet written when the worker exits is dropped rather than blocking the exit.
    reports.cancel_join_thread()
    _exit_with_parent()
    try:
        importlib.import_module("bot.work")  # the workflows' imports take seconds: now, once
        services = build_services(settings)
        multiprocessing.util.Finalize(None, services.close, exitpriority=10)
        if warm_knowledge_base:
            from agents.support import prepare

            prepare(ready_knowledge_base(services))
    except Exception as error:
        reports.put(("failed", os.getpid(), f"{type(error).__name__}: {error}"))
        raise
    _worker = _Worker(services, reports)
    reports.put(("ready", os.getpid()))


def _exit_with_parent() -> None:
    """End this worker when its parent ends, even by SIGKILL (the pool cannot stop it then)."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return
    sentinel = parent.sentinel

    def watch() -> None:
        multiprocessing.connection.wait([sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def call_in_worker(
    fn: Callable[..., Any], token: int | None, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    worker = _worker
    if worker is None:
        raise WorkerError("this worker process has no services (its initializer did not run)")
    if token is not None:
        kwargs = {**kwargs, PROGRESS: functools.partial(_report_progress, worker.reports, token)}
    try:
        return fn(worker.services, *args, **kwargs)
    except Exception as error:
        sent = travelling(error)
        if sent is error:
            raise
        raise sent from None


def _report_progress(
    reports: multiprocessing.queues.Queue[tuple[Any, ...]], token: int, *args: Any
) -> None:
    reports.put(("progress", token, args))


def travelling(error: Exception) -> Exception:
    """``error`` itself if it can travel back to the caller, else a ``WorkerError`` carrying
    its type and traceback as text."""
    if _travels(error):
        return error
    trace = "".join(traceback.format_exception(error))
    return WorkerError(f"{type(error).__name__} (not picklable) in a worker:\n{trace}")


def _travels(error: Exception) -> bool:
    """Whether ``error`` pickles and reads back as its own type."""
    try:
        copy = pickle.loads(pickle.dumps(error))
    except Exception:
        return False
    return type(copy) is type(error)
