"""``controlroom config``: show the effective configuration and which adapters are real."""

from __future__ import annotations

import typer
from pydantic import SecretStr
from rich.table import Table
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from controlroom.adapters import adapter_choices
from controlroom.cli._common import console, services, user_errors
from controlroom.services import Services

app = typer.Typer(help="Configuration: settings, policies, adapters.", no_args_is_help=True)


@app.command()
def check() -> None:
    """Validate policies and prompts, then print the configuration with secrets masked."""
    with user_errors(), services() as built:
        _print_configuration(built)


def _print_configuration(built: Services) -> None:
    settings = built.settings
    table = Table(title="Settings (environment and .env)")
    table.add_column("Variable")
    table.add_column("Value")
    for name, field in type(settings).model_fields.items():
        value = getattr(settings, name)
        shown = "[dim]not set[/]" if value is None else _mask(value)
        table.add_row(str(field.validation_alias or name).upper(), shown)
    table.add_row("[dim]state store URL in use[/]", _mask_url(settings.effective_database_url))
    table.add_row("[dim]warehouse file in use[/]", str(settings.effective_warehouse_path))
    console.print(table)

    adapters = Table(title="Adapters")
    adapters.add_column("Adapter")
    adapters.add_column("In use")
    adapters.add_column("Kind")
    for choice in adapter_choices(settings):
        kind = "[green]real[/]" if choice.real else "[cyan]embedded default[/]"
        adapters.add_row(choice.adapter, choice.description, kind)
    console.print(adapters)

    policies = built.policies
    console.print(
        f"Policies OK ({settings.policies_dir}): digest {policies.schedule.weekly_digest.cron!r} "
        f"in {policies.schedule.timezone}; support threshold "
        f"{policies.support.confidence_threshold}; win-back cap {policies.winback.audience_cap}."
    )
    console.print(f"Prompts OK ({settings.prompts_dir}): {', '.join(sorted(built.prompts))}.")


def _mask(value: object) -> str:
    if isinstance(value, SecretStr):
        secret = value.get_secret_value()
        if "://" in secret:
            return _mask_url(secret)
        return f"{secret[:4]}…{'*' * 6}" if len(secret) > 8 else "******"
    return str(value)


def _mask_url(url: str) -> str:
    """Hide the password in ``scheme://user:password@host/...``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "******"
