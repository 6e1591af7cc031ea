"""The control room's own state: run history, audit log and email outbox, in one SQL database.

SQLite under ``var/`` by default, PostgreSQL when ``DATABASE_URL`` says so; the schema is kept by
Alembic migrations (``StateStore.migrate``).

Exceptions::

    StateStoreError
     ├── StateStoreUnavailableError   the database cannot be reached or refuses the login
     └── UnknownRunError              a run id that the store has never seen
"""

from integrations.statestore.store import (
    AuditEntry,
    OutboxEmail,
    RunRecord,
    RunStatus,
    StateStore,
    StateStoreError,
    StateStoreUnavailableError,
    Trigger,
    UnknownRunError,
)

__all__ = [
    "AuditEntry",
    "OutboxEmail",
    "RunRecord",
    "RunStatus",
    "StateStore",
    "StateStoreError",
    "StateStoreUnavailableError",
    "Trigger",
    "UnknownRunError",
]
