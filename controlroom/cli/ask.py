"""``controlroom ask``: a free-text request, answered by the specialists it needs."""

from __future__ import annotations

import getpass

import typer

from controlroom import team
from controlroom.cli._common import console, exit_with_run_status, services, user_errors


def ask(
    request: str = typer.Argument(..., help='What you want to know, e.g. "who is about to churn?"'),
) -> None:
    """Ask the control room in plain words; the supervisor picks the specialists.

    Exit codes: 0 answered; 3 partial (a specialist the question needed was unavailable: the
    others' answer is printed and the reason is on stderr); 1 failed (none could answer) or an
    error; 2 a configuration error.
    """
    with user_errors(), services() as built:
        result = team.ask(built, request, started_by=getpass.getuser(), trigger="cli")
        run = built.state.get_run(result.run_id)
    console.print(result.text, markup=False, highlight=False)
    who = ", ".join(result.agents) or "nobody (help)"
    by = "the model" if result.routed_by == "model" else "rules"
    cost = f"cost {result.cost.usd_text}" if result.cost.calls else "offline writer, no cost"
    console.print(f"[dim]Routed to {who} by {by} · run {result.run_id[:8]} · {cost}[/]")
    exit_with_run_status(run)
