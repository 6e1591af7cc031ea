"""``controlroom config``: show the effective configuration and which adapters are real."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.table import Table

from controlroom.cli._common import console, services, user_errors
from controlroom.cli._markup import cells, literal, markup
from integrations.urls import mask_url

if TYPE_CHECKING:
    from controlroom.services import Services

app = typer.Typer(help="Configuration: settings, policies, adapters.", no_args_is_help=True)


@app.command()
def check() -> None:
    """Validate policies and prompts, then print the configuration with secrets masked."""
    with user_errors(), services() as built:
        _print_configuration(built)


def _print_configuration(built: Services) -> None:
    from controlroom.adapters import adapter_choices

    settings = built.settings
    table = Table(title="Settings (environment and .env)")
    table.add_column("Variable")
    table.add_column("Value")
    for name, field in type(settings).model_fields.items():
        value = getattr(settings, name)
        shown = markup("[dim]not set[/]") if value is None else literal(_mask(value))
        table.add_row(str(field.validation_alias or name).upper(), shown)
    table.add_row(
        "[dim]state store URL in use[/]", literal(mask_url(settings.effective_database_url))
    )
    table.add_row("[dim]warehouse file in use[/]", literal(settings.effective_warehouse_path))
    console.print(table)

    adapters = Table(title="Adapters")
    adapters.add_column("Adapter")
    adapters.add_column("In use")
    adapters.add_column("Kind")
    for choice in adapter_choices(settings):
        kind = "[green]real[/]" if choice.real else "[cyan]embedded default[/]"
        adapters.add_row(*cells(choice.adapter, choice.description), kind)
    console.print(adapters)

    policies = built.policies
    console.print(
        literal(
            f"Policies OK ({settings.policies_dir}): digest "
            f"{policies.schedule.weekly_digest.cron!r} in {policies.schedule.timezone}; support "
            f"threshold {policies.support.confidence_threshold}; win-back cap "
            f"{policies.winback.audience_cap}."
        )
    )
    console.print(
        literal(f"Prompts OK ({settings.prompts_dir}): {', '.join(sorted(built.prompts))}.")
    )


def _mask(value: object) -> str:
    """A setting as it may be shown: any URL without its credentials, other secrets cut short."""
    from pydantic import SecretStr

    if isinstance(value, SecretStr):
        secret = value.get_secret_value()
        if "://" in secret:
            return mask_url(secret)
        return f"{secret[:4]}…{'*' * 6}" if len(secret) > 8 else "******"
    shown = str(value)
    return mask_url(shown) if "://" in shown else shown
