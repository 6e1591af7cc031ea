"""The outbox: emails queued, claimed in batches, settled exactly once; the frequency cap per
person across campaigns; and the suppression list's check at claim time.

A claim is one transaction that, for a batch of a run's rows, first settles the rows that must
not go (suppressed; the person emailed by another campaign within the cap, or twice in this
one) and then takes the rest (queued → sending, with a token and the claiming process). On
PostgreSQL the claim holds a transaction-level advisory lock, on SQLite the database's write
lock: two campaigns claiming the same person at once are serialised, and the second sees the
first's claim. A person is the trimmed, lower-cased address (``outbox.person``).

A non-idempotent sender records each claimed row's attempt (``attempted_at``) just before
handing it to the provider, with the previous row's result in the same transaction: when the
sender dies, only a row attempted and not settled may have gone (in doubt); the rest of its
claim goes back to the queue.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from integrations.statestore.records import (
    EmailStatus,
    OutboxEmail,
    StateStoreError,
    insert_ignoring,
    now,
    outbox_email,
    process_name,
    utc,
)
from integrations.statestore.tables import outbox, suppressions
from integrations.text import person_key

# pg_advisory_xact_lock key for outbox claims ("OUTB" in ASCII).
_CLAIM_LOCK = 0x4F555442


@dataclass(frozen=True, slots=True)
class QueuedEmail:
    """One approved email for the outbox."""

    customer_id: int
    recipient: str
    subject: str
    body: str


@dataclass(frozen=True, slots=True)
class Settlement:
    """How one claimed email ended: sent (with the provider's id), failed or in doubt (why),
    or back to queued (not tried: the send stopped)."""

    email_id: int
    status: EmailStatus
    provider_message_id: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ClaimedBatch:
    """The rows one claim took, and how many of the batch it settled as not to be sent."""

    emails: list[OutboxEmail]
    suppressed: int
    capped: int


class Outbox:
    """The outbox, its claims and the frequency cap (module docstring)."""

    engine: Engine

    # Queue ------------------------------------------------------------------------------------

    def queue_email(
        self, run_id: str, customer_id: int, *, recipient: str, subject: str, body: str
    ) -> OutboxEmail:
        """Queue one email per (run, customer); queuing the same pair again returns the first."""
        self.queue_emails(run_id, [QueuedEmail(customer_id, recipient, subject, body)])
        with self.engine.connect() as connection:
            row = connection.execute(
                outbox.select().where(
                    (outbox.c.run_id == run_id) & (outbox.c.customer_id == customer_id)
                )
            ).one()
        return outbox_email(row)

    def queue_emails(self, run_id: str, emails: Sequence[QueuedEmail]) -> None:
        """Queue a run's emails in one transaction; a (run, customer) already queued is kept."""
        if not emails:
            return
        at = now()
        values = [
            {
                "run_id": run_id,
                "customer_id": email.customer_id,
                "recipient": email.recipient,
                "person": person_key(email.recipient),
                "subject": email.subject,
                "body": email.body,
                "status": "queued",
                "queued_at": at,
            }
            for email in emails
        ]
        with self.engine.begin() as connection:
            for start in range(0, len(values), _INSERT_BATCH):
                connection.execute(
                    insert_ignoring(self.engine, outbox), values[start : start + _INSERT_BATCH]
                )

    # Claim and settle -------------------------------------------------------------------------

    def claim_emails(
        self,
        run_id: str,
        token: str,
        *,
        limit: int,
        take_over_sending: bool = False,
        cap_since: datetime | None = None,
    ) -> ClaimedBatch:
        """Claim up to ``limit`` of a run's unsent rows for one sender (module docstring).

        ``take_over_sending`` also takes rows left in ``sending`` (idempotent senders only);
        ``cap_since``: a person emailed (or maybe emailed) by another run since then is capped.
        """
        claimable = ("queued", "sending") if take_over_sending else ("queued",)
        with self.engine.begin() as connection:
            self._lock_claims(connection)
            ids = list(
                connection.execute(
                    sa.select(outbox.c.email_id)
                    .where((outbox.c.run_id == run_id) & outbox.c.status.in_(claimable))
                    .order_by(outbox.c.email_id)
                    .limit(limit)
                ).scalars()
            )
            if not ids:
                return ClaimedBatch([], 0, 0)
            mine = outbox.c.email_id.in_(ids) & outbox.c.status.in_(claimable)
            suppressed = connection.execute(
                outbox.update()
                .where(mine & outbox.c.person.in_(sa.select(suppressions.c.email)))
                .values(status="suppressed", claim_token=None, error="on the suppression list")
            ).rowcount
            capped = connection.execute(
                outbox.update()
                .where(mine & _emailed_elsewhere(cap_since))
                .values(status="capped", claim_token=None, error=_CAPPED)
            ).rowcount
            connection.execute(
                outbox.update()
                .where(mine)
                .values(
                    status="sending",
                    claim_token=token,
                    claimed_at=now(),
                    claimed_by=process_name(),
                    attempted_at=None,
                    error=None,
                )
            )
            rows = connection.execute(
                outbox.select()
                .where((outbox.c.claim_token == token) & (outbox.c.status == "sending"))
                .order_by(outbox.c.email_id)
            )
            return ClaimedBatch([outbox_email(row) for row in rows], suppressed, capped)

    def settle_emails(self, token: str, settlements: Sequence[Settlement]) -> int:
        """Record how claimed emails ended, in one transaction; a row whose claim was taken
        over meanwhile is left alone. Returns how many rows were settled."""
        if not settlements:
            return 0
        at = now()
        with self.engine.begin() as connection:
            return sum(_settle(connection, token, item, at) for item in settlements)

    def attempt_email(
        self, token: str, email_id: int, settle_previous: Settlement | None = None
    ) -> bool:
        """Record that a claimed email is about to go to a non-idempotent provider, and the
        previous one's result, in one transaction (module docstring). False when the claim was
        taken over meanwhile: the email must not be sent."""
        at = now()
        with self.engine.begin() as connection:
            if settle_previous is not None:
                _settle(connection, token, settle_previous, at)
            attempted = connection.execute(_ATTEMPT, {"row": email_id, "token": token, "at": at})
            return bool(attempted.rowcount)

    def release_claims(self, token: str, *, reason: str) -> int:
        """The send stopped: the rows ``token`` still claims go back to the queue, but one
        attempted and not settled may have gone: in doubt, saying why. Returns how many."""
        with self.engine.begin() as connection:
            return _unclaim(connection, outbox.c.claim_token == token, reason)

    def sending_processes(self, run_id: str) -> set[str]:
        """The processes (``host:pid``) holding claims on a run's rows."""
        with self.engine.connect() as connection:
            found = connection.execute(
                sa.select(outbox.c.claimed_by)
                .where((outbox.c.run_id == run_id) & (outbox.c.status == "sending"))
                .distinct()
            ).scalars()
            return {str(name) for name in found if name}

    def mark_emails_in_doubt(
        self,
        run_id: str,
        *,
        processes: Sequence[str] = (),
        claimed_before: datetime | None = None,
        reason: str,
    ) -> int:
        """Settle a run's rows stuck in ``sending`` — claimed by one of ``processes`` (dead) or
        since before ``claimed_before`` (a lease): those attempted to ``in_doubt``, saying why;
        the others back to the queue, never having left. Returns how many are in doubt."""
        stuck: sa.ColumnElement[bool] = outbox.c.claimed_by.in_(list(processes))
        if claimed_before is not None:
            stuck = stuck | (outbox.c.claimed_at < claimed_before)
        with self.engine.begin() as connection:
            return _unclaim(connection, (outbox.c.run_id == run_id) & stuck, reason)

    def settle_in_doubt(self, email_id: int, status: EmailStatus, *, reason: str) -> OutboxEmail:
        """A person's verdict on one row in doubt: ``sent`` (the provider has it) or
        ``queued`` (it never arrived: send it again)."""
        values: dict[str, Any] = {"status": status, "error": reason}
        if status == "sent":
            values["sent_at"] = sa.func.coalesce(outbox.c.attempted_at, outbox.c.claimed_at)
        else:
            values |= _REQUEUED
        with self.engine.begin() as connection:
            result = connection.execute(
                outbox.update()
                .where((outbox.c.email_id == email_id) & (outbox.c.status == "in_doubt"))
                .values(**values)
            )
            row = connection.execute(
                outbox.select().where(outbox.c.email_id == email_id)
            ).one_or_none()
        if row is None:
            raise StateStoreError(f"no email {email_id} in the outbox")
        if result.rowcount == 0:
            raise StateStoreError(f"email {email_id} is {row.status}, not in doubt")
        return outbox_email(row)

    # Read -------------------------------------------------------------------------------------

    def outbox_emails(
        self,
        *,
        run_id: str | None = None,
        status: EmailStatus | None = None,
        limit: int | None = None,
    ) -> list[OutboxEmail]:
        query = outbox.select().order_by(outbox.c.email_id).limit(limit)
        if run_id is not None:
            query = query.where(outbox.c.run_id == run_id)
        if status is not None:
            query = query.where(outbox.c.status == status)
        with self.engine.connect() as connection:
            return [outbox_email(row) for row in connection.execute(query)]

    def outbox_counts(self, run_id: str) -> dict[str, int]:
        """How many of a run's rows are in each status."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(outbox.c.status, sa.func.count())
                .where(outbox.c.run_id == run_id)
                .group_by(outbox.c.status)
            )
            return {str(status): int(count) for status, count in rows}

    def recently_contacted(
        self, people: Sequence[tuple[int, str]], *, since: datetime
    ) -> dict[int, datetime]:
        """Which of these (customer id, address) were emailed — or may have been — since a
        time, by customer or by address (the same address on two records is one person), and
        when last."""
        if not people:
            return {}
        contacted = contacted_since(outbox, since)
        moment = sa.func.coalesce(outbox.c.sent_at, outbox.c.claimed_at)
        by_id: dict[int, datetime] = {}
        by_person: dict[str, datetime] = {}
        with self.engine.connect() as connection:
            for start in range(0, len(people), _IN_BATCH):
                batch = people[start : start + _IN_BATCH]
                customers = [int(c) for c, _ in batch]
                addresses = [person_key(a) for _, a in batch]
                query = sa.select(outbox.c.customer_id, outbox.c.person, moment).where(
                    contacted
                    & (outbox.c.customer_id.in_(customers) | outbox.c.person.in_(addresses))
                )
                for customer_id, person, stored in connection.execute(query):
                    at = utc(stored) or since
                    by_id[int(customer_id)] = max(at, by_id.get(int(customer_id), at))
                    by_person[str(person)] = max(at, by_person.get(str(person), at))
        found: dict[int, datetime] = {}
        for customer, address in people:
            moments = [m for m in (by_id.get(customer), by_person.get(person_key(address))) if m]
            if moments:
                found[customer] = max(moments)
        return found

    def _lock_claims(self, connection: Connection) -> None:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.select(sa.func.pg_advisory_xact_lock(_CLAIM_LOCK)))


_CAPPED = "emailed by another campaign within the frequency cap, or twice in this one"
# A row back in the queue: no claim, no attempt.
_REQUEUED: dict[str, Any] = {
    "status": "queued",
    "claim_token": None,
    "claimed_at": None,
    "claimed_by": None,
    "attempted_at": None,
}
# One row while a claim still holds it (parameters ``row``, ``token``), built once: it is
# updated once or twice per email, and building the statement each time would cost more.
_CLAIMED_ROW = outbox.update().where(
    (outbox.c.email_id == sa.bindparam("row"))
    & (outbox.c.status == "sending")
    & (outbox.c.claim_token == sa.bindparam("token"))
)
_ATTEMPT = _CLAIMED_ROW.values(attempted_at=sa.bindparam("at"))


def _unclaim(connection: Connection, rows: sa.ColumnElement[bool], reason: str) -> int:
    """Of these rows in ``sending``: the attempted in doubt (why), the rest queued again; each
    statement checks ``attempted_at``, as a live sender past its lease may attempt in between."""
    claimed = rows & (outbox.c.status == "sending")
    in_doubt = connection.execute(
        outbox.update()
        .where(claimed & outbox.c.attempted_at.is_not(None))
        .values(status="in_doubt", error=reason)
    ).rowcount
    connection.execute(
        outbox.update().where(claimed & outbox.c.attempted_at.is_(None)).values(**_REQUEUED)
    )
    return int(in_doubt)


def _settle(connection: Connection, token: str, item: Settlement, at: datetime) -> int:
    """Record one claimed email's result, unless its claim was taken over: rows settled."""
    values: dict[str, Any] = {"status": item.status, "error": item.error}
    if item.status == "sent":
        values |= {"sent_at": at, "provider_message_id": item.provider_message_id}
    elif item.provider_message_id:  # in doubt: the Message-ID to look it up by
        values["provider_message_id"] = item.provider_message_id
    if item.status == "queued":
        values |= _REQUEUED
    result = connection.execute(
        _CLAIMED_ROW.values(**values), {"row": item.email_id, "token": token}
    )
    return int(result.rowcount)


def contacted_since(
    table: sa.FromClause, since: datetime | sa.ColumnElement[Any]
) -> sa.ColumnElement[bool]:
    """Rows of ``table`` (the outbox or an alias) that were sent, or may have been, since a
    time (or a column holding one)."""
    return ((table.c.status == "sent") & (table.c.sent_at >= since)) | (
        table.c.status.in_(("sending", "in_doubt")) & (table.c.claimed_at >= since)
    )


def _emailed_elsewhere(cap_since: datetime | None) -> sa.ColumnElement[bool]:
    """A row whose person has an earlier row in this run, or was contacted by another run
    since ``cap_since`` (no cap: only the first condition)."""
    other = outbox.alias("other")
    same_run_twice = sa.exists().where(
        (other.c.run_id == outbox.c.run_id)
        & (other.c.person == outbox.c.person)
        & (other.c.email_id < outbox.c.email_id)
    )
    if cap_since is None:
        return same_run_twice
    elsewhere = sa.exists().where(
        (other.c.run_id != outbox.c.run_id)
        & ((other.c.person == outbox.c.person) | (other.c.customer_id == outbox.c.customer_id))
        & contacted_since(other, cap_since)
    )
    return same_run_twice | elsewhere


# Values per IN (...) list and rows per INSERT: well under SQLite's bound-parameter limit.
_IN_BATCH = 500
_INSERT_BATCH = 500
