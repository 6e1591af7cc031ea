"""The audience of each proposed campaign: who it would email, as proposed.

A campaign waits for its approval for hours or days, and meanwhile another campaign may email
some of the same people; the frequency cap skips them at send. The proposal says so before
anyone approves: ``emailed_since_proposed`` counts them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from integrations.statestore.outbox import contacted_since
from integrations.statestore.records import now
from integrations.statestore.tables import outbox, proposal_audiences
from integrations.text import person_key

_INSERT_BATCH = 500


class ProposalAudiences:
    """Who each proposed campaign would email."""

    engine: Engine

    def record_audience(self, run_id: str, people: Sequence[tuple[int, str]]) -> None:
        """The (customer id, address) a run proposes to email, replacing what an earlier
        round proposed; the time stays the first round's (a person emailed elsewhere between
        the proposal and an edit is still counted)."""
        first = sa.select(sa.func.min(proposal_audiences.c.proposed_at)).where(
            proposal_audiences.c.run_id == run_id
        )
        with self.engine.connect() as connection:
            at = connection.execute(first).scalar_one_or_none() or now()
        rows = [
            {"run_id": run_id, "customer_id": int(c), "person": person_key(a), "proposed_at": at}
            for c, a in dict(people).items()
        ]
        with self.engine.begin() as connection:
            connection.execute(
                proposal_audiences.delete().where(proposal_audiences.c.run_id == run_id)
            )
            for start in range(0, len(rows), _INSERT_BATCH):
                connection.execute(proposal_audiences.insert(), rows[start : start + _INSERT_BATCH])

    def emailed_since_proposed(self, run_id: str) -> int:
        """How many of the run's proposed audience another run has emailed (or may have)
        since the proposal — by customer or by address; they will be skipped at send."""
        audience = proposal_audiences
        other = outbox.alias("other")
        elsewhere = sa.exists().where(
            (other.c.run_id != audience.c.run_id)
            & (
                (other.c.person == audience.c.person)
                | (other.c.customer_id == audience.c.customer_id)
            )
            & contacted_since(other, audience.c.proposed_at)
        )
        query = sa.select(sa.func.count()).where((audience.c.run_id == run_id) & elsewhere)
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar_one())
