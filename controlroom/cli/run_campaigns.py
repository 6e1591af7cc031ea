"""``controlroom run winback|support``: start a run; it pauses when a person must decide.

Plain command functions, registered on the ``run`` sub-app (``controlroom/cli/run.py``).
"""

from __future__ import annotations

import typer

from controlroom.cli._common import parse_day, services, user_errors
from controlroom.cli.approvals import cli_user, print_outcome


def winback(
    as_of: str | None = typer.Option(
        None, "--as-of", help="Judge customers as of this day (default: the last order's)."
    ),
    segment: str | None = typer.Option(
        None, "--segment", help="Only this one of the policy's segments, e.g. at-risk."
    ),
    days: int | None = typer.Option(
        None, "--days", help="Only customers this many days or more since their last order."
    ),
) -> None:
    """Propose a win-back campaign: audience, offer, ROI and sample emails, for approval."""
    from workflows.proposals import NobodyResult
    from workflows.winback import WORKFLOW as WINBACK
    from workflows.winback import nobody_text, start_winback
    from workflows.winback_audience import targeting

    day = parse_day(as_of, "--as-of") if as_of else None
    with user_errors(), services() as built:
        aim = targeting(built.policies.winback, segment, days)
        desk = built.desk
        outcome = start_winback(
            desk.workflows[WINBACK],
            state=built.state,
            database_url=desk.database_url,
            started_by=cli_user(),
            trigger="cli",
            as_of=day,
            aim=aim,
        )
        policy = built.policies.winback
    if isinstance(outcome.result, NobodyResult):
        typer.echo(nobody_text(outcome.result, policy))
        return
    print_outcome(outcome)


def support(
    question: str = typer.Argument(..., help="A customer's question."),
    asker: str | None = typer.Option(None, help="Who asked (default: you)."),
) -> None:
    """Answer a customer question; below the confidence threshold a person checks it first."""
    from workflows.proposals import AnsweredResult
    from workflows.support_escalation import WORKFLOW as SUPPORT
    from workflows.support_escalation import start_support

    with user_errors(), services() as built:
        desk = built.desk
        outcome = start_support(
            desk.workflows[SUPPORT],
            question,
            asker=asker or cli_user(),
            state=built.state,
            database_url=desk.database_url,
            trigger="cli",
        )
    if isinstance(outcome.result, AnsweredResult):
        typer.echo(outcome.result.text)
    print_outcome(outcome)
