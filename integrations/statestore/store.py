"""``StateStore``: the control room's state in one SQL database, one concern per module."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

from integrations.statestore.answers import HumanAnswers
from integrations.statestore.approvals import ApprovalBook
from integrations.statestore.outbox import Outbox
from integrations.statestore.records import StateStoreUnavailableError
from integrations.statestore.runs import RunLog

_MIGRATIONS = Path(__file__).parent / "migrations"


class StateStore(RunLog, Outbox, ApprovalBook, HumanAnswers):
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


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
