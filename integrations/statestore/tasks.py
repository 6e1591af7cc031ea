"""Workflow calls on the task queue: queued by the caller, counted at each pick-up by a
worker, finished there; the runs a task started are tied to it (``runs.task_id``).

The broker delivers a task again when its worker dies before acknowledging it; only the state
store knows how many times that has happened. ``pick_up_task`` counts each delivery, closes the
runs the earlier delivery left "running", and past ``max_deliveries`` gives the task up.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from integrations.statestore.records import (
    UnknownTaskError,
    insert_ignoring,
    now,
    process_name,
    utc,
)
from integrations.statestore.tables import queue_tasks, runs

# queued (sent, not yet picked up) → running (by ``worker``; ``deliveries`` > 1: retried) →
# succeeded | failed (the work raised) | given_up (delivered more often than allowed).
TaskStatus = Literal["queued", "running", "succeeded", "failed", "given_up"]
TaskOutcome = Literal["succeeded", "failed"]
# What a run left "running" by an earlier delivery of its task is failed with.
INTERRUPTED_DELIVERY = (
    "interrupted: the worker running it ({worker}) stopped before it finished, "
    "and the task was delivered again"
)


def given_up_reason(deliveries: int) -> str:
    """Why a task (and its runs) failed when it was delivered once too often."""
    return f"given up after {deliveries} deliver{'y' if deliveries == 1 else 'ies'}"


@dataclass(frozen=True, slots=True)
class TaskRecord:
    """One workflow call on the queue: which ``bot.work`` function, on which queue, how far."""

    task_id: str
    work: str
    queue: str
    status: TaskStatus
    deliveries: int
    worker: str | None
    queued_at: datetime
    picked_at: datetime | None
    finished_at: datetime | None
    error: str | None

    @property
    def retried(self) -> bool:
        """Whether the broker delivered it more than once (a worker died with it)."""
        return self.deliveries > 1


@dataclass(frozen=True, slots=True)
class Pickup:
    """A delivery counted by ``pick_up_task``: the task as it now stands, and the runs an
    earlier delivery left running that are now failed (interrupted, or given up)."""

    task: TaskRecord
    closed_runs: tuple[str, ...]

    @property
    def given_up(self) -> bool:
        return self.task.status == "given_up"


class QueueTasks:
    """The task queue's side of the state store (see the module docstring)."""

    engine: Engine
    # The task this process is running now (``working_on``): runs it starts are tied to it. A
    # worker process runs one task at a time, and a workflow may start its run in any thread.
    current_task: str | None = None

    def queue_task(self, task_id: str, *, work: str, queue: str) -> None:
        """Record a task as sent to ``queue`` (before sending it: a worker may take it at once)."""
        with self.engine.begin() as connection:
            connection.execute(
                insert_ignoring(self.engine, queue_tasks).values(
                    task_id=task_id, work=work, queue=queue, status="queued", queued_at=now()
                )
            )

    def pick_up_task(self, task_id: str, *, max_deliveries: int) -> Pickup:
        """Count one more delivery of ``task_id`` (``queue_task`` recorded it) to this process.
        A task delivered before has its runs still "running" failed as interrupted; one
        delivered more than ``max_deliveries`` times is given up, its runs failed with that
        reason. Raises ``UnknownTaskError`` for a task never queued."""
        picked_at = now()
        with self.engine.begin() as connection:
            earlier = connection.execute(
                sa.select(queue_tasks.c.worker).where(queue_tasks.c.task_id == task_id)
            ).scalar_one_or_none()
            # One statement: two workers picking it up at once count two deliveries.
            counted = connection.execute(
                queue_tasks.update()
                .where(queue_tasks.c.task_id == task_id)
                .values(
                    deliveries=queue_tasks.c.deliveries + 1,
                    status="running",
                    worker=process_name(),
                    picked_at=picked_at,
                    finished_at=None,
                    error=None,
                )
            )
            if counted.rowcount == 0:
                raise UnknownTaskError(task_id)
            deliveries = connection.execute(
                sa.select(queue_tasks.c.deliveries).where(queue_tasks.c.task_id == task_id)
            ).scalar_one()
            reason = None
            if deliveries > max_deliveries:
                reason = given_up_reason(deliveries - 1)
                connection.execute(
                    queue_tasks.update()
                    .where(queue_tasks.c.task_id == task_id)
                    .values(status="given_up", finished_at=picked_at, error=reason)
                )
            elif deliveries > 1:
                reason = INTERRUPTED_DELIVERY.format(worker=earlier or "unknown")
            closed: list[str] = []
            if reason is not None:
                stuck = (runs.c.task_id == task_id) & (runs.c.status == "running")
                closed = list(connection.execute(sa.select(runs.c.run_id).where(stuck)).scalars())
                if closed:
                    connection.execute(
                        runs.update()
                        .where(stuck & runs.c.run_id.in_(closed))
                        .values(status="failed", finished_at=picked_at, error=reason)
                    )
            row = connection.execute(
                queue_tasks.select().where(queue_tasks.c.task_id == task_id)
            ).one()
        return Pickup(task_record(row), tuple(closed))

    def finish_task(self, task_id: str, outcome: TaskOutcome, *, error: str | None = None) -> None:
        """Record how a task's run in this worker ended (the work returned, or raised)."""
        with self.engine.begin() as connection:
            connection.execute(
                queue_tasks.update()
                .where(queue_tasks.c.task_id == task_id)
                .values(status=outcome, finished_at=now(), error=error)
            )

    @contextmanager
    def working_on(self, task_id: str) -> Iterator[None]:
        """While inside, the runs this store starts are tied to ``task_id``."""
        self.current_task = task_id
        try:
            yield
        finally:
            self.current_task = None

    def task(self, task_id: str) -> TaskRecord | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                queue_tasks.select().where(queue_tasks.c.task_id == task_id)
            ).one_or_none()
        return task_record(row) if row is not None else None

    def tasks_by_id(self, task_ids: Collection[str]) -> dict[str, TaskRecord]:
        """The tasks of these ids that are recorded (the runs' ``task_id``)."""
        if not task_ids:
            return {}
        query = queue_tasks.select().where(queue_tasks.c.task_id.in_(list(task_ids)))
        with self.engine.connect() as connection:
            return {row.task_id: task_record(row) for row in connection.execute(query)}

    def recent_tasks(
        self, limit: int = 20, *, statuses: Collection[TaskStatus] | None = None
    ) -> list[TaskRecord]:
        """The latest tasks queued, newest first; only those in ``statuses`` if given."""
        query = queue_tasks.select().order_by(queue_tasks.c.queued_at.desc()).limit(limit)
        if statuses is not None:
            query = query.where(queue_tasks.c.status.in_(list(statuses)))
        with self.engine.connect() as connection:
            return [task_record(row) for row in connection.execute(query)]


def task_record(row: sa.Row[Any]) -> TaskRecord:
    return TaskRecord(
        task_id=row.task_id,
        work=row.work,
        queue=row.queue,
        status=cast(TaskStatus, row.status),
        deliveries=row.deliveries,
        worker=row.worker,
        queued_at=cast(datetime, utc(row.queued_at)),
        picked_at=utc(row.picked_at),
        finished_at=utc(row.finished_at),
        error=row.error,
    )
