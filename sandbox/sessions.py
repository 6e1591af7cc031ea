"""What an interaction leaves behind in the workspace: views (modals and Home tabs), and the
short-lived trigger ids and response URLs that Slack hands an app with each request."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sandbox.store import SQLiteStore

_SAVE_VIEW = """
INSERT INTO views (id, user_id, type, body, is_open, seq) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET body = excluded.body, is_open = excluded.is_open
"""


@dataclass(frozen=True, slots=True)
class ResponseTarget:
    """Where a ``response_url`` writes: the channel, and the message it came from, if any."""

    token: str
    user_id: str
    channel: str
    message_ts: str | None
    thread_ts: str | None


class InteractionState(SQLiteStore):
    """Views, trigger ids and response URLs."""

    # -- views --------------------------------------------------------------------------------

    def save_view(self, view: dict[str, Any], user_id: str, *, is_open: bool) -> None:
        with self._write() as db:
            seq = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM views").fetchone()[0]
            db.execute(
                _SAVE_VIEW,
                (view["id"], user_id, view["type"], json.dumps(view), int(is_open), seq),
            )

    def view(self, view_id: str) -> tuple[dict[str, Any], str] | None:
        """A view by id, with the user it belongs to."""
        rows = self._rows("SELECT body, user_id FROM views WHERE id = ?", view_id)
        return (json.loads(rows[0]["body"]), rows[0]["user_id"]) if rows else None

    def view_by_external_id(self, external_id: str) -> tuple[dict[str, Any], str] | None:
        for row in self._rows("SELECT body, user_id FROM views ORDER BY seq DESC"):
            body = json.loads(row["body"])
            if body.get("external_id") == external_id:
                return body, row["user_id"]
        return None

    def home_view(self, user_id: str) -> dict[str, Any] | None:
        rows = self._rows(
            "SELECT body FROM views WHERE user_id = ? AND type = 'home' ORDER BY seq DESC", user_id
        )
        return json.loads(rows[0]["body"]) if rows else None

    def open_modals(self, user_id: str) -> list[dict[str, Any]]:
        """The user's modal stack, bottom first."""
        rows = self._rows(
            "SELECT body FROM views WHERE user_id = ? AND type = 'modal' AND is_open = 1 "
            "ORDER BY seq",
            user_id,
        )
        return [json.loads(row["body"]) for row in rows]

    def close_modals(self, user_id: str, view_ids: Sequence[str] | None = None) -> None:
        """Close ``view_ids`` (all of the user's modals when None)."""
        with self._write() as db:
            if view_ids is None:
                db.execute("UPDATE views SET is_open = 0 WHERE user_id = ?", (user_id,))
            for view_id in view_ids or ():
                db.execute("UPDATE views SET is_open = 0 WHERE id = ?", (view_id,))

    # -- trigger ids and response URLs --------------------------------------------------------

    def new_trigger(self, user_id: str) -> str:
        trigger_id = f"{int(time.time())}.{secrets.randbelow(10**9)}.{secrets.token_hex(8)}"
        with self._write() as db:
            db.execute(
                "INSERT INTO triggers (id, user_id, created) VALUES (?, ?, ?)",
                (trigger_id, user_id, time.time()),
            )
        return trigger_id

    def trigger(self, trigger_id: str) -> tuple[str, float] | None:
        """The user a trigger id was issued for and when."""
        rows = self._rows("SELECT user_id, created FROM triggers WHERE id = ?", trigger_id)
        return (rows[0]["user_id"], rows[0]["created"]) if rows else None

    def new_response_target(
        self, user_id: str, channel: str, message_ts: str | None, thread_ts: str | None
    ) -> str:
        token = secrets.token_urlsafe(18)
        with self._write() as db:
            db.execute(
                "INSERT INTO responses (token, user_id, channel, message_ts, thread_ts, created) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (token, user_id, channel, message_ts, thread_ts, time.time()),
            )
        return token

    def point_response_target(self, token: str, message_ts: str) -> None:
        """A slash command's response URL, aimed at the ack's message once it is shown: Slack
        lets ``replace_original`` / ``delete_original`` change that message."""
        with self._write() as db:
            db.execute("UPDATE responses SET message_ts = ? WHERE token = ?", (message_ts, token))

    def use_response_target(
        self, token: str, *, max_uses: int, max_age: float
    ) -> ResponseTarget | None:
        """The target of a response URL, counting one use; None when unknown, used up or old."""
        with self._write() as db:
            row = db.execute("SELECT * FROM responses WHERE token = ?", (token,)).fetchone()
            if row is None or row["uses"] >= max_uses or time.time() - row["created"] > max_age:
                return None
            db.execute("UPDATE responses SET uses = uses + 1 WHERE token = ?", (token,))
        return ResponseTarget(
            row["token"], row["user_id"], row["channel"], row["message_ts"], row["thread_ts"]
        )
