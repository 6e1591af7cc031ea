"""``StateStore``: the control room's state in one SQL database, one concern per module."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final, Literal

import filelock
import sqlalchemy as sa
from sqlalchemy.engine import Engine, ExceptionContext
from tenacity import retry, retry_if_exception, stop_after_delay, wait_random

from integrations.statestore.answers import HumanAnswers
from integrations.statestore.approvals import ApprovalBook
from integrations.statestore.audiences import ProposalAudiences
from integrations.statestore.exclusions import CampaignExclusions
from integrations.statestore.outbox import Outbox
from integrations.statestore.questions import SupportQuestions
from integrations.statestore.records import StateStoreUnavailableError
from integrations.statestore.runs import RunLog
from integrations.statestore.slack_events import SlackEventLog
from integrations.statestore.suppressions import Suppressions
from integrations.statestore.tasks import QueueTasks
from integrations.urls import mask_url

_MIGRATIONS = Path(__file__).parent / "migrations"
# The newest migration's revision: a database already at it is left alone without loading
# Alembic (0.1-0.2 s of every command's start). A test holds it to Alembic's own head.
HEAD_REVISION = "0013"
# Processes starting together migrate one at a time; a wait longer than this is reported.
MIGRATION_LOCK_TIMEOUT_S = 120
# The PostgreSQL advisory lock key every process migrating a database takes (any fixed bigint).
_POSTGRES_MIGRATION_LOCK = 0x436F6E74726F6C  # "Control"
# The locks ``StateStore.exclusive`` takes for every process of a deployment, and their
# PostgreSQL advisory lock keys: "knowledge_base" is held by whoever writes the knowledge base
# in bulk (a rebuild, an ingest) or learns an answer, so that a rebuild never drops what
# another process has just written.
LockName = Literal["knowledge_base"]
_POSTGRES_LOCKS: Final[dict[LockName, int]] = {"knowledge_base": 0x4B6E6F776C656467}  # "Knowledg"
# How long ``exclusive`` waits by default (a rebuild on a busy machine takes a minute or two).
LOCK_TIMEOUT_S = 600
# A new SQLite file is switched to WAL (which then stays set in the file) by whichever process
# opens it first. Two processes opening it at the same instant both try, and SQLite refuses one
# of them at once ("database is locked", without waiting out busy_timeout: each holds the lock
# the other needs); so the switch is tried again, for up to this long.
_WAL_SWITCH_WAIT_S = 30
# PostgreSQL refusals that are about the database, not the statement: read-only (a standby,
# or default_transaction_read_only), and a login without rights on the tables.
_UNAVAILABLE_SQLSTATES = frozenset({"25006", "42501"})
# SQLite's reason when another connection holds the lock a statement needs.
_SQLITE_LOCKED = "database is locked"
# What to do, by a clue in the driver's reason.
_ADVICE = (
    ("read-only transaction", "point DATABASE_URL at a writable primary"),
    ("permission denied", "grant the login rights on the control room's tables"),
    (_SQLITE_LOCKED, "another process is holding it; try again in a moment"),
    ("lock timeout", "another process has held the lock that long; try again later"),
    ("readonly database", "the file or its folder is read-only: make both writable"),
    ("unable to open database file", "check that its folder exists and is writable"),
    ("not a database", "the file is damaged: restore it, or move it aside to start afresh"),
    ("malformed", "the file is damaged: restore it, or move it aside to start afresh"),
)


class StateStore(
    RunLog,
    Outbox,
    Suppressions,
    ApprovalBook,
    ProposalAudiences,
    CampaignExclusions,
    HumanAnswers,
    SlackEventLog,
    SupportQuestions,
    QueueTasks,
):
    """The control room's state in one SQL database (SQLite file or PostgreSQL)."""

    def __init__(self, url: str) -> None:
        self.url = url
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = sa.create_engine(url, pool_pre_ping=True)
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        sa.event.listen(self.engine, "handle_error", self._unavailable)

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    def migrate(self) -> None:
        """Bring the schema to the newest migration (idempotent). Processes starting together
        take turns under a lock; the later ones find the schema at head and do nothing."""
        if self._at_head():
            return
        # Here, not at the top: only a database behind the newest migration needs Alembic.
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        # A database that cannot be reached is the handle_error hook's (``_unavailable``).
        with (
            self._sqlite_lock_file("migrate", MIGRATION_LOCK_TIMEOUT_S, "migrating it"),
            self.engine.begin() as connection,
        ):
            if self.backend == "postgresql":
                # Held until this transaction ends; waiting for it obeys lock_timeout.
                connection.execute(
                    sa.text(f"SET LOCAL lock_timeout = '{MIGRATION_LOCK_TIMEOUT_S}s'")
                )
                connection.execute(
                    sa.select(sa.func.pg_advisory_xact_lock(_POSTGRES_MIGRATION_LOCK))
                )
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def _at_head(self) -> bool:
        """Whether the schema is at the newest migration already (one read, no lock)."""
        with self.engine.connect() as connection:
            if not sa.inspect(connection).has_table("alembic_version"):
                return False
            versions = connection.execute(sa.text("SELECT version_num FROM alembic_version"))
            return list(versions.scalars()) == [HEAD_REVISION]

    @contextmanager
    def exclusive(self, name: LockName, *, timeout_s: int = LOCK_TIMEOUT_S) -> Iterator[None]:
        """Hold the lock ``name`` against every process using this database: a PostgreSQL
        advisory lock (held by a transaction, so a process that dies lets it go), or a lock file
        beside a SQLite database (``<db>.<name>.lock``; none for an in-memory one). A wait
        longer than ``timeout_s`` raises ``StateStoreUnavailableError``."""
        if self.backend != "postgresql":
            with self._sqlite_lock_file(name, timeout_s, f"holding the {name} lock"):
                yield
            return
        with self.engine.connect() as connection, connection.begin():
            connection.execute(sa.text(f"SET LOCAL lock_timeout = '{int(timeout_s)}s'"))
            connection.execute(sa.select(sa.func.pg_advisory_xact_lock(_POSTGRES_LOCKS[name])))
            yield

    @contextmanager
    def _sqlite_lock_file(self, name: str, timeout_s: int, doing: str) -> Iterator[None]:
        """A lock file beside a SQLite database (``<db>.<name>.lock``); nothing elsewhere.
        ``doing`` says what another process holding it is doing, for the timeout's message."""
        database = self.engine.url.database
        if self.backend != "sqlite" or not database or database == ":memory:":
            yield
            return
        path = f"{database}.{name}.lock"
        try:
            lock = filelock.FileLock(path, timeout=timeout_s)
            lock.acquire()
        except filelock.Timeout:
            raise self._unavailable_error(
                f"another process has been {doing} for over {timeout_s} s (lock file {path})"
            ) from None
        except OSError as error:
            raise self._unavailable_error(f"cannot take the lock file {path}: {error}") from None
        try:
            yield
        finally:
            lock.release()

    def _unavailable(self, context: ExceptionContext) -> StateStoreUnavailableError | None:
        """Engine ``handle_error`` hook: a database that cannot be opened, read or written
        (unreachable, locked, read-only, not a database) becomes ``StateStoreUnavailableError``;
        other errors (constraint violations, SQL mistakes) pass unchanged. A failed pre-ping
        is left to the pool, which reconnects."""
        error = context.sqlalchemy_exception
        if context.is_pre_ping or error is None:
            return None
        sqlstate = getattr(context.original_exception, "sqlstate", None)
        if (
            isinstance(error, sa.exc.OperationalError)
            or type(error) is sa.exc.DatabaseError
            or sqlstate in _UNAVAILABLE_SQLSTATES
        ):
            return self._unavailable_error(str(context.original_exception))
        return None

    def _unavailable_error(self, reason: str) -> StateStoreUnavailableError:
        """One line: the database (password hidden), the driver's reason, what to do."""
        last_line = reason.strip().splitlines()[-1] if reason.strip() else "unknown reason"
        where = mask_url(self.engine.url.render_as_string(hide_password=False))
        advice = next((tip for clue, tip in _ADVICE if clue in last_line), "")
        return StateStoreUnavailableError(
            f"state store {where} unavailable: {last_line}" + (f" — {advice}" if advice else "")
        )

    def ping(self) -> None:
        """``SELECT 1``: raises (``StateStoreUnavailableError`` for a database that cannot be
        reached) unless the database answers; for the web role's health check."""
        with self.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))

    def close(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    _use_wal(cursor)
    cursor.close()


def _locked(error: BaseException) -> bool:
    return _SQLITE_LOCKED in str(error)


@retry(
    retry=retry_if_exception(_locked),
    wait=wait_random(0.01, 0.1),
    stop=stop_after_delay(_WAL_SWITCH_WAIT_S),
    reraise=True,
)
def _use_wal(cursor: Any) -> None:
    cursor.execute("PRAGMA journal_mode=WAL")
