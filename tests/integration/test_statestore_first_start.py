"""Several processes starting together on an empty state store: one migrates, none fails."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory

from integrations.statestore import StateStore
from integrations.statestore.tables import runs

PROCESSES = 3
ROUNDS = 5
REPO = Path(__file__).resolve().parents[2]
MIGRATIONS = REPO / "integrations" / "statestore" / "migrations"

# One process starting: import, say it is ready, wait for the starting gun, then do what the
# composition root does (migrate), record a run, and open the workflows' checkpointer (its own
# tables are created on first use).
_FIRST_START = """
import sys, time
from pathlib import Path
from integrations.statestore import StateStore
from workflows.runtime import open_checkpointer

url, folder, name = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
(folder / f"ready-{name}").touch()
while not (folder / "go").exists():
    time.sleep(0.005)
store = StateStore(url)
store.migrate()
store.start_run("weekly_gtm", started_by=name, trigger="cli")
store.close()
with open_checkpointer(url):
    pass
"""


def _head() -> str:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def _start_together(url: str, folder: Path) -> list[subprocess.CompletedProcess[str]]:
    """Start PROCESSES processes on ``url`` and release them at the same moment."""
    folder.mkdir(parents=True)
    started = [
        subprocess.Popen(
            [sys.executable, "-c", _FIRST_START, url, str(folder), f"p{index}"],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for index in range(PROCESSES)
    ]
    while len(list(folder.glob("ready-*"))) < PROCESSES:
        assert all(process.poll() is None for process in started), "a process died before go"
        time.sleep(0.01)
    (folder / "go").touch()
    finished = []
    for process in started:
        stdout, stderr = process.communicate(timeout=120)
        finished.append(
            subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
        )
    return finished


def _assert_all_started(url: str, finished: list[subprocess.CompletedProcess[str]]) -> None:
    for result in finished:
        assert result.returncode == 0, result.stderr
    store = StateStore(url)
    try:
        with store.engine.connect() as connection:
            version = connection.execute(sa.text("SELECT version_num FROM alembic_version"))
            assert [row[0] for row in version] == [_head()]
            started_by = connection.execute(sa.select(runs.c.started_by)).scalars().all()
        assert sorted(started_by) == [f"p{index}" for index in range(PROCESSES)]
    finally:
        store.close()


@pytest.mark.slow
@pytest.mark.parametrize("round_", range(ROUNDS))
def test_three_processes_starting_together_on_an_empty_sqlite_file_all_start(
    tmp_path: Path, round_: int
) -> None:
    url = f"sqlite:///{tmp_path / 'var' / 'state.db'}"
    _assert_all_started(url, _start_together(url, tmp_path / "gun"))


@pytest.mark.slow
@pytest.mark.parametrize("round_", range(ROUNDS))
def test_three_processes_starting_together_on_an_empty_postgres_database_all_start(
    tmp_path: Path, round_: int, postgres_database_url: str
) -> None:
    _assert_all_started(
        postgres_database_url, _start_together(postgres_database_url, tmp_path / "gun")
    )


def _open_when_told(url: str, gun: str) -> None:
    """One process: wait for the gun, then open the store's first connection (a refusal is
    its traceback on stderr and exit code 1)."""
    store = StateStore(url)
    while not Path(gun).exists():
        pass
    with store.engine.connect() as connection:
        connection.execute(sa.text("SELECT 1"))
    store.close()


@pytest.mark.slow
def test_processes_opening_a_new_sqlite_file_at_the_same_instant_all_connect(
    tmp_path: Path,
) -> None:
    """The first connection switches a new file to WAL; SQLite refuses the switch at once (no
    busy wait) to one of two processes doing it at the same instant: a few in a hundred here."""
    context = multiprocessing.get_context("fork")
    for round_ in range(100):
        folder = tmp_path / str(round_)
        folder.mkdir()
        url, gun = f"sqlite:///{folder / 'state.db'}", str(folder / "go")
        started = [
            context.Process(target=_open_when_told, args=(url, gun)) for _ in range(PROCESSES)
        ]
        for process in started:
            process.start()
        time.sleep(0.02)
        Path(gun).touch()
        for process in started:
            process.join(timeout=60)
        assert [process.exitcode for process in started] == [0] * PROCESSES, f"round {round_}"
