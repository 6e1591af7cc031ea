"""What every command shares: building services, and turning expected errors into one line."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import typer
from pydantic import ValidationError
from rich.console import Console

from agents.finance import FinanceError
from agents.insights import InsightsError
from agents.support import SupportError
from controlroom.services import Services, build_services
from controlroom.settings import Settings
from integrations.email import EmailError
from integrations.importers import ImportRejectedError
from integrations.statestore import StateStoreError
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
    except (PolicyError, PromptError) as error:
        errors.print(f"[red]configuration error:[/] {error}", highlight=False)
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
        errors.print(f"[red]error:[/] {error}", highlight=False)
        raise typer.Exit(1) from None
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        errors.print(
            f"[red]configuration error:[/] environment variable {first['loc'][0]}: {first['msg']}",
            highlight=False,
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
