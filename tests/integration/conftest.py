"""Fixtures the integration suites share: a migrated state store on each backend, and the
win-back approval desk over the sample company."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from integrations.statestore import StateStore
from integrations.warehouse import Warehouse
from tests.integration._campaigns import make_desk
from workflows.approvals import ApprovalDesk, RunOutcome
from workflows.winback import start_winback


@pytest.fixture
def store(database_url: str) -> Iterator[StateStore]:
    """The state store, migrated, on SQLite and on PostgreSQL (``database_url``)."""
    built = StateStore(database_url)
    built.migrate()
    yield built
    built.close()


@pytest.fixture
def outbox(isolated_environment: Path) -> Path:
    return isolated_environment / "outbox"


@pytest.fixture
def desk(
    store: StateStore, database_url: str, sample_warehouse: Warehouse, outbox: Path
) -> ApprovalDesk:
    """The approval desk with the win-back over the sample company, sending to ``outbox``."""
    return make_desk(store, database_url, sample_warehouse.path, outbox)


def propose_winback(desk: ApprovalDesk) -> RunOutcome:
    """Start a win-back run as a tester from the command line; it pauses for approval."""
    return start_winback(
        desk.workflows["winback"],
        state=desk.state,
        database_url=desk.database_url,
        started_by="tester",
        trigger="cli",
    )
