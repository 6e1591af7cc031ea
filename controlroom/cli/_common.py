"""What every command shares: building services, and turning expected errors into one line."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import assert_never

import typer
from pydantic import ValidationError
from rich.console import Console

from agents.finance import FinanceError
from agents.insights import InsightsError
from agents.support import SupportError
from controlroom.cli._markup import markup
from controlroom.services import Services, build_services
from controlroom.settings import Settings, SettingsError
from integrations.email import EmailError
from integrations.importers import ImportRejectedError
from integrations.statestore import RunRecord, RunStatus, StateStoreError
from integrations.vectorstore import VectorStoreError
from integrations.warehouse import WarehouseError
from policies import PolicyError
from prompts import PromptError
from workflows.approvals import ApprovalError
from workflows.winback import WinbackTargetError

console = Console()
# Soft wrap: an error stays one line however narrow the terminal (or a pipe, at 80 columns).
errors = Console(stderr=True, soft_wrap=True)


@contextmanager
def user_errors() -> Iterator[None]:
    """Print an expected error as one red line and exit non-zero: no traceback for users."""
    try:
        yield
    except (PolicyError, PromptError, SettingsError) as error:
        errors.print(markup("[red]configuration error:[/] {error}", error=error))
        raise typer.Exit(2) from None
    except (
        WarehouseError,
        StateStoreError,
        ImportRejectedError,
        FinanceError,
        InsightsError,
        SupportError,
        VectorStoreError,
        ApprovalError,
        EmailError,
        WinbackTargetError,
    ) as error:
        errors.print(markup("[red]error:[/] {error}", error=error))
        raise typer.Exit(1) from None
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        errors.print(
            markup(
                "[red]configuration error:[/] environment variable {name}: {problem}",
                name=first["loc"][0],
                problem=first["msg"],
            )
        )
        raise typer.Exit(2) from None


@contextmanager
def services() -> Iterator[Services]:
    """Settings from the environment, then the composition root; closed when the command ends."""
    built = build_services(Settings())
    try:
        yield built
    finally:
        built.close()


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
    """The exit code of a command whose run ended with ``status``: 0 succeeded (or waiting for a
    person's decision), 1 failed, 3 partial."""
    match status:
        case "succeeded" | "paused" | "running":
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
