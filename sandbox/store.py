"""The SQLite file under the sandbox's workspace: its schema, one connection behind a lock, and
a version number that changes with every write (the page's live updates watch it).

One connection is enough: the sandbox serves one person (or one test) at a time, and each
operation takes well under a millisecond.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

Store = TypeVar("Store", bound="SQLiteStore")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, real_name TEXT NOT NULL, title TEXT NOT NULL,
    is_bot INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS usergroups (id TEXT PRIMARY KEY, handle TEXT NOT NULL,
    users TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS channels (
    id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, is_im INTEGER NOT NULL DEFAULT 0,
    im_user TEXT, created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
    channel TEXT NOT NULL, ts TEXT NOT NULL, thread_ts TEXT, ephemeral_for TEXT,
    body TEXT NOT NULL, PRIMARY KEY (channel, ts));
CREATE INDEX IF NOT EXISTS messages_thread ON messages (channel, thread_ts);
CREATE TABLE IF NOT EXISTS files (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, title TEXT NOT NULL, alt_txt TEXT,
    mimetype TEXT, length INTEGER NOT NULL, content BLOB, created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS views (
    id TEXT PRIMARY KEY, user_id TEXT NOT NULL, type TEXT NOT NULL, body TEXT NOT NULL,
    is_open INTEGER NOT NULL, seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS scheduled (
    id TEXT PRIMARY KEY, channel TEXT NOT NULL, post_at INTEGER NOT NULL,
    created INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS triggers (id TEXT PRIMARY KEY, user_id TEXT NOT NULL,
    created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS responses (
    token TEXT PRIMARY KEY, user_id TEXT NOT NULL, channel TEXT NOT NULL, message_ts TEXT,
    thread_ts TEXT, created REAL NOT NULL, uses INTEGER NOT NULL DEFAULT 0);
"""


class SQLiteStore:
    """The connection, the lock and the version; subclasses add the queries."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection
        self._lock = threading.RLock()
        self.version = 0

    @classmethod
    def open(cls: type[Store], path: Path | str) -> Store:
        """The store at ``path`` (``:memory:`` for a throwaway one), its tables created."""
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        connection.row_factory = sqlite3.Row
        connection.executescript(_SCHEMA)
        return cls(connection)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction; the version moves on when it changed a row."""
        with self._lock:
            before = self._db.total_changes
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            if self._db.total_changes != before:
                self.version += 1

    def _rows(self, sql: str, *args: Any) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()
