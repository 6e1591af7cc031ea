"""Managing the suppression list: add (with its audit entry), look up, list and remove.

The claim's check at send time lives beside the outbox (``Outbox.claim_emails``); the rest is
here: ``suppressed`` for a proposal's audience, and the changes made by people and links:
``controlroom suppress`` and the one-click unsubscribe endpoint. Addresses are kept lower-cased
(``person_key``), so a campaign skips a person whatever the capitals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from integrations.statestore.records import insert_ignoring, now, utc
from integrations.statestore.tables import audit_log, suppressions
from integrations.text import person_key


@dataclass(frozen=True, slots=True)
class Suppression:
    """One address that gets no more marketing email, why, and since when."""

    email: str
    customer_id: int | None
    reason: str
    at: datetime


class Suppressions:
    """The suppression list's management (a mixin of ``StateStore``)."""

    engine: Engine

    def add_suppression(
        self,
        email: str,
        *,
        reason: str,
        actor: str,
        customer_id: int | None = None,
        **detail: Any,
    ) -> bool:
        """Put an address on the list and audit it, in one transaction; False (and no audit
        entry) when it was already there, so a repeated unsubscribe changes nothing."""
        key = person_key(email)
        with self.engine.begin() as connection:
            added = connection.execute(
                insert_ignoring(self.engine, suppressions)
                .values(email=key, customer_id=customer_id, reason=reason, at=now())
                .returning(suppressions.c.email)
            ).first()
            if added is None:  # already on the list (perhaps added meanwhile by another request)
                return False
            connection.execute(
                audit_log.insert().values(
                    at=now(),
                    actor=actor,
                    action="suppressed",
                    detail={"email": key, "customer_id": customer_id, "reason": reason, **detail},
                )
            )
        return True

    def remove_suppression(self, email: str, *, actor: str) -> Suppression | None:
        """Take an address off the list and audit it; the entry removed, or None if absent."""
        key = person_key(email)
        with self.engine.begin() as connection:
            found = _find(connection, key)
            if found is None:
                return None
            connection.execute(suppressions.delete().where(suppressions.c.email == key))
            connection.execute(
                audit_log.insert().values(
                    at=now(),
                    actor=actor,
                    action="unsuppressed",
                    detail={
                        "email": key,
                        "customer_id": found.customer_id,
                        "reason": found.reason,
                    },
                )
            )
        return found

    def suppressed(self, emails: Sequence[str]) -> set[str]:
        """Which of these addresses are on the suppression list (compared case-insensitively)."""
        wanted = sorted({person_key(e) for e in emails})
        found: set[str] = set()
        with self.engine.connect() as connection:
            for start in range(0, len(wanted), _IN_BATCH):
                query = sa.select(suppressions.c.email).where(
                    suppressions.c.email.in_(wanted[start : start + _IN_BATCH])
                )
                found.update(row[0] for row in connection.execute(query))
        return found

    def suppression(self, email: str) -> Suppression | None:
        """The list's entry for this address (any capitals), or None."""
        with self.engine.begin() as connection:
            return _find(connection, person_key(email))

    def suppression_list(self, *, limit: int | None = None) -> list[Suppression]:
        """The list, newest first."""
        query = suppressions.select().order_by(suppressions.c.at.desc(), suppressions.c.email)
        if limit is not None:
            query = query.limit(limit)
        with self.engine.begin() as connection:
            return [_suppression(row) for row in connection.execute(query)]

    def suppression_count(self) -> int:
        with self.engine.begin() as connection:
            return int(
                connection.execute(
                    sa.select(sa.func.count()).select_from(suppressions)
                ).scalar_one()
            )


# Addresses per IN (...) list: well under SQLite's bound-parameter limit.
_IN_BATCH = 500


def _find(connection: Connection, key: str) -> Suppression | None:
    row = connection.execute(suppressions.select().where(suppressions.c.email == key)).first()
    return None if row is None else _suppression(row)


def _suppression(row: sa.Row[Any]) -> Suppression:
    return Suppression(
        email=row.email,
        customer_id=None if row.customer_id is None else int(row.customer_id),
        reason=row.reason,
        at=cast(datetime, utc(row.at)),
    )
