"""Shared fixtures: an isolated environment for every test, services in one line, databases."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psycopg
import pytest
from pydantic import AliasChoices

from agents.support import COLLECTION, DEFAULT_KB_DIR, KnowledgeBase, load_chunks
from controlroom.services import Services, build_services
from controlroom.settings import Settings
from integrations.vectorstore import ChromaVectorStore, MiniLMEmbeddingFunction
from integrations.warehouse import SampleCompanySpec, Warehouse
from tests.fakes.chroma_server import ChromaServer, ChromaServerError

# The last day of the sample company's data in tests: fixed, so every figure is reproducible.
SAMPLE_UNTIL = date(2026, 11, 22)
SAMPLE_CUSTOMERS = 5_000
SAMPLE_SEED = 42

POSTGRES_URL = os.environ.get("CONTROLROOM_TEST_POSTGRES_URL", "postgresql://127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("CONTROLROOM_TEST_REQUIRE_POSTGRES") == "1"


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test sees the developer's environment, `.env` or `var/`: each gets its own folder."""
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        names = alias.choices if isinstance(alias, AliasChoices) else [alias] if alias else []
        for name in names:
            monkeypatch.delenv(str(name), raising=False)
    monkeypatch.chdir(tmp_path)
    var_dir = tmp_path / "var"
    monkeypatch.setenv("CONTROLROOM_VAR_DIR", str(var_dir))
    return var_dir


@pytest.fixture
def settings(isolated_environment: Path) -> Settings:
    return Settings()


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    """The composition root on embedded defaults, in this test's own folder."""
    built = build_services(settings)
    yield built
    built.close()


@pytest.fixture(scope="session")
def sample_warehouse_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default sample company (5,000 customers), generated once per test session."""
    path = tmp_path_factory.mktemp("sample") / "warehouse.duckdb"
    Warehouse(path).seed(
        SampleCompanySpec(customers=SAMPLE_CUSTOMERS, seed=SAMPLE_SEED, until=SAMPLE_UNTIL)
    )
    return path


@pytest.fixture
def sample_warehouse(sample_warehouse_file: Path, isolated_environment: Path) -> Warehouse:
    """A private copy of the sample company that a test may change."""
    path = isolated_environment / "warehouse.duckdb"
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(sample_warehouse_file, path)
    return Warehouse(path)


@pytest.fixture(scope="session")
def ingested_kb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped help centre ingested once per test session (the slow part: ~6 s on two
    cores). The bulk embedding may use every core; the tests then query with one thread."""
    folder = tmp_path_factory.mktemp("chroma")
    embedding = MiniLMEmbeddingFunction(threads=os.cpu_count() or 1)
    KnowledgeBase(ChromaVectorStore.persistent(folder, embedding)).ingest(
        load_chunks(DEFAULT_KB_DIR)
    )
    return folder


@pytest.fixture
def ingested_kb(ingested_kb_dir: Path, isolated_environment: Path) -> Path:
    """A private copy of the ingested help centre where the settings look for it (var/chroma),
    so a test may add answers to it."""
    folder = isolated_environment / "chroma"
    shutil.copytree(ingested_kb_dir, folder)
    return folder


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    """A real Chroma server (``chroma run``) for the session. Never skipped: the chromadb
    package installs the command, so a missing one is a broken install and fails the tests."""
    try:
        with ChromaServer(tmp_path_factory.mktemp("chroma-server")) as running:
            yield running
    except ChromaServerError as error:
        pytest.fail(str(error))


@pytest.fixture
def chroma_url(chroma_server: ChromaServer) -> str:
    """The session's Chroma server, emptied for this test: its URL (``CHROMA_URL``)."""
    chroma_server.clear()
    return chroma_server.url


@pytest.fixture
def served_kb(chroma_server: ChromaServer, chroma_url: str, ingested_kb_dir: Path) -> str:
    """The ingested help centre on the Chroma server (copied, vectors and all: nothing is
    embedded again), for this test to change; the server's URL."""
    chroma_server.copy_collection(ingested_kb_dir, COLLECTION)
    return chroma_url


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    """The machine's PostgreSQL; skipped on a laptop without one, a failure in CI."""
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            pass
    except psycopg.OperationalError as error:
        message = f"PostgreSQL not reachable at {POSTGRES_URL}: {error}"
        if REQUIRE_POSTGRES:
            pytest.fail(message + " (CONTROLROOM_TEST_REQUIRE_POSTGRES=1)")
        pytest.skip(message)
    return POSTGRES_URL


@pytest.fixture
def postgres_database_url(postgres_server_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    name = f"controlroom_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = postgres_server_url.rpartition("/")
    try:
        yield f"postgresql+psycopg://{base.split('://', 1)[1]}/{name}"
    finally:
        with psycopg.connect(postgres_server_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, isolated_environment: Path) -> str:
    """Each state-store test runs on SQLite and on the machine's real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{isolated_environment / 'state.db'}"
    return str(request.getfixturevalue("postgres_database_url"))
