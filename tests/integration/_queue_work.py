"""Work functions for the task-queue suite: module-level, as ``bot.work``'s are, so that a
``controlroom worker`` process can import them by reference."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypedDict

from langgraph.graph import END, START, StateGraph

from controlroom.services import Services
from workflows.proposals import AnsweredResult
from workflows.steps import WorkflowSpec, advance

RECORDED = "queue-test-recorded"
STEPPED = "queue-test-stepped"


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


class _Steps(TypedDict, total=False):
    run_id: str
    marker: str
    outcome: dict[str, Any]


def two_steps(services: Services, started: str, hold: str, marker: str) -> str:
    """A checkpointed run of two steps (``workflows.steps.advance``, as the win-back's): the
    first records ``marker`` in the audit log; the second says it started (``started``), waits
    while the file ``hold`` exists, records its own entry and ends. Returns the run's id."""
    state = services.state

    def record(step: str, current: _Steps) -> None:
        state.record_audit(
            STEPPED, actor="queue-test", run_id=current["run_id"], marker=marker, step=step
        )

    def first(current: _Steps) -> _Steps:
        record("first", current)
        return {"marker": marker}

    def second(current: _Steps) -> _Steps:
        Path(started).write_text(str(os.getpid()))
        while Path(hold).exists():
            time.sleep(0.1)
        record("second", current)
        answered = AnsweredResult(text=marker, confidence=1.0, sources=[], reviewed_by=None)
        return {"outcome": answered.stored()}

    def build() -> StateGraph[_Steps]:
        graph = StateGraph(_Steps)
        graph.add_node("first", first)
        graph.add_node("second", second)
        graph.add_edge(START, "first")
        graph.add_edge("first", "second")
        graph.add_edge("second", END)
        return graph

    run = state.start_run(STEPPED, started_by="queue-test", trigger="cli")
    outcome = advance(
        WorkflowSpec(build=build),
        run.run_id,
        {"run_id": run.run_id},
        state=state,
        database_url=services.settings.effective_database_url,
        workflow=STEPPED,
    )
    return outcome.run_id
