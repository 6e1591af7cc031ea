"""Recipients a person excluded from a proposed campaign: recorded with who and when, in the
audit log too, and read back by the send step, which never emails them (``excluded_recipients``)
and by a person asking who was left out of which campaign (``exclusions``).

A person is excluded by customer id and by address (``person_key``): the same address on
another customer record of the same run is not emailed either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from integrations.statestore.records import insert_ignoring, now, utc
from integrations.statestore.tables import audit_log, campaign_exclusions
from integrations.text import person_key

EXCLUDED_ACTION = "recipients_excluded"


@dataclass(frozen=True, slots=True)
class ExcludedRecipients:
    """Who a run must not email: by customer id and by person (trimmed, lower-cased address)."""

    customer_ids: frozenset[int]
    people: frozenset[str]

    def keeps(self, customer_id: int, address: str) -> bool:
        """Whether this email may still go (neither its customer nor its person excluded)."""
        return customer_id not in self.customer_ids and person_key(address) not in self.people


@dataclass(frozen=True, slots=True)
class Exclusion:
    """One recipient excluded from one campaign (run): who she is, who excluded her, when."""

    run_id: str
    customer_id: int
    person: str  # the address as the send step compares it: trimmed, lower-cased
    excluded_by: str
    excluded_at: datetime


class CampaignExclusions:
    """Recipients excluded from a campaign (module docstring)."""

    engine: Engine

    def exclude_recipients(
        self, run_id: str, people: Sequence[tuple[int, str]], *, by: str
    ) -> list[int]:
        """Exclude these (customer id, address) from ``run_id``'s campaign, by ``by``, and
        audit it (``recipients_excluded``: who was excluded, by whom, when) in the same
        transaction. Excluding someone again changes nothing and audits nothing; returns the
        customer ids newly excluded."""
        at = now()
        with self.engine.begin() as connection:
            already = set(
                connection.execute(
                    sa.select(campaign_exclusions.c.customer_id).where(
                        campaign_exclusions.c.run_id == run_id
                    )
                ).scalars()
            )
            fresh = [(int(c), a) for c, a in dict(people).items() if int(c) not in already]
            if not fresh:
                return []
            connection.execute(
                insert_ignoring(self.engine, campaign_exclusions),
                [
                    {
                        "run_id": run_id,
                        "customer_id": customer,
                        "person": person_key(address),
                        "excluded_by": by,
                        "excluded_at": at,
                    }
                    for customer, address in fresh
                ],
            )
            connection.execute(
                audit_log.insert().values(
                    at=at,
                    run_id=run_id,
                    actor=by,
                    action=EXCLUDED_ACTION,
                    detail={
                        "customers": [
                            {"customer_id": customer, "recipient": address}
                            for customer, address in fresh
                        ]
                    },
                )
            )
        return [customer for customer, _ in fresh]

    def excluded_recipients(self, run_id: str) -> ExcludedRecipients:
        """Who ``run_id``'s campaign must not email."""
        query = sa.select(campaign_exclusions.c.customer_id, campaign_exclusions.c.person).where(
            campaign_exclusions.c.run_id == run_id
        )
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        return ExcludedRecipients(
            customer_ids=frozenset(int(c) for c, _ in rows),
            people=frozenset(str(p) for _, p in rows),
        )

    def exclusions(self, *, run_id: str | None = None, limit: int | None = None) -> list[Exclusion]:
        """The exclusions of every campaign, or of ``run_id``'s, newest first."""
        table = campaign_exclusions
        query = table.select().order_by(
            table.c.excluded_at.desc(), table.c.run_id, table.c.customer_id
        )
        if run_id is not None:
            query = query.where(table.c.run_id == run_id)
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as connection:
            return [
                Exclusion(
                    run_id=row.run_id,
                    customer_id=int(row.customer_id),
                    person=row.person,
                    excluded_by=row.excluded_by,
                    excluded_at=cast(datetime, utc(row.excluded_at)),
                )
                for row in connection.execute(query)
            ]

    def exclusion_count(self, *, run_id: str | None = None) -> int:
        """How many recipients were excluded, from every campaign or from ``run_id``'s."""
        query = sa.select(sa.func.count()).select_from(campaign_exclusions)
        if run_id is not None:
            query = query.where(campaign_exclusions.c.run_id == run_id)
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar_one())
