"""``StateStore``: typed reads and writes of runs, the audit log and the outbox."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, cast

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

from integrations.statestore.tables import (
    approvals,
    audit_log,
    kb_answers,
    outbox,
    runs,
    suppressions,
)

RunStatus = Literal["running", "paused", "succeeded", "failed"]
Trigger = Literal["command", "schedule", "button", "cli"]
# queued → sending (claimed by one sender) → sent | suppressed (at send time) | failed (refused);
# in_doubt: a crash left it claimed on a provider that cannot say whether it was delivered.
EmailStatus = Literal["queued", "sending", "sent", "suppressed", "failed", "in_doubt"]
ApprovalStatus = Literal["pending", "approved", "rejected", "edited"]
Decision = Literal["approved", "rejected", "edited"]

_MIGRATIONS = Path(__file__).parent / "migrations"


class StateStoreError(RuntimeError):
    """Base of the state store's exceptions."""


class StateStoreUnavailableError(StateStoreError):
    """The database cannot be reached or refuses the login."""


class UnknownRunError(StateStoreError):
    """A run id that the store has never seen."""


class UnknownApprovalError(StateStoreError):
    """No approval was ever asked for this run."""


@dataclass(frozen=True, slots=True)
class RunRecord:
    run_id: str
    workflow: str
    status: RunStatus
    started_by: str
    trigger: Trigger
    started_at: datetime
    finished_at: datetime | None
    input_tokens: int
    output_tokens: int
    cost_usd: float
    error: str | None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    entry_id: int
    at: datetime
    run_id: str | None
    actor: str
    action: str
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class OutboxEmail:
    email_id: int
    run_id: str
    customer_id: int
    recipient: str
    subject: str
    body: str
    status: EmailStatus
    queued_at: datetime
    sent_at: datetime | None
    provider_message_id: str | None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ApprovalRecord:
    """A run waiting for (or past) a person's decision, with what they were shown."""

    run_id: str
    workflow: str
    kind: str
    status: ApprovalStatus
    round: int
    requested_at: datetime
    summary: dict[str, Any]
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None
    edits: dict[str, Any] | None
    channel_id: str | None
    message_ts: str | None


@dataclass(frozen=True, slots=True)
class Claim:
    """The outcome of ``claim_approval``: ``won`` is True for exactly one of simultaneous
    deciders; ``approval`` is the row after the attempt (the winner's decision either way)."""

    won: bool
    approval: ApprovalRecord


@dataclass(frozen=True, slots=True)
class KBAnswerRecord:
    """A person's answer to a support question, kept for the knowledge base."""

    answer_id: str
    question: str
    answer: str
    author: str
    approved_at: datetime


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; every timestamp the store writes is UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


class StateStore:
    """The control room's state in one SQL database (SQLite file or PostgreSQL)."""

    def __init__(self, url: str) -> None:
        self.url = url
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = sa.create_engine(url, pool_pre_ping=True)
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    def migrate(self) -> None:
        """Bring the schema to the newest migration (idempotent)."""
        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        try:
            with self.engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except sa.exc.OperationalError as error:
            reason = str(error.orig or error).strip().splitlines()[-1]
            where = self.engine.url.render_as_string(hide_password=True)
            raise StateStoreUnavailableError(f"state store {where} unavailable: {reason}") from None

    def close(self) -> None:
        self.engine.dispose()

    # Runs -------------------------------------------------------------------------------------

    def start_run(self, workflow: str, *, started_by: str, trigger: Trigger) -> RunRecord:
        """Record a new run as running and return it; its id is also the workflow thread id."""
        run_id = uuid.uuid4().hex
        values = {
            "run_id": run_id,
            "workflow": workflow,
            "status": "running",
            "started_by": started_by,
            "trigger": trigger,
            "started_at": _now(),
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
        """Set a run's final (or paused) status and add its token use and cost."""
        finished_at = None if status in ("running", "paused") else _now()
        with self.engine.begin() as connection:
            result = connection.execute(
                runs.update()
                .where(runs.c.run_id == run_id)
                .values(
                    status=status,
                    finished_at=finished_at,
                    error=error,
                    input_tokens=runs.c.input_tokens + input_tokens,
                    output_tokens=runs.c.output_tokens + output_tokens,
                    cost_usd=runs.c.cost_usd + cost_usd,
                )
            )
        if result.rowcount == 0:
            raise UnknownRunError(run_id)
        return self.get_run(run_id)

    def get_run(self, run_id: str) -> RunRecord:
        with self.engine.connect() as connection:
            row = connection.execute(runs.select().where(runs.c.run_id == run_id)).one_or_none()
        if row is None:
            raise UnknownRunError(run_id)
        return _run(row)

    def recent_runs(self, limit: int = 20, *, workflow: str | None = None) -> list[RunRecord]:
        query = runs.select().order_by(runs.c.started_at.desc()).limit(limit)
        if workflow is not None:
            query = query.where(runs.c.workflow == workflow)
        with self.engine.connect() as connection:
            return [_run(row) for row in connection.execute(query)]

    # Audit log --------------------------------------------------------------------------------

    def record_audit(
        self, action: str, *, actor: str, run_id: str | None = None, **detail: Any
    ) -> AuditEntry:
        """Append one decision or event to the audit log."""
        with self.engine.begin() as connection:
            inserted = connection.execute(
                audit_log.insert().values(
                    at=_now(), run_id=run_id, actor=actor, action=action, detail=detail
                )
            ).inserted_primary_key
            assert inserted is not None
            entry_id = inserted[0]
            row = connection.execute(
                audit_log.select().where(audit_log.c.entry_id == entry_id)
            ).one()
        return _audit(row)

    def audit_entries(self, *, run_id: str | None = None, limit: int = 100) -> list[AuditEntry]:
        query = audit_log.select().order_by(audit_log.c.entry_id).limit(limit)
        if run_id is not None:
            query = query.where(audit_log.c.run_id == run_id)
        with self.engine.connect() as connection:
            return [_audit(row) for row in connection.execute(query)]

    # Outbox -----------------------------------------------------------------------------------

    def queue_email(
        self, run_id: str, customer_id: int, *, recipient: str, subject: str, body: str
    ) -> OutboxEmail:
        """Queue one email per (run, customer); queuing the same pair again returns the first."""
        values = {
            "run_id": run_id,
            "customer_id": customer_id,
            "recipient": recipient,
            "subject": subject,
            "body": body,
            "status": "queued",
            "queued_at": _now(),
        }
        with self.engine.begin() as connection:
            insert = _insert_ignoring_conflict(self.engine, values)
            connection.execute(insert)
            row = connection.execute(
                outbox.select().where(
                    (outbox.c.run_id == run_id) & (outbox.c.customer_id == customer_id)
                )
            ).one()
        return _email(row)

    def mark_email_sent(self, email_id: int, *, provider_message_id: str) -> bool:
        """Move a queued email to sent; False if it was no longer queued (someone else sent it)."""
        with self.engine.begin() as connection:
            result = connection.execute(
                outbox.update()
                .where((outbox.c.email_id == email_id) & (outbox.c.status == "queued"))
                .values(status="sent", sent_at=_now(), provider_message_id=provider_message_id)
            )
        return result.rowcount == 1

    def outbox_emails(
        self, *, run_id: str | None = None, status: EmailStatus | None = None
    ) -> list[OutboxEmail]:
        query = outbox.select().order_by(outbox.c.email_id)
        if run_id is not None:
            query = query.where(outbox.c.run_id == run_id)
        if status is not None:
            query = query.where(outbox.c.status == status)
        with self.engine.connect() as connection:
            return [_email(row) for row in connection.execute(query)]

    def claim_email(self, email_id: int, token: str, *, take_over_sending: bool = False) -> bool:
        """Claim one email for sending (queued → sending); False if another sender has it.

        ``take_over_sending`` also claims a row left in ``sending`` (by a crash), for senders
        that are idempotent by the email's key.
        """
        claimable = ("queued", "sending") if take_over_sending else ("queued",)
        with self.engine.begin() as connection:
            result = connection.execute(
                outbox.update()
                .where((outbox.c.email_id == email_id) & outbox.c.status.in_(claimable))
                .values(status="sending", claim_token=token, claimed_at=_now())
            )
        return result.rowcount == 1

    def finish_email(
        self,
        email_id: int,
        token: str,
        status: EmailStatus,
        *,
        provider_message_id: str | None = None,
        error: str | None = None,
    ) -> bool:
        """Settle a claimed email (sent, suppressed, failed, or back to queued); False if the
        claim was taken over meanwhile."""
        values: dict[str, Any] = {"status": status, "error": error}
        if status == "sent":
            values |= {"sent_at": _now(), "provider_message_id": provider_message_id}
        if status == "queued":
            values |= {"claim_token": None, "claimed_at": None}
        with self.engine.begin() as connection:
            result = connection.execute(
                outbox.update()
                .where(
                    (outbox.c.email_id == email_id)
                    & (outbox.c.status == "sending")
                    & (outbox.c.claim_token == token)
                )
                .values(**values)
            )
        return result.rowcount == 1

    def mark_emails_in_doubt(self, run_id: str, *, claimed_before: datetime) -> int:
        """Move a run's emails stuck in ``sending`` since before a time to ``in_doubt``."""
        with self.engine.begin() as connection:
            result = connection.execute(
                outbox.update()
                .where(
                    (outbox.c.run_id == run_id)
                    & (outbox.c.status == "sending")
                    & (outbox.c.claimed_at < claimed_before)
                )
                .values(status="in_doubt")
            )
        return int(result.rowcount)

    def recently_contacted(self, customer_ids: Sequence[int], *, since: datetime) -> set[int]:
        """Which of these customers were emailed (or may have been) since a time."""
        if not customer_ids:
            return set()
        contacted = ((outbox.c.status == "sent") & (outbox.c.sent_at >= since)) | (
            outbox.c.status.in_(("sending", "in_doubt")) & (outbox.c.claimed_at >= since)
        )
        found: set[int] = set()
        with self.engine.connect() as connection:
            for start in range(0, len(customer_ids), _IN_BATCH):
                batch = [int(c) for c in customer_ids[start : start + _IN_BATCH]]
                query = (
                    sa.select(outbox.c.customer_id)
                    .where(outbox.c.customer_id.in_(batch) & contacted)
                    .distinct()
                )
                found.update(int(row[0]) for row in connection.execute(query))
        return found

    # Suppression list -------------------------------------------------------------------------

    def suppress(self, email: str, *, reason: str, customer_id: int | None = None) -> None:
        """Never email this address again (kept with the first reason given)."""
        values = {
            "email": email.strip().lower(),
            "customer_id": customer_id,
            "reason": reason,
            "at": _now(),
        }
        with self.engine.begin() as connection:
            connection.execute(_insert_ignoring(self.engine, suppressions, values))

    def suppressed(self, emails: Sequence[str]) -> set[str]:
        """Which of these addresses are on the suppression list (compared case-insensitively)."""
        wanted = sorted({e.strip().lower() for e in emails})
        found: set[str] = set()
        with self.engine.connect() as connection:
            for start in range(0, len(wanted), _IN_BATCH):
                query = sa.select(suppressions.c.email).where(
                    suppressions.c.email.in_(wanted[start : start + _IN_BATCH])
                )
                found.update(row[0] for row in connection.execute(query))
        return found

    def is_suppressed(self, email: str) -> bool:
        return bool(self.suppressed([email]))

    # Approvals --------------------------------------------------------------------------------

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
                        requested_at=_now(),
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
                        requested_at=_now(),
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
        simultaneous deciders exactly one wins; the others read who decided and when."""
        with self.engine.begin() as connection:
            result = connection.execute(
                approvals.update()
                .where((approvals.c.run_id == run_id) & (approvals.c.status == "pending"))
                .values(
                    status=decision,
                    decided_by=actor,
                    decided_at=_now(),
                    reason=reason,
                    edits=edits,
                )
            )
        return Claim(won=result.rowcount == 1, approval=self.get_approval(run_id))

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
        return _approval(row)

    def approvals(
        self, *, status: ApprovalStatus | None = None, limit: int = 50
    ) -> list[ApprovalRecord]:
        """Approvals, newest request first, optionally only those with one status."""
        query = approvals.select().order_by(approvals.c.requested_at.desc()).limit(limit)
        if status is not None:
            query = query.where(approvals.c.status == status)
        with self.engine.connect() as connection:
            return [_approval(row) for row in connection.execute(query)]

    # Knowledge-base answers from people ------------------------------------------------------

    def add_kb_answer(
        self, answer_id: str, *, question: str, answer: str, author: str, approved_at: datetime
    ) -> KBAnswerRecord:
        """Keep a person's answer to a question; the same ``answer_id`` again replaces it."""
        values = {
            "answer_id": answer_id,
            "question": question,
            "answer": answer,
            "author": author,
            "approved_at": approved_at,
        }
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as upsert
        elif self.engine.dialect.name == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
        else:
            raise StateStoreError(f"unsupported database backend: {self.engine.dialect.name}")
        statement = upsert(kb_answers).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=["answer_id"],
            set_={k: statement.excluded[k] for k in values if k != "answer_id"},
        )
        with self.engine.begin() as connection:
            connection.execute(statement)
            row = connection.execute(
                kb_answers.select().where(kb_answers.c.answer_id == answer_id)
            ).one()
        return _kb_answer(row)

    def kb_answers(self) -> list[KBAnswerRecord]:
        """Every kept answer, oldest approval first."""
        query = kb_answers.select().order_by(kb_answers.c.approved_at, kb_answers.c.answer_id)
        with self.engine.connect() as connection:
            return [_kb_answer(row) for row in connection.execute(query)]


def _insert_ignoring_conflict(engine: Engine, values: dict[str, Any]) -> sa.Insert:
    return _insert_ignoring(engine, outbox, values)


def _insert_ignoring(engine: Engine, table: sa.Table, values: dict[str, Any]) -> sa.Insert:
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).values(**values).on_conflict_do_nothing()
    if engine.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).values(**values).on_conflict_do_nothing()
    raise StateStoreError(f"unsupported database backend: {engine.dialect.name}")


# Values per IN (...) list: well under SQLite's bound-parameter limit.
_IN_BATCH = 500


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _run(row: sa.Row[Any]) -> RunRecord:
    return RunRecord(
        run_id=row.run_id,
        workflow=row.workflow,
        status=cast(RunStatus, row.status),
        started_by=row.started_by,
        trigger=cast(Trigger, row.trigger),
        started_at=cast(datetime, _utc(row.started_at)),
        finished_at=_utc(row.finished_at),
        input_tokens=row.input_tokens,
        output_tokens=row.output_tokens,
        cost_usd=row.cost_usd,
        error=row.error,
    )


def _audit(row: sa.Row[Any]) -> AuditEntry:
    return AuditEntry(
        entry_id=row.entry_id,
        at=cast(datetime, _utc(row.at)),
        run_id=row.run_id,
        actor=row.actor,
        action=row.action,
        detail=dict(row.detail),
    )


def _email(row: sa.Row[Any]) -> OutboxEmail:
    return OutboxEmail(
        email_id=row.email_id,
        run_id=row.run_id,
        customer_id=row.customer_id,
        recipient=row.recipient,
        subject=row.subject,
        body=row.body,
        status=cast(EmailStatus, row.status),
        queued_at=cast(datetime, _utc(row.queued_at)),
        sent_at=_utc(row.sent_at),
        provider_message_id=row.provider_message_id,
        error=row.error,
    )


def _approval(row: sa.Row[Any]) -> ApprovalRecord:
    return ApprovalRecord(
        run_id=row.run_id,
        workflow=row.workflow,
        kind=row.kind,
        status=cast(ApprovalStatus, row.status),
        round=row.round,
        requested_at=cast(datetime, _utc(row.requested_at)),
        summary=dict(row.summary),
        decided_by=row.decided_by,
        decided_at=_utc(row.decided_at),
        reason=row.reason,
        edits=dict(row.edits) if row.edits is not None else None,
        channel_id=row.channel_id,
        message_ts=row.message_ts,
    )


def _kb_answer(row: sa.Row[Any]) -> KBAnswerRecord:
    return KBAnswerRecord(
        answer_id=row.answer_id,
        question=row.question,
        answer=row.answer,
        author=row.author,
        approved_at=cast(datetime, _utc(row.approved_at)),
    )
