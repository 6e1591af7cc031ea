"""The sandbox workspace's state: who the app is, people, channels, messages and threads, and
uploaded files — with views, trigger ids and response URLs from ``sandbox.sessions`` — in one
SQLite file (``sandbox.store``).

Every row is kept in Slack's own shape where Slack has one (a message is ``{"type": "message",
"ts": …, "blocks": […]}``), so the Web API answers and the page render the same JSON.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sandbox.sessions import InteractionState

Message = dict[str, Any]
# The subtype of the placeholder a deleted thread parent leaves.
TOMBSTONE = "tombstone"


@dataclass(frozen=True, slots=True)
class Person:
    """Someone in the workspace: ``title`` says what they may do ("approver")."""

    id: str
    name: str
    real_name: str
    title: str = ""
    is_bot: bool = False


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the app is in this workspace, and the secrets it shares with the sandbox."""

    team_id: str
    team_name: str
    app_id: str
    bot_id: str
    bot_user_id: str
    bot_token: str
    signing_secret: str
    # The app-level token ("xapp-…") that opens Socket Mode connections (apps.connections.open).
    app_token: str = ""


class Workspace(InteractionState):
    """The workspace's state; ``Workspace.open(path)`` creates it (and its secrets) once."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        super().__init__(connection)
        row = self._db.execute("SELECT MAX(CAST(ts AS REAL)) FROM messages").fetchone()
        self._last_ts = float(row[0] or 0.0)
        self.identity = self._identity()

    # -- identity and people ------------------------------------------------------------------

    def _identity(self) -> Identity:
        defaults = {
            "team_id": "T0TWOPEAKS",
            "team_name": "Two Peaks",
            "app_id": "A0CONTROLROOM",
            "bot_id": "B0CONTROLROOM",
            "bot_user_id": "U0CONTROLROOM",
            "bot_token": "xoxb-sandbox-" + secrets.token_hex(12),
            "signing_secret": secrets.token_hex(16),
            "app_token": "xapp-1-A0CONTROLROOM-1-" + secrets.token_hex(16),
        }
        with self._write() as db:
            for key, value in defaults.items():
                db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (key, value))
        stored = {row["key"]: row["value"] for row in self._rows("SELECT key, value FROM meta")}
        return Identity(**{key: stored[key] for key in defaults})

    def add_person(self, person: Person) -> None:
        with self._write() as db:
            db.execute(
                "INSERT OR REPLACE INTO users (id, name, real_name, title, is_bot) "
                "VALUES (?, ?, ?, ?, ?)",
                (person.id, person.name, person.real_name, person.title, int(person.is_bot)),
            )

    def people(self) -> list[Person]:
        return [_person(row) for row in self._rows("SELECT * FROM users ORDER BY is_bot, id")]

    def person(self, user_id: str) -> Person | None:
        rows = self._rows("SELECT * FROM users WHERE id = ?", user_id)
        return _person(rows[0]) if rows else None

    def add_usergroup(self, group_id: str, handle: str, users: Sequence[str]) -> None:
        with self._write() as db:
            db.execute(
                "INSERT OR REPLACE INTO usergroups (id, handle, users) VALUES (?, ?, ?)",
                (group_id, handle, json.dumps(list(users))),
            )

    def usergroup_members(self, group_id: str) -> list[str] | None:
        rows = self._rows("SELECT users FROM usergroups WHERE id = ?", group_id)
        return list(json.loads(rows[0]["users"])) if rows else None

    # -- channels -----------------------------------------------------------------------------

    def add_channel(self, name: str, channel_id: str | None = None) -> dict[str, Any]:
        """The public channel ``name`` ("#gtm-digest" or "gtm-digest"), created if new, with
        ``channel_id`` ("C0…") when given, else one made from its name."""
        name = name.removeprefix("#")
        existing = self.channel(name)
        if existing is not None:
            return existing
        channel_id = channel_id or "C" + "".join(ch for ch in name.upper() if ch.isalnum())[:10]
        if self.channel(channel_id) is not None:  # another name with the same first letters
            channel_id = "C" + secrets.token_hex(5).upper()
        with self._write() as db:
            db.execute(
                "INSERT INTO channels (id, name, is_im, created) VALUES (?, ?, 0, ?)",
                (channel_id, name, int(time.time())),
            )
        return self.channel(channel_id) or {}

    def direct_channel(self, user_id: str) -> dict[str, Any]:
        """The direct-message channel between ``user_id`` and the app, created if new."""
        channel_id = "D" + user_id[1:]
        with self._write() as db:
            db.execute(
                "INSERT OR IGNORE INTO channels (id, name, is_im, im_user, created) "
                "VALUES (?, ?, 1, ?, ?)",
                (channel_id, f"dm-{user_id.lower()}", user_id, int(time.time())),
            )
        return self.channel(channel_id) or {}

    def channel(self, ref: str) -> dict[str, Any] | None:
        """A channel by ID ("C0…", "D0…"), name ("#general", "general"), or a user's ID for the
        direct messages with the app (as ``chat.postMessage(channel=user_id)`` does)."""
        if ref[:1] in "UW" and ref.isupper() and self.person(ref) is not None:
            return self.direct_channel(ref)
        rows = self._rows(
            "SELECT * FROM channels WHERE id = ? OR (is_im = 0 AND name = ?)",
            ref,
            ref.removeprefix("#"),
        )
        return _channel(rows[0]) if rows else None

    def channels(self) -> list[dict[str, Any]]:
        return [_channel(row) for row in self._rows("SELECT * FROM channels ORDER BY is_im, name")]

    # -- messages -----------------------------------------------------------------------------

    def next_ts(self) -> str:
        """A new message timestamp, strictly increasing ("1764000000.000123", as Slack's)."""
        with self._lock:
            self._last_ts = max(time.time(), self._last_ts + 0.000001)
            return f"{self._last_ts:.6f}"

    def add_message(
        self, channel: str, message: Message, *, ephemeral_for: str | None = None
    ) -> Message:
        """Store ``message`` (its ``ts`` set here) in ``channel``; returns it as stored."""
        stored = {**message, "type": "message", "ts": self.next_ts()}
        with self._write() as db:
            db.execute(
                "INSERT INTO messages (channel, ts, thread_ts, ephemeral_for, body) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    channel,
                    stored["ts"],
                    stored.get("thread_ts"),
                    ephemeral_for,
                    json.dumps(stored),
                ),
            )
        return stored

    def message(self, channel: str, ts: str) -> Message | None:
        rows = self._rows("SELECT * FROM messages WHERE channel = ? AND ts = ?", channel, ts)
        return self._with_replies(channel, _message(rows[0])) if rows else None

    def is_ephemeral(self, channel: str, ts: str) -> bool:
        rows = self._rows(
            "SELECT ephemeral_for FROM messages WHERE channel = ? AND ts = ?", channel, ts
        )
        return bool(rows and rows[0]["ephemeral_for"])

    def replace_message(self, channel: str, ts: str, changes: Message) -> Message | None:
        """Change a message in place (``chat.update``, ``replace_original``); None if missing."""
        with self._write() as db:
            row = db.execute(
                "SELECT body FROM messages WHERE channel = ? AND ts = ?", (channel, ts)
            ).fetchone()
            if row is None:
                return None
            body = {**json.loads(row["body"]), **changes}
            db.execute(
                "UPDATE messages SET body = ? WHERE channel = ? AND ts = ?",
                (json.dumps(body), channel, ts),
            )
        return self.message(channel, ts)

    def delete_message(self, channel: str, ts: str) -> bool:
        """Delete a message as Slack does; False if there is none. A thread's parent that has
        replies leaves a placeholder ("This message was deleted.") holding the thread, and the
        placeholder goes with the thread's last reply."""
        with self._write() as db:
            row = db.execute(
                "SELECT thread_ts, body FROM messages WHERE channel = ? AND ts = ?", (channel, ts)
            ).fetchone()
            if row is None or json.loads(row["body"]).get("subtype") == TOMBSTONE:
                return False
            if row["thread_ts"] in (None, ts) and _reply_count(db, channel, ts):
                placeholder = {
                    "type": "message",
                    "subtype": TOMBSTONE,
                    "text": "This message was deleted.",
                    "user": "USLACKBOT",
                    "hidden": True,
                    "ts": ts,
                    "thread_ts": ts,
                }
                db.execute(
                    "UPDATE messages SET body = ? WHERE channel = ? AND ts = ?",
                    (json.dumps(placeholder), channel, ts),
                )
                return True
            db.execute("DELETE FROM messages WHERE channel = ? AND ts = ?", (channel, ts))
            parent = row["thread_ts"]
            if parent not in (None, ts) and not _reply_count(db, channel, parent):
                db.execute(
                    "DELETE FROM messages WHERE channel = ? AND ts = ? "
                    "AND json_extract(body, '$.subtype') = ?",
                    (channel, parent, TOMBSTONE),
                )
        return True

    def history(
        self, channel: str, *, viewer: str | None = None, limit: int = 200
    ) -> list[Message]:
        """Top-level messages of ``channel``, oldest first; ephemeral ones only for ``viewer``."""
        rows = self._rows(
            "SELECT * FROM (SELECT * FROM messages WHERE channel = ? "
            "AND (thread_ts IS NULL OR thread_ts = ts) "
            "AND (ephemeral_for IS NULL OR ephemeral_for = ?) "
            "ORDER BY CAST(ts AS REAL) DESC LIMIT ?) ORDER BY CAST(ts AS REAL)",
            channel,
            viewer or "",
            limit,
        )
        return [self._with_replies(channel, _message(row)) for row in rows]

    def replies(self, channel: str, thread_ts: str, *, viewer: str | None = None) -> list[Message]:
        """The thread's parent and its replies, oldest first."""
        rows = self._rows(
            "SELECT * FROM messages WHERE channel = ? AND (ts = ? OR thread_ts = ?) "
            "AND (ephemeral_for IS NULL OR ephemeral_for = ?) ORDER BY CAST(ts AS REAL)",
            channel,
            thread_ts,
            thread_ts,
            viewer or "",
        )
        return [self._with_replies(channel, _message(row)) for row in rows]

    def _with_replies(self, channel: str, message: Message) -> Message:
        if message.get("thread_ts") not in (None, message["ts"]):
            return message
        row = self._rows(
            "SELECT COUNT(*) AS n, MAX(ts) AS latest FROM messages WHERE channel = ? "
            "AND thread_ts = ? AND ts != ? AND ephemeral_for IS NULL",
            channel,
            message["ts"],
            message["ts"],
        )[0]
        if row["n"]:
            message.update(
                thread_ts=message["ts"], reply_count=row["n"], latest_reply=row["latest"]
            )
        return message

    def schedule_message(self, channel: str, post_at: int, message: Message) -> str:
        """Keep ``message`` to be posted in ``channel`` at ``post_at``; its id ("Q…")."""
        scheduled_id = "Q" + secrets.token_hex(5).upper()
        with self._write() as db:
            db.execute(
                "INSERT INTO scheduled (id, channel, post_at, created, body) "
                "VALUES (?, ?, ?, ?, ?)",
                (scheduled_id, channel, post_at, int(time.time()), json.dumps(message)),
            )
        return scheduled_id

    def scheduled_messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Messages waiting for their time, in ``chat.scheduledMessages.list``'s shape."""
        rows = self._rows(
            "SELECT * FROM scheduled WHERE ? IS NULL OR channel = ? ORDER BY post_at",
            channel,
            channel,
        )
        return [
            {
                "id": row["id"],
                "channel_id": row["channel"],
                "post_at": row["post_at"],
                "date_created": row["created"],
                "text": json.loads(row["body"]).get("text", ""),
            }
            for row in rows
        ]

    def unschedule_message(self, channel: str, scheduled_id: str) -> bool:
        with self._write() as db:
            deleted = db.execute(
                "DELETE FROM scheduled WHERE id = ? AND channel = ?", (scheduled_id, channel)
            ).rowcount
        return bool(deleted)

    def post_due_messages(self) -> None:
        """Post the scheduled messages whose time has come."""
        with self._lock:
            due = self._rows(
                "SELECT * FROM scheduled WHERE post_at <= ? ORDER BY post_at", time.time()
            )
            for row in due:
                with self._write() as db:
                    db.execute("DELETE FROM scheduled WHERE id = ?", (row["id"],))
                self.add_message(row["channel"], json.loads(row["body"]))

    # -- files --------------------------------------------------------------------------------

    def add_file(self, name: str, length: int, alt_txt: str | None) -> str:
        file_id = "F" + secrets.token_hex(5).upper()
        with self._write() as db:
            db.execute(
                "INSERT INTO files (id, name, title, alt_txt, length, created) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (file_id, name, name, alt_txt, length, int(time.time())),
            )
        return file_id

    def store_file_content(self, file_id: str, content: bytes, mimetype: str) -> bool:
        with self._write() as db:
            changed = db.execute(
                "UPDATE files SET content = ?, mimetype = ?, length = ? WHERE id = ?",
                (content, mimetype, len(content), file_id),
            ).rowcount
        return bool(changed)

    def set_file_title(self, file_id: str, title: str) -> None:
        with self._write() as db:
            db.execute("UPDATE files SET title = ? WHERE id = ?", (title, file_id))

    def file(self, file_id: str) -> sqlite3.Row | None:
        rows = self._rows("SELECT * FROM files WHERE id = ?", file_id)
        return rows[0] if rows else None


def _reply_count(db: sqlite3.Connection, channel: str, thread_ts: str) -> int:
    count: int = db.execute(
        "SELECT COUNT(*) FROM messages WHERE channel = ? AND thread_ts = ? AND ts != ? "
        "AND ephemeral_for IS NULL",
        (channel, thread_ts, thread_ts),
    ).fetchone()[0]
    return count


def _person(row: sqlite3.Row) -> Person:
    return Person(row["id"], row["name"], row["real_name"], row["title"], bool(row["is_bot"]))


def _channel(row: sqlite3.Row) -> dict[str, Any]:
    """A channel in ``conversations.info``'s shape."""
    is_im = bool(row["is_im"])
    channel: dict[str, Any] = {
        "id": row["id"],
        "created": row["created"],
        "is_channel": not is_im,
        "is_group": False,
        "is_im": is_im,
        "is_private": is_im,
        "is_archived": False,
        "is_member": True,
    }
    if is_im:
        channel["user"] = row["im_user"]
    else:
        channel.update(name=row["name"], name_normalized=row["name"])
    return channel


def _message(row: sqlite3.Row) -> Message:
    message: Message = json.loads(row["body"])
    if row["ephemeral_for"]:
        message["ephemeral_for"] = row["ephemeral_for"]
    return message
