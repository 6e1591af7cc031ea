"""Durable workflow state: the LangGraph checkpointer on the control room's state database.

SQLite (the default ``var/controlroom.db``) uses ``SqliteSaver``; PostgreSQL uses
``PostgresSaver``. Either way a run paused by ``interrupt()`` can be resumed from another
process, after a restart, with ``Command(resume=...)`` and the run id as ``thread_id``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.sqlite import SqliteSaver
from sqlalchemy.engine import make_url


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
