"""Slack event ids in the state store, on SQLite and on real PostgreSQL: each id is taken once,
however many callers (threads, or stores as separate replicas would hold) try at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from threading import Barrier

import sqlalchemy as sa

from integrations.statestore import StateStore
from integrations.statestore.tables import slack_events

RETENTION = timedelta(hours=1)


def test_an_event_id_is_taken_by_the_first_caller_only(store: StateStore) -> None:
    assert store.take_slack_event("event:Ev0001", retention=RETENTION) is True
    assert store.take_slack_event("event:Ev0001", retention=RETENTION) is False
    assert store.take_slack_event("event:Ev0002", retention=RETENTION) is True


def test_of_many_replicas_taking_one_event_id_at_once_exactly_one_wins(
    store: StateStore, database_url: str
) -> None:
    replicas = [StateStore(database_url) for _ in range(6)]
    start = Barrier(len(replicas))

    def take(replica: StateStore) -> bool:
        start.wait()
        return replica.take_slack_event("event:EvSAME", retention=RETENTION)

    try:
        with ThreadPoolExecutor(len(replicas)) as pool:
            won = list(pool.map(take, replicas))
    finally:
        for replica in replicas:
            replica.close()
    assert won.count(True) == 1
    assert store.take_slack_event("event:EvSAME", retention=RETENTION) is False


def test_ids_older_than_the_retention_are_pruned_and_newer_ones_kept(store: StateStore) -> None:
    start = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    assert store.take_slack_event("event:EvOLD", retention=RETENTION, at=start)
    half_later = start + RETENTION / 2
    assert store.take_slack_event("event:EvMID", retention=RETENTION, at=half_later)
    later = start + RETENTION + timedelta(minutes=5)
    assert store.take_slack_event("event:EvNEW", retention=RETENTION, at=later)
    with store.engine.connect() as connection:
        kept = set(connection.execute(sa.select(slack_events.c.event_key)).scalars())
    assert kept == {"event:EvMID", "event:EvNEW"}
    # Within its retention, an id is still refused; once pruned, it may be taken again.
    assert not store.take_slack_event("event:EvMID", retention=RETENTION, at=later)
    assert store.take_slack_event("event:EvOLD", retention=RETENTION, at=later)


def test_a_key_longer_than_the_column_is_kept_as_a_digest_and_still_taken_once(
    store: StateStore,
) -> None:
    long_key = "event:" + "x" * 400
    assert store.take_slack_event(long_key, retention=RETENTION) is True
    assert store.take_slack_event(long_key, retention=RETENTION) is False
    assert store.take_slack_event(long_key + "y", retention=RETENTION) is True
