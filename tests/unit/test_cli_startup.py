"""Start-up stays light: ``controlroom --help`` costs about what Typer costs.

Every command module imports its heavy libraries inside the command that uses them, so the help
of every command, and the import of ``controlroom.cli``, load no database driver, model client,
vector store or numerical library. The import is checked in a fresh interpreter (this test
process has loaded them all long ago).
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from typing import get_args

import click
import pytest
import typer
from typer.testing import CliRunner

from controlroom.cli import _common, app

# What the issue names, and what else a command that only prints help has no use for (not
# pydantic: Typer itself uses it to read some arguments).
HEAVY = (
    "openai",
    "chromadb",
    "psycopg",
    "scipy",
    "statsmodels",
    "langgraph",
    "duckdb",
    "numpy",
    "sqlalchemy",
    "matplotlib",
    "onnxruntime",
    "uvicorn",
    "slack_bolt",
    "sendgrid",
    "celery",
    "kombu",
    "redis",
)

_EVERY_HELP = """
import json, sys
from typer.main import get_command
from typer.testing import CliRunner
from controlroom.cli import app

runner = CliRunner()
root = get_command(app)
paths = [[]]
for name, group in root.commands.items():
    paths.append([name])
    paths.extend([name, sub] for sub in getattr(group, "commands", {}))
for path in paths:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, (path, result.output)
print(json.dumps({"helps": len(paths), "modules": sorted(sys.modules)}))
"""


def _fresh(code: str) -> tuple[int, set[str]]:
    """Run ``code`` in a new interpreter: the helps it printed and the packages it loaded."""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    found = json.loads(done.stdout)
    return int(found["helps"]), {str(name).split(".")[0] for name in found["modules"]}


def test_importing_the_cli_loads_nothing_heavy() -> None:
    _, modules = _fresh(
        "import json, sys, controlroom.cli; "
        "print(json.dumps({'helps': 0, 'modules': sorted(sys.modules)}))"
    )

    assert [name for name in HEAVY if name in modules] == []


def test_every_help_loads_nothing_heavy() -> None:
    helps, modules = _fresh(_EVERY_HELP)

    assert helps > 30  # every command's help, not one
    assert [name for name in HEAVY if name in modules] == []


def test_the_weekly_digests_modules_load_no_planner_and_no_migrations() -> None:
    # What ``run weekly-gtm`` imports: the digest plans nothing, and a migrated state store
    # needs no Alembic (``StateStore.migrate`` loads it only for a database behind head).
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, sys, controlroom.team, controlroom.services, workflows.weekly_gtm, "
            "workflows.digest_render; print(json.dumps(sorted(sys.modules)))",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    modules = set(json.loads(loaded.stdout))

    assert "agents.planner" not in modules
    assert "alembic" not in modules


@pytest.mark.parametrize(
    "table", [*_common._CONFIGURATION_ERRORS, *_common._USER_ERRORS], ids=lambda t: t[1]
)
def test_each_expected_error_is_where_the_cli_looks_for_it(table: tuple[str, str]) -> None:
    module, name = table

    found = getattr(importlib.import_module(module), name)

    assert isinstance(found, type) and issubclass(found, Exception)


def test_an_expected_error_is_one_line_and_its_exit_code() -> None:
    from agents.finance import FinanceError
    from policies import PolicyError

    for error, code in ((FinanceError("no weeks of revenue"), 1), (PolicyError("bad cap"), 2)):
        with pytest.raises(typer.Exit) as stopped, _common.user_errors():
            raise error
        assert stopped.value.exit_code == code


def test_an_unexpected_error_is_not_swallowed() -> None:
    with pytest.raises(KeyError), _common.user_errors():
        raise KeyError("a bug")


def _help(*path: str) -> str:
    result = CliRunner().invoke(app, [*path, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    return " ".join(click.unstyle(result.output).split())


def test_the_written_out_help_texts_match_their_sources() -> None:
    from agents.finance.forecast import MAX_HORIZON, MIN_HORIZON
    from integrations.importers import IMPORTABLE_TABLES
    from integrations.statestore import EmailStatus

    tables = _help("data", "import")
    assert all(table in tables for table in IMPORTABLE_TABLES)
    assert f"({MIN_HORIZON}–{MAX_HORIZON})" in _help("finance", "forecast")
    statuses = _help("outbox", "list")
    assert all(status in statuses for status in get_args(EmailStatus))


_HEAVY_IMPORTS = """
import gc, json
from controlroom.cli._common import heavy_imports

with heavy_imports():
    collecting_inside = gc.isenabled()
    import workflows.weekly_gtm
after = gc.isenabled()
frozen = gc.get_freeze_count()
gc.disable()
with heavy_imports():
    pass
print(json.dumps([collecting_inside, after, frozen, gc.isenabled()]))
"""


def test_heavy_imports_run_without_the_collector_and_are_frozen_after() -> None:
    # In a fresh interpreter: freezing this test process's objects would outlast the test.
    done = subprocess.run(
        [sys.executable, "-c", _HEAVY_IMPORTS],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    collecting_inside, after, frozen, after_disabled = json.loads(done.stdout)

    assert (collecting_inside, after) == (False, True)
    assert frozen > 100_000  # the libraries' objects, left out of every later collection
    assert after_disabled is False  # a collector someone had turned off stays off
