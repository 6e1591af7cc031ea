"""A broken state database or warehouse, as a user meets it at the terminal: one line, no traceback.

Locked files are held by a real second process; read-only files use ``chattr +i`` when the tests
run as root (root ignores permission bits), else ``chmod``.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb
import psycopg
import pytest
from click.testing import Result
from typer.testing import CliRunner

from controlroom.cli import app
from integrations.statestore import StateStore
from integrations.warehouse import SampleCompanySpec, Warehouse

runner = CliRunner()


def _invoke(*args: str) -> Result:
    return runner.invoke(app, list(args), env={"COLUMNS": "400"})


def _assert_one_line(result: Result, *expected: str) -> None:
    """Refused with exit code 1 and one line naming what is wrong; no exception escaped."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: ")
    for text in expected:
        assert text in lines[0]
    assert "Traceback" not in result.output


@contextmanager
def _held_by_another_process(script: str, path: Path, tmp_path: Path) -> Iterator[None]:
    """Run ``script`` (it opens ``sys.argv[1]`` and touches ``sys.argv[2]`` when it holds it)
    in a second process for the duration of the block."""
    ready = tmp_path / "holding"
    holder = subprocess.Popen(
        [sys.executable, "-c", script, str(path), str(ready)], stderr=subprocess.PIPE, text=True
    )
    try:
        while not ready.exists():
            assert holder.poll() is None, holder.communicate()[1]
            time.sleep(0.02)
        yield
    finally:
        holder.kill()
        holder.communicate()


@contextmanager
def _read_only(path: Path) -> Iterator[None]:
    """``path`` read-only even for root (the immutable attribute), restored afterwards."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(0o644)
        return
    made = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot make a file read-only as root here: {made.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


# --- the state database (SQLite file under var/) ----------------------------------------------


@pytest.fixture
def state_file(isolated_environment: Path) -> Path:
    """The default state database, migrated, as a first start leaves it."""
    path = isolated_environment / "controlroom.db"
    store = StateStore(f"sqlite:///{path}")
    store.migrate()
    store.close()
    return path


def test_a_state_file_that_is_not_a_database_is_one_line(isolated_environment: Path) -> None:
    isolated_environment.mkdir(parents=True)
    (isolated_environment / "controlroom.db").write_text("garbage")
    _assert_one_line(
        _invoke("runs", "list"), "controlroom.db unavailable: file is not a database", "restore it"
    )


def test_a_state_file_with_a_damaged_schema_page_is_one_line(state_file: Path) -> None:
    with state_file.open("r+b") as damaged:
        damaged.seek(100)  # just past SQLite's file header: the schema table's first page
        damaged.write(b"\xa5" * 3000)
    result = _invoke("runs", "list")
    _assert_one_line(result, "controlroom.db unavailable:", "damaged")


def test_a_state_file_locked_by_another_process_is_one_line(
    state_file: Path, tmp_path: Path
) -> None:
    exclusive = (
        "import sqlite3, sys, time, pathlib\n"
        "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "db.execute('PRAGMA locking_mode=EXCLUSIVE')\n"
        "db.execute('BEGIN EXCLUSIVE')\n"
        "db.execute('SELECT count(*) FROM runs').fetchall()\n"
        "pathlib.Path(sys.argv[2]).touch()\n"
        "time.sleep(600)\n"
    )
    with _held_by_another_process(exclusive, state_file, tmp_path):
        result = _invoke("runs", "list")
    _assert_one_line(result, "controlroom.db unavailable: database is locked", "try again")


def test_a_read_only_state_file_not_yet_migrated_is_one_line(isolated_environment: Path) -> None:
    isolated_environment.mkdir(parents=True)
    path = isolated_environment / "controlroom.db"
    sqlite3.connect(path).close()  # an empty database: the first start must write the schema
    with _read_only(path):
        result = _invoke("runs", "list")
    _assert_one_line(result, "controlroom.db unavailable:", "read-only")


def test_a_read_only_state_file_still_lists_runs_but_refuses_a_write_in_one_line(
    state_file: Path,
) -> None:
    with _read_only(state_file):
        listed = _invoke("runs", "list")
        started = _invoke("run", "weekly-gtm")  # recording the run is the first write
    assert listed.exit_code == 0, listed.output
    _assert_one_line(
        started, "controlroom.db unavailable: attempt to write a readonly database", "writable"
    )


def test_a_read_only_postgres_database_is_one_line(
    monkeypatch: pytest.MonkeyPatch, postgres_server_url: str, postgres_database_url: str
) -> None:
    name = postgres_database_url.rsplit("/", 1)[1]
    with psycopg.connect(postgres_server_url, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    monkeypatch.setenv("DATABASE_URL", postgres_database_url)
    _assert_one_line(_invoke("runs", "list"), f"/{name} unavailable:", "read-only transaction")


# --- the warehouse (DuckDB file under var/) ---------------------------------------------------


@pytest.fixture(scope="module")
def warehouse_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small sample company (100 customers): the real file layout, over several blocks."""
    path = tmp_path_factory.mktemp("warehouse") / "warehouse.duckdb"
    Warehouse(path).seed(SampleCompanySpec(customers=100, seed=1, until=date(2026, 11, 22)))
    return path


@pytest.fixture
def warehouse_file(isolated_environment: Path, warehouse_template: Path) -> Path:
    """A private copy of the small warehouse at the default path."""
    isolated_environment.mkdir(parents=True, exist_ok=True)
    path = isolated_environment / "warehouse.duckdb"
    shutil.copyfile(warehouse_template, path)
    return path


def test_the_intact_small_warehouse_is_summarised(warehouse_file: Path) -> None:
    result = _invoke("data", "summary")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("content", "case"),
    [(b"garbage", "not a DuckDB file"), (b"", "an empty file"), (os.urandom(70_000), "noise")],
)
def test_a_warehouse_file_that_is_not_duckdb_is_one_line(
    isolated_environment: Path, content: bytes, case: str
) -> None:
    isolated_environment.mkdir(parents=True)
    (isolated_environment / "warehouse.duckdb").write_bytes(content)
    _assert_one_line(
        _invoke("data", "summary"),
        "warehouse.duckdb unavailable: The file exists, but it is not a valid DuckDB database file",
        "controlroom data seed",
    )


def test_a_warehouse_file_with_damaged_blocks_is_one_line(warehouse_file: Path) -> None:
    with warehouse_file.open("r+b") as damaged:
        # The start of every block after the three 4 KiB headers, the catalog's among them.
        for block in range((warehouse_file.stat().st_size - 3 * 4096) // 262_144):
            damaged.seek(3 * 4096 + block * 262_144 + 16)
            damaged.write(b"\x13" * 64)
    _assert_one_line(
        _invoke("data", "summary"), "warehouse.duckdb unavailable: Corrupt database file"
    )


def test_a_duckdb_file_that_is_not_a_warehouse_is_one_line(isolated_environment: Path) -> None:
    isolated_environment.mkdir(parents=True)
    duckdb.connect(str(isolated_environment / "warehouse.duckdb")).close()
    for command in (("data", "summary"), ("finance", "kpis")):
        _assert_one_line(
            _invoke(*command),
            "warehouse.duckdb: not a control room warehouse (none of its tables)",
            "data seed",
        )


def test_a_folder_where_the_warehouse_file_should_be_is_one_line(
    isolated_environment: Path,
) -> None:
    (isolated_environment / "warehouse.duckdb").mkdir(parents=True)
    _assert_one_line(_invoke("data", "summary"), "warehouse.duckdb unavailable:", "Is a directory")


@pytest.mark.parametrize("command", [("data", "summary"), ("finance", "kpis")])
def test_a_warehouse_held_for_writing_by_another_process_is_one_line(
    warehouse_file: Path, tmp_path: Path, command: tuple[str, ...]
) -> None:
    writer = (
        "import duckdb, sys, time, pathlib\n"
        "db = duckdb.connect(sys.argv[1])\n"
        "pathlib.Path(sys.argv[2]).touch()\n"
        "time.sleep(600)\n"
    )
    with _held_by_another_process(writer, warehouse_file, tmp_path):
        result = _invoke(*command)
    _assert_one_line(
        result,
        "warehouse.duckdb unavailable: Could not set lock on file: Conflicting lock is held",
        "try again when it has finished",
    )
