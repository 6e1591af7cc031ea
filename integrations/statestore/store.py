"""``StateStore``: typed reads and writes of runs, the audit log and the outbox."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, cast

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

from integrations.statestore.tables import audit_log, kb_answers, outbox, runs

RunStatus = Literal["running", "paused", "succeeded", "failed"]
Trigger = Literal["command", "schedule", "button", "cli"]
EmailStatus = Literal["queued", "sent", "suppressed"]

_MIGRATIONS = Path(__file__).parent / "migrations"


class StateStoreError(RuntimeError):
    """Base of the state store's exceptions."""


class StateStoreUnavailableError(StateStoreError):
    """The database cannot be reached or refuses the login."""


class UnknownRunError(StateStoreError):
    """A run id that the store has never seen."""


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
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(outbox).values(**values).on_conflict_do_nothing()
    if engine.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(outbox).values(**values).on_conflict_do_nothing()
    raise StateStoreError(f"unsupported database backend: {engine.dialect.name}")


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
    )


def _kb_answer(row: sa.Row[Any]) -> KBAnswerRecord:
    return KBAnswerRecord(
        answer_id=row.answer_id,
        question=row.question,
        answer=row.answer,
        author=row.author,
        approved_at=cast(datetime, _utc(row.approved_at)),
    )
