"""Workflow calls on the task queue: queued by the caller, counted at each pick-up by a
worker, finished there; the runs a task works on are tied to it (``runs.task_id``: the task
that started the run, or the one that decided it, ``ApprovalBook.claim_approval``).

The broker delivers a task again when its worker dies before acknowledging it; only the state
store knows how many times that has happened. ``pick_up_task`` counts each delivery and hands
the new delivery the runs the earlier one left "running" (``Pickup.unfinished``): inside
``working_on`` the work gets them back (``RunLog.continued_run``) and continues each from its
checkpoint, so a redelivered task has one run, not a failed one and a second. A run the new
delivery does not take back is failed as interrupted when it ends; past ``max_deliveries`` the
task is given up and its running runs failed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, cast

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from integrations.statestore.records import (
    RunRecord,
    UnknownTaskError,
    insert_ignoring,
    now,
    process_died,
    process_name,
    run_record,
    utc,
)
from integrations.statestore.tables import queue_tasks, runs

# queued (sent, not yet picked up) → running (by ``worker``; ``deliveries`` > 1: retried) →
# succeeded | failed (the work raised) | given_up (delivered more often than allowed).
TaskStatus = Literal["queued", "running", "succeeded", "failed", "given_up"]
TaskOutcome = Literal["succeeded", "failed"]
# What a run left "running" by an earlier delivery of its task is failed with when the next
# delivery does not continue it.
INTERRUPTED_DELIVERY = (
    "interrupted: the worker running it ({worker}) stopped before it finished, "
    "and the task's next delivery did not continue it"
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
    """A delivery counted by ``pick_up_task``: the task as it now stands, the runs an earlier
    delivery left running that this one is to continue (``unfinished``), and those failed
    because the task is given up (``closed_runs``)."""

    task: TaskRecord
    closed_runs: tuple[str, ...] = ()
    unfinished: tuple[RunRecord, ...] = ()
    # Not counted and not run: another delivery picked the task up too recently for its worker
    # to have died (the broker gave it out twice), and that delivery runs it and replies; or
    # the task has ended already (its acknowledgement was lost), and its caller has the reply.
    duplicate: bool = False

    @property
    def given_up(self) -> bool:
        return self.task.status == "given_up"


class QueueTasks:
    """The task queue's side of the state store (see the module docstring)."""

    engine: Engine
    # The task this process is running now (``working_on``): runs it starts are tied to it. A
    # worker process runs one task at a time, and a workflow may start its run in any thread.
    current_task: str | None = None
    # The runs an earlier delivery of that task left running, until the work takes them back.
    resuming: tuple[RunRecord, ...] = ()

    def queue_task(self, task_id: str, *, work: str, queue: str) -> None:
        """Record a task as sent to ``queue`` (before sending it: a worker may take it at once)."""
        with self.engine.begin() as connection:
            connection.execute(
                insert_ignoring(self.engine, queue_tasks).values(
                    task_id=task_id, work=work, queue=queue, status="queued", queued_at=now()
                )
            )

    def pick_up_task(
        self, task_id: str, *, max_deliveries: int, duplicate_within: timedelta = timedelta(0)
    ) -> Pickup:
        """Count one more delivery of ``task_id`` (``queue_task`` recorded it) to this process.
        A task delivered before hands this delivery the runs still "running" (``unfinished``);
        one delivered more than ``max_deliveries`` times is given up, those runs failed with
        that reason (``closed_runs``). A delivery less than ``duplicate_within`` after the last
        pick-up of the task, still running, is a ``duplicate``: not counted, nothing handed
        over, unless that pick-up's process was on this machine and has died (a pool process
        killed mid-task, whose worker gives the task out again at once). A task that has ended
        (succeeded, failed, given up) is never run again: a delivery of it is a duplicate too.
        Raises ``UnknownTaskError`` for a task never queued."""
        picked_at = now()
        with self.engine.begin() as connection:
            holder = connection.execute(
                sa.select(queue_tasks.c.worker).where(queue_tasks.c.task_id == task_id)
            ).scalar_one_or_none()
            if process_died(holder):
                duplicate_within = timedelta(0)
            running_elsewhere = (queue_tasks.c.status == "running") & (
                queue_tasks.c.picked_at > picked_at - duplicate_within
            )
            not_ended = queue_tasks.c.status.in_(("queued", "running"))
            # One statement: two workers picking it up at once count two deliveries (or one
            # and a duplicate).
            counted = connection.execute(
                queue_tasks.update()
                .where((queue_tasks.c.task_id == task_id) & not_ended & ~running_elsewhere)
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
                row = connection.execute(
                    queue_tasks.select().where(queue_tasks.c.task_id == task_id)
                ).one_or_none()
                if row is None:
                    raise UnknownTaskError(task_id)
                return Pickup(task_record(row), duplicate=True)
            deliveries = connection.execute(
                sa.select(queue_tasks.c.deliveries).where(queue_tasks.c.task_id == task_id)
            ).scalar_one()
            stuck = (runs.c.task_id == task_id) & (runs.c.status == "running")
            left = [
                run_record(row)
                for row in connection.execute(
                    runs.select().where(stuck).order_by(runs.c.started_at)
                )
            ]
            if deliveries > max_deliveries:
                reason = given_up_reason(deliveries - 1)
                connection.execute(
                    queue_tasks.update()
                    .where(queue_tasks.c.task_id == task_id)
                    .values(status="given_up", finished_at=picked_at, error=reason)
                )
                closed = [run.run_id for run in left]
                if closed:
                    connection.execute(
                        runs.update()
                        .where(stuck & runs.c.run_id.in_(closed))
                        .values(status="failed", finished_at=picked_at, error=reason)
                    )
                return Pickup(_task(connection, task_id), closed_runs=tuple(closed))
            return Pickup(_task(connection, task_id), unfinished=tuple(left))

    def finish_task(self, task_id: str, outcome: TaskOutcome, *, error: str | None = None) -> None:
        """Record how a task's run in this worker ended (the work returned, or raised)."""
        with self.engine.begin() as connection:
            connection.execute(
                queue_tasks.update()
                .where(queue_tasks.c.task_id == task_id)
                .values(status=outcome, finished_at=now(), error=error)
            )

    @contextmanager
    def working_on(self, task_id: str, *, resuming: Sequence[RunRecord] = ()) -> Iterator[None]:
        """While inside, the runs this store starts are tied to ``task_id``, and the runs an
        earlier delivery left running (``Pickup.unfinished``) are handed back to the work as it
        starts them (``RunLog.continued_run``); on leaving, each not taken back is failed as
        interrupted."""
        self.current_task = task_id
        self.resuming = tuple(resuming)
        try:
            yield
        finally:
            left, self.resuming = self.resuming, ()
            self.current_task = None
            for run in left:
                with self.engine.begin() as connection:
                    connection.execute(
                        runs.update()
                        .where((runs.c.run_id == run.run_id) & (runs.c.status == "running"))
                        .values(
                            status="failed",
                            finished_at=now(),
                            error=INTERRUPTED_DELIVERY.format(worker=run.process or "unknown"),
                        )
                    )

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


def _task(connection: sa.Connection, task_id: str) -> TaskRecord:
    return task_record(
        connection.execute(queue_tasks.select().where(queue_tasks.c.task_id == task_id)).one()
    )


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
