"""Managing the suppression list: add (with its audit entry), look up, list and remove.

The send path's checks (``suppress``, ``suppressed``, ``is_suppressed``) live beside the outbox;
these are for the people and links that change the list: ``controlroom suppress`` and the
one-click unsubscribe endpoint. Addresses are kept lower-cased (``person_key``), so a campaign
skips a person whatever the capitals.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from integrations.statestore.records import StateStoreUnavailableError, now, utc
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
        with _available(self.engine) as connection:
            added = connection.execute(
                _insert_ignoring(
                    self.engine,
                    {"email": key, "customer_id": customer_id, "reason": reason, "at": now()},
                ).returning(suppressions.c.email)
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
        with _available(self.engine) as connection:
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

    def suppression(self, email: str) -> Suppression | None:
        """The list's entry for this address (any capitals), or None."""
        with _available(self.engine) as connection:
            return _find(connection, person_key(email))

    def suppression_list(self, *, limit: int | None = None) -> list[Suppression]:
        """The list, newest first."""
        query = suppressions.select().order_by(suppressions.c.at.desc(), suppressions.c.email)
        if limit is not None:
            query = query.limit(limit)
        with _available(self.engine) as connection:
            return [_suppression(row) for row in connection.execute(query)]

    def suppression_count(self) -> int:
        with _available(self.engine) as connection:
            return int(
                connection.execute(
                    sa.select(sa.func.count()).select_from(suppressions)
                ).scalar_one()
            )


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


@contextmanager
def _available(engine: Engine) -> Iterator[Connection]:
    """A transaction on ``engine``; a database that cannot be reached becomes
    ``StateStoreUnavailableError`` (one line, no traceback), not SQLAlchemy's exception."""
    try:
        with engine.begin() as connection:
            yield connection
    except sa.exc.OperationalError as error:
        raise _unavailable(engine, error) from None


def _unavailable(engine: Engine, error: sa.exc.OperationalError) -> StateStoreUnavailableError:
    reason = str(error.orig or error).strip().splitlines()[-1]
    where = engine.url.render_as_string(hide_password=True)
    return StateStoreUnavailableError(f"state store {where} unavailable: {reason}")


def _insert_ignoring(engine: Engine, values: dict[str, Any]) -> sa.Insert:
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(suppressions).values(**values).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(suppressions).values(**values).on_conflict_do_nothing()
