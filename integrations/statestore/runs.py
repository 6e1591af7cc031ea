"""Runs and the audit log: what ran, who started it, what it cost, and every step."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from integrations.statestore.records import (
    AuditEntry,
    RunRecord,
    RunStatus,
    Trigger,
    UnknownRunError,
    audit_entry,
    now,
    process_name,
    run_record,
)
from integrations.statestore.tables import audit_log, runs


class RunLog:
    """Runs and the audit log: what ran, who started it, what it cost, and every step."""

    engine: Engine
    # The queue task this process is running, if any, and the runs an earlier delivery of it
    # left running, not yet continued (``QueueTasks.working_on``).
    current_task: str | None
    resuming: tuple[RunRecord, ...]

    # Runs -------------------------------------------------------------------------------------

    def start_run(self, workflow: str, *, started_by: str, trigger: Trigger) -> RunRecord:
        """Record a new run as running and return it; its id is also the workflow thread id.
        In a queue worker the run is tied to the task it runs for; a task delivered again after
        its worker died gets back the run of ``workflow`` its earlier delivery left running
        (``continued_run``), so that the workflow continues it from its checkpoint."""
        continued = self.continued_run(workflow=workflow)
        if continued is not None:
            return continued
        run_id = uuid.uuid4().hex
        values = {
            "run_id": run_id,
            "workflow": workflow,
            "status": "running",
            "started_by": started_by,
            "trigger": trigger,
            "started_at": now(),
            "process": process_name(),
            "task_id": self.current_task,
        }
        with self.engine.begin() as connection:
            connection.execute(runs.insert().values(**values))
        return self.get_run(run_id)

    def finish_run(
        self,
        run_id: str,
        status: RunStatus,
        *,
        error: str | None = None,
        input_tokens: int = 0,
        output_tokens: int = 0,
        cost_usd: float = 0.0,
    ) -> RunRecord:
        """Set a run's final (or paused) status and add its token use and cost; a run set
        running again (resumed after an approval) records the process it now runs in."""
        finished_at = None if status in ("running", "paused") else now()
        values: dict[str, Any] = {
            "status": status,
            "finished_at": finished_at,
            "error": error,
            "input_tokens": runs.c.input_tokens + input_tokens,
            "output_tokens": runs.c.output_tokens + output_tokens,
            "cost_usd": runs.c.cost_usd + cost_usd,
        }
        if status == "running":
            values["process"] = process_name()
        with self.engine.begin() as connection:
            result = connection.execute(
                runs.update().where(runs.c.run_id == run_id).values(**values)
            )
        if result.rowcount == 0:
            raise UnknownRunError(run_id)
        return self.get_run(run_id)

    def continued_run(
        self, *, workflow: str | None = None, run_id: str | None = None
    ) -> RunRecord | None:
        """The run (of ``workflow``, or ``run_id``) that an earlier delivery of the task being
        worked on left running, handed to this delivery once: running again in this process,
        audited "resumed". None when there is none (outside a worker, a first delivery)."""
        taken = next(
            (
                run
                for run in self.resuming
                if (workflow is None or run.workflow == workflow)
                and (run_id is None or run.run_id == run_id)
            ),
            None,
        )
        if taken is None:
            return None
        self.resuming = tuple(run for run in self.resuming if run is not taken)
        self.record_audit(
            "resumed", actor="controlroom", run_id=taken.run_id, task_id=self.current_task
        )
        return self.finish_run(taken.run_id, "running")

    def interrupt_runs(self, processes: Collection[str], reason: str) -> list[str]:
        """Mark failed, with ``reason``, the runs still running in ``processes`` (``host:pid``
        names of processes that have died); returns their ids. A run that finished or paused
        meanwhile is left alone."""
        if not processes:
            return []
        stuck = (runs.c.status == "running") & runs.c.process.in_(list(processes))
        with self.engine.begin() as connection:
            ids = list(connection.execute(sa.select(runs.c.run_id).where(stuck)).scalars())
            if ids:
                connection.execute(
                    runs.update()
                    .where(stuck & runs.c.run_id.in_(ids))
                    .values(status="failed", finished_at=now(), error=reason)
                )
        return ids

    def get_run(self, run_id: str) -> RunRecord:
        with self.engine.connect() as connection:
            row = connection.execute(runs.select().where(runs.c.run_id == run_id)).one_or_none()
        if row is None:
            raise UnknownRunError(run_id)
        return run_record(row)

    def recent_runs(self, limit: int = 20, *, workflow: str | None = None) -> list[RunRecord]:
        query = runs.select().order_by(runs.c.started_at.desc()).limit(limit)
        if workflow is not None:
            query = query.where(runs.c.workflow == workflow)
        with self.engine.connect() as connection:
            return [run_record(row) for row in connection.execute(query)]

    # Audit log --------------------------------------------------------------------------------

    def record_audit(
        self, action: str, *, actor: str, run_id: str | None = None, **detail: Any
    ) -> AuditEntry:
        """Append one decision or event to the audit log."""
        with self.engine.begin() as connection:
            inserted = connection.execute(
                audit_log.insert().values(
                    at=now(), run_id=run_id, actor=actor, action=action, detail=detail
                )
            ).inserted_primary_key
            assert inserted is not None
            entry_id = inserted[0]
            row = connection.execute(
                audit_log.select().where(audit_log.c.entry_id == entry_id)
            ).one()
        return audit_entry(row)

    def audit_entries(self, *, run_id: str | None = None, limit: int = 100) -> list[AuditEntry]:
        query = audit_log.select().order_by(audit_log.c.entry_id).limit(limit)
        if run_id is not None:
            query = query.where(audit_log.c.run_id == run_id)
        with self.engine.connect() as connection:
            return [audit_entry(row) for row in connection.execute(query)]
