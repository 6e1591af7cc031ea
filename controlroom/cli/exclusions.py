"""``controlroom exclusions``: who a reviewer excluded from which win-back campaign, by whom and
when, read-only.

An approver excludes recipients while reviewing a proposal (``workflows.winback_review``); the
send step never emails them, and the audit log has each exclusion too. This lists the state
store's record of them, newest first, times in the team's time zone.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich import box
from rich.table import Table

from controlroom.cli._common import console, services, user_errors
from controlroom.cli._markup import cells, markup
from controlroom.cli.runs import find_run
from integrations.team_time import team_time

app = typer.Typer(
    help="Recipients excluded from win-back campaigns in review: who, by whom, when.",
    no_args_is_help=True,
)


@app.command("list")
def list_exclusions(
    run: Annotated[
        str | None, typer.Option("--run", help="One campaign's run (id or its start).")
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, help="Show at most this many, newest first.")
    ] = 100,
) -> None:
    """The recipients excluded from campaigns, newest first: campaign, who, by whom, when."""
    with user_errors(), services() as built:
        found = find_run(built.state, run, param_hint="--run") if run is not None else None
        run_id = found.run_id if found else None
        rows = built.state.exclusions(run_id=run_id, limit=limit)
        total = built.state.exclusion_count(run_id=run_id)
        timezone = built.policies.schedule.timezone
    if not rows:
        if found is None:
            console.print("Nobody was excluded from a campaign.")
        else:
            console.print(
                markup(
                    "Nobody was excluded from run {run} ({workflow}).",
                    run=found.run_id[:8],
                    workflow=found.workflow,
                )
            )
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("run", "customer", "recipient", "excluded by", "when"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            *cells(
                row.run_id[:8],
                row.customer_id,
                row.person,
                row.excluded_by,
                team_time(row.excluded_at, timezone),
            )
        )
    console.print(table)
    if total > len(rows):
        console.print(
            markup(
                "{shown} of {total} shown: --limit {total} for all.", shown=len(rows), total=total
            )
        )
    console.print(markup("[dim]Times in {zone}.[/]", zone=timezone))
