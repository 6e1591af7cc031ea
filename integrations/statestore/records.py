"""The state store's records, statuses and exceptions, and how a row becomes a record."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, cast

import sqlalchemy as sa
from sqlalchemy.engine import Engine

# partial: the run finished, but not all of it (a digest section unavailable, emails that failed
# or are in doubt); the reason is in ``error``.
# "rejected": a person turned the proposal down, so nothing was done (not a success).
RunStatus = Literal["running", "paused", "succeeded", "partial", "rejected", "failed"]
# How a run was started: a slash command, the clock, a button, a Slack message (mention or DM),
# or the terminal.
Trigger = Literal["command", "schedule", "button", "message", "cli"]
# queued → sending (claimed by one sender) → sent | suppressed (at send time) | failed (refused);
# capped (skipped at send time: another campaign emailed the person within the frequency cap);
# in_doubt: its sender stopped after handing it to a provider that cannot say whether it was
# delivered (the rest of a dead sender's claim, never attempted, goes back to queued).
EmailStatus = Literal["queued", "sending", "sent", "suppressed", "capped", "failed", "in_doubt"]
ApprovalStatus = Literal["pending", "approved", "rejected", "edited"]
Decision = Literal["approved", "rejected", "edited"]


class StateStoreError(RuntimeError):
    """Base of the state store's exceptions."""


class StateStoreUnavailableError(StateStoreError):
    """The database cannot be reached or refuses the login."""


class UnknownRunError(StateStoreError):
    """A run id that the store has never seen."""


class UnknownApprovalError(StateStoreError):
    """No approval was ever asked for this run."""


class UnknownTaskError(StateStoreError):
    """A queue task that was never recorded as queued."""


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
    process: str | None = None
    # The queue task that started it (``controlroom worker``), else None.
    task_id: str | None = None


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
    reminded_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SlackThread:
    """Where a run answers in Slack: a message thread (the channel and the parent message's
    timestamp), or, with ``thread_ts`` None, the channel itself, inline (a direct message asked
    at the top level is answered as a conversation, not in a thread)."""

    channel_id: str
    thread_ts: str | None


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


def insert_ignoring(engine: Engine, table: sa.Table) -> sa.Insert:
    """``INSERT … ON CONFLICT DO NOTHING`` into ``table`` in the engine's dialect: a row that
    is already there (by any unique key) is kept, and the statement does nothing."""
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing()
    if engine.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).on_conflict_do_nothing()
    raise StateStoreError(f"unsupported database backend: {engine.dialect.name}")


def now() -> datetime:
    return datetime.now(UTC)


def utc(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; every timestamp the store writes is UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def run_record(row: sa.Row[Any]) -> RunRecord:
    return RunRecord(
        run_id=row.run_id,
        workflow=row.workflow,
        status=cast(RunStatus, row.status),
        started_by=row.started_by,
        trigger=cast(Trigger, row.trigger),
        started_at=cast(datetime, utc(row.started_at)),
        finished_at=utc(row.finished_at),
        input_tokens=row.input_tokens,
        output_tokens=row.output_tokens,
        cost_usd=row.cost_usd,
        error=row.error,
        process=row.process,
        task_id=row.task_id,
    )


def process_name(pid: int | None = None) -> str:
    """``host:pid`` of a process on this machine (this one by default): where a run runs."""
    return f"{socket.gethostname()}:{os.getpid() if pid is None else pid}"


def process_died(process: str | None) -> bool:
    """Whether ``process`` (``host:pid``, as ``process_name`` writes it) was a process of this
    machine that no longer runs; False for another machine's, which cannot be checked."""
    if process is None:
        return False
    host, _, pid = process.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def audit_entry(row: sa.Row[Any]) -> AuditEntry:
    return AuditEntry(
        entry_id=row.entry_id,
        at=cast(datetime, utc(row.at)),
        run_id=row.run_id,
        actor=row.actor,
        action=row.action,
        detail=dict(row.detail),
    )


def outbox_email(row: sa.Row[Any]) -> OutboxEmail:
    return OutboxEmail(
        email_id=row.email_id,
        run_id=row.run_id,
        customer_id=row.customer_id,
        recipient=row.recipient,
        subject=row.subject,
        body=row.body,
        status=cast(EmailStatus, row.status),
        queued_at=cast(datetime, utc(row.queued_at)),
        sent_at=utc(row.sent_at),
        provider_message_id=row.provider_message_id,
        error=row.error,
    )


def approval_record(row: sa.Row[Any]) -> ApprovalRecord:
    return ApprovalRecord(
        run_id=row.run_id,
        workflow=row.workflow,
        kind=row.kind,
        status=cast(ApprovalStatus, row.status),
        round=row.round,
        requested_at=cast(datetime, utc(row.requested_at)),
        summary=dict(row.summary),
        decided_by=row.decided_by,
        decided_at=utc(row.decided_at),
        reason=row.reason,
        edits=dict(row.edits) if row.edits is not None else None,
        channel_id=row.channel_id,
        message_ts=row.message_ts,
        reminded_at=utc(row.reminded_at),
    )


def kb_answer_record(row: sa.Row[Any]) -> KBAnswerRecord:
    return KBAnswerRecord(
        answer_id=row.answer_id,
        question=row.question,
        answer=row.answer,
        author=row.author,
        approved_at=cast(datetime, utc(row.approved_at)),
    )
