"""Durable workflow state: the LangGraph checkpointer on the control room's state database.

SQLite (the default ``var/controlroom.db``) uses ``SqliteSaver``; PostgreSQL uses
``PostgresSaver``. Either way a run paused by ``interrupt()`` can be resumed from another
process, after a restart, with ``Command(resume=...)`` and the run id as ``thread_id``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.sqlite import SqliteSaver
from sqlalchemy.engine import make_url

from integrations.llm import Cost, CostMeter, LanguageModel
from integrations.statestore import RunStatus, StateStore, Trigger


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
        plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
        with PostgresSaver.from_conn_string(plain) as postgres_saver:
            postgres_saver.setup()
            yield postgres_saver
        return
    raise ValueError(f"no checkpointer for {url.get_backend_name()} databases")


def run_config(run_id: str) -> RunnableConfig:
    """The LangGraph config of a run: its id is the thread id."""
    return {"configurable": {"thread_id": run_id}}


@dataclass(frozen=True, slots=True)
class RecordedRun:
    """A run being recorded: its id, and the model view that meters its cost."""

    run_id: str
    model: LanguageModel

    @property
    def cost(self) -> Cost:
        return self.model.meter.total()


@contextmanager
def recorded_run(
    state: StateStore,
    workflow: str,
    *,
    model: LanguageModel,
    started_by: str,
    trigger: Trigger,
) -> Iterator[RecordedRun]:
    """Record a run from start to finish: succeeded when the block ends, failed (with the error)
    when it raises; either way with the tokens and cost its model view metered."""
    run = state.start_run(workflow, started_by=started_by, trigger=trigger)
    recorded = RecordedRun(run_id=run.run_id, model=model.metered(CostMeter()))
    try:
        yield recorded
    except Exception as error:
        _finish(state, recorded, "failed", error=f"{type(error).__name__}: {error}")
        raise
    _finish(state, recorded, "succeeded")


def _finish(
    state: StateStore, run: RecordedRun, status: RunStatus, *, error: str | None = None
) -> None:
    cost = run.cost
    state.finish_run(
        run.run_id,
        status,
        error=error,
        input_tokens=cost.input_tokens,
        output_tokens=cost.output_tokens,
        cost_usd=cost.usd,
    )
