"""What every command shares: building services, and turning expected errors into one line."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, assert_never

import typer
from rich.console import Console

from controlroom.cli._markup import markup

if TYPE_CHECKING:
    from controlroom.services import Services
    from integrations.statestore import RunRecord, RunStatus

console = Console()
# Soft wrap: an error stays one line however narrow the terminal (or a pipe, at 80 columns).
errors = Console(stderr=True, soft_wrap=True)


# The errors a person can cause or fix, by the module that defines them: exit 2 for
# configuration, 1 for the rest. They are looked up only among the modules already imported, so
# that this table costs no import: an error whose module was never imported cannot have been
# raised, and ``--help`` stays as light as Typer itself.
_CONFIGURATION_ERRORS = (
    ("policies.loader", "PolicyError"),
    ("prompts", "PromptError"),
    ("controlroom.settings", "SettingsError"),
)
_USER_ERRORS = (
    ("integrations.warehouse.warehouse", "WarehouseError"),
    ("integrations.statestore.records", "StateStoreError"),
    ("integrations.importers._exceptions", "ImportRejectedError"),
    ("agents.finance._exceptions", "FinanceError"),
    ("agents.insights._exceptions", "InsightsError"),
    ("agents.support._exceptions", "SupportError"),
    ("integrations.vectorstore._exceptions", "VectorStoreError"),
    ("workflows.approvals", "ApprovalError"),
    ("integrations.email.errors", "EmailError"),
    ("workflows.winback_audience", "WinbackTargetError"),
)


def _imported(names: tuple[tuple[str, str], ...]) -> tuple[type[BaseException], ...]:
    """The exception classes of ``names`` whose modules are imported."""
    return tuple(
        getattr(module, name)
        for module_name, name in names
        if (module := sys.modules.get(module_name)) is not None
    )


@contextmanager
def user_errors() -> Iterator[None]:
    """Print an expected error as one red line and exit non-zero: no traceback for users."""
    try:
        yield
    except Exception as error:
        if isinstance(error, _imported(_CONFIGURATION_ERRORS)):
            errors.print(markup("[red]configuration error:[/] {error}", error=error))
            raise typer.Exit(2) from None
        if isinstance(error, _imported(_USER_ERRORS)):
            errors.print(markup("[red]error:[/] {error}", error=error))
            raise typer.Exit(1) from None
        pydantic = sys.modules.get("pydantic")
        if pydantic is not None and isinstance(error, pydantic.ValidationError):
            first = error.errors(include_url=False)[0]
            errors.print(
                markup(
                    "[red]configuration error:[/] environment variable {name}: {problem}",
                    name=first["loc"][0],
                    problem=first["msg"],
                )
            )
            raise typer.Exit(2) from None
        raise


@contextmanager
def services() -> Iterator[Services]:
    """Settings from the environment, then the composition root; closed when the command ends."""
    from controlroom.services import build_services
    from controlroom.settings import Settings

    built = build_services(Settings())
    try:
        yield built
    finally:
        built.close()


@contextmanager
def heavy_imports() -> Iterator[None]:
    """Import a command's libraries with the cyclic garbage collector paused, then freeze them.

    Imports make hundreds of thousands of objects that live until the process ends and almost no
    garbage, yet each full collection on the way walks all of them, and every later one again:
    about 0.5 s of the 3.8 s of CPU a 5,000-customer weekly digest took. Frozen
    (``gc.freeze``), they are left out of every later collection.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if collecting:
            gc.enable()


def parse_day(text: str, option: str) -> date:
    """A ``YYYY-MM-DD`` option value, or a usage error naming the option."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not a date like 2026-11-22", param_hint=option
        ) from None


# A command that ran a workflow exits with its run's status, so a script or a scheduler can tell
# a partial digest from a whole one (the README's table lists the codes); 2 stays for
# configuration and usage errors.
EXIT_FAILED = 1
EXIT_PARTIAL = 3


def run_exit_code(status: RunStatus) -> int:
    """The exit code of a command whose run ended with ``status``: 0 succeeded, waiting for a
    person's decision or rejected by one (a decision, not an error), 1 failed, 3 partial."""
    match status:
        case "succeeded" | "paused" | "running" | "rejected":
            return 0
        case "failed":
            return EXIT_FAILED
        case "partial":
            return EXIT_PARTIAL
    assert_never(status)


def exit_with_run_status(run: RunRecord) -> None:
    """End a command with its run's exit code, saying on stderr in one line why a run is
    partial or failed."""
    if run.status in ("partial", "failed"):
        line = "[yellow]run partial:[/]" if run.status == "partial" else "[red]run failed:[/]"
        why = run.error or "no reason recorded"
        errors.print(markup(line + " {why} ({run})", why=why, run=run.run_id[:8]))
    code = run_exit_code(run.status)
    if code:
        raise typer.Exit(code)
