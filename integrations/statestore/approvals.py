"""Approvals: runs paused for a person's decision, claimed by exactly one decider."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from integrations.statestore.records import (
    ApprovalRecord,
    ApprovalStatus,
    Claim,
    Decision,
    SlackThread,
    UnknownApprovalError,
    approval_record,
    now,
    process_name,
)
from integrations.statestore.tables import approvals, run_threads, runs


class ApprovalBook:
    """Approvals: runs paused for a person's decision, claimed by exactly one decider."""

    engine: Engine
    # The queue task this process is running, if any (``QueueTasks.working_on``).
    current_task: str | None

    def request_approval(
        self, run_id: str, *, workflow: str, kind: str, summary: dict[str, Any]
    ) -> ApprovalRecord:
        """Ask for a decision on a paused run, or ask again after an edit (a new round)."""
        with self.engine.begin() as connection:
            current = connection.execute(
                sa.select(approvals.c.status).where(approvals.c.run_id == run_id)
            ).one_or_none()
            if current is None:
                connection.execute(
                    approvals.insert().values(
                        run_id=run_id,
                        workflow=workflow,
                        kind=kind,
                        status="pending",
                        round=1,
                        requested_at=now(),
                        summary=summary,
                    )
                )
            else:
                connection.execute(
                    approvals.update()
                    .where(
                        (approvals.c.run_id == run_id)
                        & approvals.c.status.in_(("pending", "edited"))
                    )
                    .values(
                        status="pending",
                        round=approvals.c.round + (1 if current.status == "edited" else 0),
                        requested_at=now(),
                        summary=summary,
                        decided_by=None,
                        decided_at=None,
                        reason=None,
                        edits=None,
                    )
                )
        return self.get_approval(run_id)

    def claim_approval(
        self,
        run_id: str,
        decision: Decision,
        *,
        actor: str,
        reason: str | None = None,
        edits: dict[str, Any] | None = None,
    ) -> Claim:
        """Decide a pending approval, atomically: one conditional UPDATE, so of several
        simultaneous deciders exactly one wins; the others read who decided and when.

        The winner's run is running from then on, in this process and tied to the queue task
        being worked on (None outside a worker), in the same transaction: a decision's task
        that is delivered again after its worker died finds the run it decided and continues
        it (``RunLog.continued_run``) rather than being refused as decided already."""
        with self.engine.begin() as connection:
            result = connection.execute(
                approvals.update()
                .where((approvals.c.run_id == run_id) & (approvals.c.status == "pending"))
                .values(
                    status=decision,
                    decided_by=actor,
                    decided_at=now(),
                    reason=reason,
                    edits=edits,
                )
            )
            won = result.rowcount == 1
            if won:
                connection.execute(
                    runs.update()
                    .where(runs.c.run_id == run_id)
                    .values(
                        status="running",
                        finished_at=None,
                        process=process_name(),
                        task_id=self.current_task,
                    )
                )
        return Claim(won=won, approval=self.get_approval(run_id))

    def record_approval_message(self, run_id: str, *, channel_id: str, message_ts: str) -> None:
        """Remember where the approval was posted in Slack, to update it when decided."""
        with self.engine.begin() as connection:
            connection.execute(
                approvals.update()
                .where(approvals.c.run_id == run_id)
                .values(channel_id=channel_id, message_ts=message_ts)
            )

    def get_approval(self, run_id: str) -> ApprovalRecord:
        with self.engine.connect() as connection:
            row = connection.execute(
                approvals.select().where(approvals.c.run_id == run_id)
            ).one_or_none()
        if row is None:
            raise UnknownApprovalError(f"no approval for run {run_id}")
        return approval_record(row)

    def approval_at_message(self, channel_id: str, message_ts: str) -> ApprovalRecord | None:
        """The approval posted as the Slack message at (``channel_id``, ``message_ts``), if
        any: a reply in that message's thread is about it."""
        query = approvals.select().where(
            (approvals.c.channel_id == channel_id) & (approvals.c.message_ts == message_ts)
        )
        with self.engine.connect() as connection:
            row = connection.execute(query.limit(1)).one_or_none()
        return approval_record(row) if row is not None else None

    def approvals(
        self, *, status: ApprovalStatus | None = None, limit: int = 50
    ) -> list[ApprovalRecord]:
        """Approvals, newest request first, optionally only those with one status."""
        query = approvals.select().order_by(approvals.c.requested_at.desc()).limit(limit)
        if status is not None:
            query = query.where(approvals.c.status == status)
        with self.engine.connect() as connection:
            return [approval_record(row) for row in connection.execute(query)]

    def approvals_to_remind(self, *, asked_before: datetime) -> list[ApprovalRecord]:
        """Pending approvals asked before ``asked_before`` and not reminded since then: each
        is reminded once per delay, however often the reminder job runs."""
        query = (
            approvals.select()
            .where(
                (approvals.c.status == "pending")
                & (approvals.c.requested_at < asked_before)
                & (approvals.c.reminded_at.is_(None) | (approvals.c.reminded_at < asked_before))
            )
            .order_by(approvals.c.requested_at)
        )
        with self.engine.connect() as connection:
            return [approval_record(row) for row in connection.execute(query)]

    def record_reminder(self, run_id: str, *, at: datetime | None = None) -> bool:
        """Mark a pending approval reminded; False if it was decided meanwhile."""
        with self.engine.begin() as connection:
            result = connection.execute(
                approvals.update()
                .where((approvals.c.run_id == run_id) & (approvals.c.status == "pending"))
                .values(reminded_at=at or now())
            )
        return result.rowcount == 1

    # Where a run answers in Slack -----------------------------------------------------------

    def record_run_thread(self, run_id: str, thread: SlackThread) -> None:
        """Remember the Slack thread a run's answer goes back to, or the channel itself when
        ``thread.thread_ts`` is None (replaced if recorded again)."""
        values = {"channel_id": thread.channel_id, "thread_ts": thread.thread_ts}
        with self.engine.begin() as connection:
            updated = connection.execute(
                run_threads.update()
                .where(run_threads.c.run_id == run_id)
                .values(**values, recorded_at=now())
            )
            if updated.rowcount == 0:
                connection.execute(
                    run_threads.insert().values(run_id=run_id, recorded_at=now(), **values)
                )

    def run_thread(self, run_id: str) -> SlackThread | None:
        """The Slack thread a run answers into (``thread_ts`` None: inline in its channel), if
        one was recorded."""
        query = sa.select(run_threads.c.channel_id, run_threads.c.thread_ts).where(
            run_threads.c.run_id == run_id
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).one_or_none()
        return SlackThread(row.channel_id, row.thread_ts) if row is not None else None

    def latest_run_in_thread(self, thread: SlackThread, workflow: str) -> str | None:
        """The newest run of ``workflow`` that answered into ``thread`` (a follow-up there
        continues it), if any. Inline answers share no thread: a channel with no ``thread_ts``
        matches nothing (``thread_ts == None`` would be SQL's IS NULL, and match them all)."""
        if thread.thread_ts is None:
            return None
        query = (
            sa.select(run_threads.c.run_id)
            .join(runs, runs.c.run_id == run_threads.c.run_id)
            .where(
                (run_threads.c.channel_id == thread.channel_id)
                & (run_threads.c.thread_ts == thread.thread_ts)
                & (runs.c.workflow == workflow)
            )
            .order_by(run_threads.c.recorded_at.desc())
            .limit(1)
        )
        with self.engine.connect() as connection:
            return connection.execute(query).scalar_one_or_none()
