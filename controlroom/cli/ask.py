"""``controlroom ask``: a free-text request, planned and answered with computed figures."""

from __future__ import annotations

import getpass
import html

import typer

from controlroom.cli._common import console, exit_with_run_status, services, user_errors
from controlroom.cli._markup import literal


def ask(
    request: str = typer.Argument(..., help='What you want to know, e.g. "who is about to churn?"'),
) -> None:
    """Ask the control room in plain words: each plan it ran is printed with its answer.

    Exit codes: 0 answered; 3 partial (a part of the question could not be answered: the
    others are printed and the reason is on stderr); 1 failed (no part could be answered) or an
    error; 2 a configuration error.
    """
    from controlroom import team

    with user_errors(), services() as built:
        result = team.ask(built, request, started_by=getpass.getuser(), trigger="cli")
        run = built.state.get_run(result.run_id)
    for part in result.parts:
        # The parts are Slack mrkdwn, escaped for Slack: shown here as the text it stands for.
        console.print(literal(part.heading), style="bold", highlight=False)
        console.print(html.unescape(part.text), markup=False, highlight=False)
        console.print()
    by = "the model" if result.planned_by == "model" else "rules"
    cost = f"cost {result.cost.usd_text}" if result.cost.calls else "offline writer, no cost"
    console.print(f"[dim]Planned by {by} · run {result.run_id[:8]} · {cost}[/]")
    exit_with_run_status(run)
