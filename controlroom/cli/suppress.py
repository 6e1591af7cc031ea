"""``controlroom suppress``: add, list and remove addresses on the suppression list.

The same list the one-click unsubscribe links feed and every campaign checks (when it picks its
audience and again at send time). An address is checked by the shared parser and kept
lower-cased, so a later campaign skips it whatever the capitals; each change is audited.
"""

from __future__ import annotations

import getpass

import typer
from rich.table import Table
from rich.text import Text

from controlroom.cli._common import console, errors, services, user_errors
from integrations.team_time import team_time
from integrations.text import person_key, unsafe_character

# The suppression list's reason column.
MAX_REASON_CHARS = 256

app = typer.Typer(
    help="The suppression list: addresses that get no more marketing email.",
    no_args_is_help=True,
)

Email = typer.Argument(..., help="One bare email address, e.g. ana@example.com.")


def _actor() -> str:
    """Who changed the list, for the audit log."""
    return f"cli:{getpass.getuser()}"


def _reason(text: str) -> str:
    """The ``--reason`` as given, or one line saying what is wrong with it (exit 2)."""
    reason = text.strip()
    problem = None
    if not reason:
        problem = "is empty: say why, e.g. --reason 'asked by phone'"
    elif len(reason) > MAX_REASON_CHARS:
        problem = f"is over {MAX_REASON_CHARS} characters"
    elif bad := unsafe_character(reason):
        problem = f"contains {bad}: use plain text on one line"
    if problem is not None:
        errors.print(f"[red]error:[/] --reason {problem}", highlight=False)
        raise typer.Exit(2)
    return reason


@app.command()
def add(
    email: str = Email,
    reason: str = typer.Option(
        "added from the command line", "--reason", help="Why: kept with the entry."
    ),
) -> None:
    """Stop all marketing email to an address (an unsubscribe by phone, a complaint)."""
    from integrations.email.address import bare_address

    why = _reason(reason)
    with user_errors():
        address = bare_address(email)
        with services() as built:
            added = built.state.add_suppression(address, reason=why, actor=_actor())
            entry = built.state.suppression(address)
            timezone = built.policies.schedule.timezone
    assert entry is not None
    if added:
        console.print(f"Suppressed {entry.email}: {entry.reason}", highlight=False, markup=False)
    else:
        console.print(
            f"{entry.email} was already suppressed since {team_time(entry.at, timezone)}: "
            f"{entry.reason}",
            highlight=False,
            markup=False,
        )


@app.command(name="list")
def list_suppressions(
    limit: int = typer.Option(100, "--limit", min=1, help="Show at most this many, newest first."),
) -> None:
    """The suppressed addresses, newest first, with why and since when."""
    with user_errors(), services() as built:
        rows = built.state.suppression_list(limit=limit)
        total = built.state.suppression_count()
        timezone = built.policies.schedule.timezone
    if not rows:
        console.print("Nobody is suppressed.")
        return
    table = Table()
    for column in ("Email", "Customer", "Reason", "Since"):
        table.add_column(column)
    for row in rows:
        customer = "" if row.customer_id is None else str(row.customer_id)
        since = team_time(row.at, timezone)
        table.add_row(Text(row.email), customer, Text(row.reason), since)
    console.print(table)
    if total > len(rows):
        console.print(f"{len(rows)} of {total} shown: --limit {total} for all.")


@app.command()
def remove(email: str = Email) -> None:
    """Allow marketing email to an address again (only if it was suppressed by mistake)."""
    from integrations.email.address import bare_address

    with user_errors():
        address = bare_address(email)
        with services() as built:
            removed = built.state.remove_suppression(address, actor=_actor())
    if removed is None:
        console.print(f"{person_key(address)} was not suppressed.", highlight=False, markup=False)
        return
    console.print(
        f"Removed {removed.email} from the suppression list (was: {removed.reason}).",
        highlight=False,
        markup=False,
    )
