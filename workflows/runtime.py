"""Durable workflow state: the LangGraph checkpointer on the control room's state database.

SQLite (the default ``var/controlroom.db``) uses ``SqliteSaver``; PostgreSQL uses
``PostgresSaver``. Either way a run paused by ``interrupt()`` can be resumed from another
process, after a restart, with ``Command(resume=...)`` and the run id as ``thread_id``.

``recorded_run`` records a run that does not pause (ask, the weekly digest) from start to end:
its status tells the truth — succeeded, partial (the block called ``degrade``: some of it is
missing, and the reason says what), or failed.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.sqlite import SqliteSaver
from sqlalchemy.engine import make_url

from integrations.llm import Cost, CostMeter, LanguageModel
from integrations.statestore import RunStatus, StateStore, Trigger

if TYPE_CHECKING:
    # psycopg and the PostgreSQL saver load only when the state store is PostgreSQL.
    from langgraph.checkpoint.postgres import PostgresSaver

Input = TypeVar("Input")

# pg_advisory_lock key for the checkpointer's own migrations ("CKPT" in ASCII).
_SETUP_LOCK = 0x434B5054
_SETUP_POLL_SECONDS = 0.05


def _set_up_one_at_a_time(saver: PostgresSaver) -> None:
    """``setup()`` under an advisory lock: it races itself when processes start together on a
    new database (UniqueViolation on checkpoint_migrations). The lock is polled for, not waited
    on: setup's CREATE INDEX CONCURRENTLY waits for every open transaction, a blocked
    ``pg_advisory_lock`` call included (a deadlock)."""
    # from_conn_string gives one connection (rows as dicts), not a pool.
    connection: Any = saver.conn
    taken = "SELECT pg_try_advisory_lock(%s) AS taken"
    while not connection.execute(taken, (_SETUP_LOCK,)).fetchone()["taken"]:
        time.sleep(_SETUP_POLL_SECONDS)
    try:
        saver.setup()
    finally:
        connection.execute("SELECT pg_advisory_unlock(%s)", (_SETUP_LOCK,))


@contextmanager
def open_checkpointer(database_url: str) -> Iterator[BaseCheckpointSaver[str]]:
    """A checkpointer on the state database named by ``database_url`` (a SQLAlchemy URL)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "controlroom.db")
        path.parent.mkdir(parents=True, exist_ok=True)
        # LangGraph runs nodes in worker threads; the saver serialises access to the connection.
        connection = sqlite3.connect(path, check_same_thread=False, timeout=30)
        try:
            saver = SqliteSaver(connection)
            saver.setup()
            yield saver
        finally:
            connection.close()
        return
    if url.get_backend_name() == "postgresql":
        from langgraph.checkpoint.postgres import PostgresSaver

        plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
        with PostgresSaver.from_conn_string(plain) as postgres_saver:
            _set_up_one_at_a_time(postgres_saver)
            yield postgres_saver
        return
    raise ValueError(f"no checkpointer for {url.get_backend_name()} databases")


def run_config(run_id: str) -> RunnableConfig:
    """The LangGraph config of a run: its id is the thread id."""
    return {"configurable": {"thread_id": run_id}}


def start_or_continue(saver: BaseCheckpointSaver[str], run_id: str, start: Input) -> Input | None:
    """What to invoke run ``run_id``'s graph with: ``start``, its first input, on a thread
    with no checkpoint yet; None, which continues from the last checkpoint, when it has one.
    A run id is never reused but by a queue task delivered again after its worker died, which
    takes back the run its earlier delivery left (``StateStore.continued_run``): finished
    steps are not run again, the step the worker died in is run from its start."""
    return None if saver.get_tuple(run_config(run_id)) is not None else start


# The audit actions of a model call that fell back (read by `controlroom runs show`).
MODEL_REPLY_REFUSED = "model_reply_refused"
MODEL_UNAVAILABLE = "model_unavailable"


class RecordedRun:
    """A run being recorded: its id, the model view that meters its cost, and what the block
    said about how it ended (``degrade`` for partial, ``fail`` for failed)."""

    def __init__(self, run_id: str, model: LanguageModel) -> None:
        self.run_id = run_id
        self.model = model
        self._lock = threading.Lock()
        self._degraded: list[str] = []
        self._failed: str | None = None

    @property
    def cost(self) -> Cost:
        return self.model.meter.total()

    def degrade(self, reason: str) -> None:
        """The run gave a result, but not all of it: it ends "partial", ``reason`` saying what
        is missing (several reasons are joined)."""
        with self._lock:
            self._degraded.append(_one_line(reason))

    def fail(self, reason: str) -> None:
        """The run ends "failed" without raising (it has nothing to give), saying why."""
        with self._lock:
            self._failed = _one_line(reason)

    @property
    def status(self) -> RunStatus:
        """How the run ends if the block returns now."""
        with self._lock:
            if self._failed is not None:
                return "failed"
            return "partial" if self._degraded else "succeeded"

    @property
    def reason(self) -> str | None:
        """Why the run is not "succeeded" (None when it is)."""
        with self._lock:
            if self._failed is not None:
                return self._failed
            return "; ".join(self._degraded) or None


@contextmanager
def recorded_run(
    state: StateStore,
    workflow: str,
    *,
    model: LanguageModel,
    started_by: str,
    trigger: Trigger,
) -> Iterator[RecordedRun]:
    """Record a run from start to finish: succeeded when the block ends (partial or failed when
    it called ``degrade`` or ``fail``), failed with the error when it raises; either way with the
    tokens and cost its model view metered, and each model call that fell back in the audit log."""
    run = state.start_run(workflow, started_by=started_by, trigger=trigger)
    recorded = RecordedRun(run.run_id, model.metered(CostMeter()))
    try:
        yield recorded
    except Exception as error:
        _finish(state, recorded, "failed", error=f"{type(error).__name__}: {error}")
        raise
    _finish(state, recorded, recorded.status, error=recorded.reason)


def record_model_fallbacks(state: StateStore, run_id: str, meter: CostMeter) -> None:
    """Write each model call of the run that fell back to the audit log: the model's reply was
    refused (unusable) or the model unavailable, and the offline writer or rules answered."""
    for fallback in meter.fallbacks():
        action = MODEL_UNAVAILABLE if fallback.kind == "unavailable" else MODEL_REPLY_REFUSED
        state.record_audit(
            action, actor="controlroom", run_id=run_id, agent=fallback.agent, reason=fallback.reason
        )


def _finish(
    state: StateStore, run: RecordedRun, status: RunStatus, *, error: str | None = None
) -> None:
    record_model_fallbacks(state, run.run_id, run.model.meter)
    cost = run.cost
    state.finish_run(
        run.run_id,
        status,
        error=error,
        input_tokens=cost.input_tokens,
        output_tokens=cost.output_tokens,
        cost_usd=cost.usd,
    )


def _one_line(reason: str) -> str:
    """A reason as one line (a database error's message spans several)."""
    return " ".join(reason.split())
