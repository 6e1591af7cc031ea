"""The control room's own state: runs, audit log, outbox, approvals, suppressions, support
questions, queue tasks, in one database.

SQLite under ``var/`` by default, PostgreSQL when ``DATABASE_URL`` says so; the schema is kept by
Alembic migrations (``StateStore.migrate``).

Exceptions::

    StateStoreError
     ├── StateStoreUnavailableError   the database cannot be reached or refuses the login
     ├── UnknownRunError              a run id that the store has never seen
     ├── UnknownApprovalError         no approval was ever asked for this run
     └── UnknownTaskError             a queue task that was never recorded as queued
"""

from integrations.statestore.exclusions import ExcludedRecipients, Exclusion
from integrations.statestore.outbox import ClaimedBatch, QueuedEmail, Settlement
from integrations.statestore.questions import NearestPassage, SupportQuestionRecord
from integrations.statestore.records import (
    ApprovalRecord,
    ApprovalStatus,
    AuditEntry,
    Claim,
    Decision,
    EmailStatus,
    OutboxEmail,
    RunRecord,
    RunStatus,
    SlackThread,
    StateStoreError,
    StateStoreUnavailableError,
    Trigger,
    UnknownApprovalError,
    UnknownRunError,
    UnknownTaskError,
    process_died,
    process_name,
)
from integrations.statestore.slack_events import SlackEventLog
from integrations.statestore.store import StateStore
from integrations.statestore.tasks import Pickup, TaskOutcome, TaskRecord, TaskStatus

__all__ = [
    "ApprovalRecord",
    "ApprovalStatus",
    "AuditEntry",
    "Claim",
    "ClaimedBatch",
    "Decision",
    "EmailStatus",
    "ExcludedRecipients",
    "Exclusion",
    "NearestPassage",
    "OutboxEmail",
    "Pickup",
    "QueuedEmail",
    "RunRecord",
    "RunStatus",
    "Settlement",
    "SlackEventLog",
    "SlackThread",
    "StateStore",
    "StateStoreError",
    "StateStoreUnavailableError",
    "SupportQuestionRecord",
    "TaskOutcome",
    "TaskRecord",
    "TaskStatus",
    "Trigger",
    "UnknownApprovalError",
    "UnknownRunError",
    "UnknownTaskError",
    "process_died",
    "process_name",
]
