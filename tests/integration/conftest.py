"""Fixtures the integration suites share: a migrated state store on each backend, the real
gspread client against the fake Sheets server, the real openai client against the fake
OpenAI-compatible server, and the win-back desk over the sample company."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import gspread
import pytest
from typer.testing import CliRunner

from integrations.llm import OpenAICompatibleModel
from integrations.statestore import StateStore
from integrations.warehouse import Warehouse
from integrations.warehouse.metrics import MetricCatalog, MetricsLayer
from tests.fakes.openai_server import FakeOpenAIServer, connect_model
from tests.fakes.sheets_server import FakeSheetsServer
from tests.integration._campaigns import make_desk
from workflows.approvals import ApprovalDesk
from workflows.steps import RunOutcome
from workflows.winback import start_winback


@pytest.fixture
def store(database_url: str) -> Iterator[StateStore]:
    """The state store, migrated, on SQLite and on PostgreSQL (``database_url``)."""
    built = StateStore(database_url)
    built.migrate()
    yield built
    built.close()


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    """The fake OpenAI-compatible server (a suite with its own ``server`` overrides it)."""
    with FakeOpenAIServer() as running:
        yield running


@pytest.fixture
def model(server: FakeOpenAIServer) -> Iterator[OpenAICompatibleModel]:
    """The real openai client connected to ``server``."""
    built = connect_model(server)
    yield built
    built.close()


@pytest.fixture
def fake_sheets() -> Iterator[FakeSheetsServer]:
    with FakeSheetsServer() as server:
        yield server


@pytest.fixture
def sheets_client(fake_sheets: FakeSheetsServer) -> Iterator[gspread.Client]:
    """The real gspread client, its requests sent to the fake instead of Google."""
    session = fake_sheets.session()
    yield gspread.Client(auth=None, session=session)  # type: ignore[arg-type]
    session.close()


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


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """The CLI over this test's state database, wide enough that no column is cut."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    return CliRunner(env={"COLUMNS": "300"})


@pytest.fixture
def state(store: StateStore) -> StateStore:
    """This test's state database (``store``), migrated; the CLI fixture reads the same one."""
    return store


@pytest.fixture(scope="module")
def connection(sample_warehouse_file: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the sample company's warehouse, opened once per module."""
    with Warehouse(sample_warehouse_file).connect() as opened:
        yield opened


@pytest.fixture(scope="module")
def layer() -> MetricsLayer:
    """The metrics layer over the shipped catalog, built once per module."""
    return MetricsLayer(MetricCatalog.load())
