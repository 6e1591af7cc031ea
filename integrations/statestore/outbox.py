"""The outbox (emails queued, claimed, sent exactly once) and the suppression list."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from integrations.statestore.records import (
    EmailStatus,
    OutboxEmail,
    StateStoreError,
    now,
    outbox_email,
)
from integrations.statestore.tables import (
    outbox,
    suppressions,
)


class Outbox:
    """The outbox (emails queued, claimed, sent exactly once) and the suppression list."""

    engine: Engine

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
            "queued_at": now(),
        }
        with self.engine.begin() as connection:
            insert = _insert_ignoring_conflict(self.engine, values)
            connection.execute(insert)
            row = connection.execute(
                outbox.select().where(
                    (outbox.c.run_id == run_id) & (outbox.c.customer_id == customer_id)
                )
            ).one()
        return outbox_email(row)

    def mark_email_sent(self, email_id: int, *, provider_message_id: str) -> bool:
        """Move a queued email to sent; False if it was no longer queued (someone else sent it)."""
        with self.engine.begin() as connection:
            result = connection.execute(
                outbox.update()
                .where((outbox.c.email_id == email_id) & (outbox.c.status == "queued"))
                .values(status="sent", sent_at=now(), provider_message_id=provider_message_id)
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
            return [outbox_email(row) for row in connection.execute(query)]

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
                .values(status="sending", claim_token=token, claimed_at=now())
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
            values |= {"sent_at": now(), "provider_message_id": provider_message_id}
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
            "at": now(),
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
