"""``controlroom approvals``: list, approve, reject, edit and resume paused runs.

The same ``ApprovalDesk`` methods the Slack buttons call: a decision is claimed once in the state
store, so a terminal and a button pressed at the same moment cannot both win.
"""

from __future__ import annotations

import getpass
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from controlroom.cli._common import console, errors, run_exit_code, services, user_errors
from controlroom.cli._markup import cells, literal, markup
from integrations.team_time import team_time

if TYPE_CHECKING:
    from controlroom.services import Services
    from workflows.proposals import Proposal
    from workflows.steps import RunOutcome

app = typer.Typer(help="Decide the runs waiting for a person.", no_args_is_help=True)

RunId = typer.Argument(..., help="The run id (or its first characters, as `list` shows them).")
As = typer.Option(None, "--as", help="Decide as this Slack user id (default: the first approver).")


def _actor(built: Services, given: str | None) -> str:
    from workflows.approvals import ApprovalError

    if given:
        return given
    approvers = built.policies.approvals.approver_user_ids
    if not approvers:
        raise ApprovalError("no approver user id in policies/approvals.yaml: pass --as U…")
    return approvers[0]


def print_outcome(outcome: RunOutcome) -> None:
    """A run's state after a step: the proposal to decide, or what happened; a partial or
    failed run ends the command with its exit code."""
    short = outcome.run_id[:8]
    if outcome.status == "paused" and outcome.proposal is not None:
        print_proposal(outcome.proposal)
        console.print(
            markup(
                "[bold]Run {run} is waiting for approval:[/] controlroom approvals approve {run}"
                " | reject {run} --reason … | edit {run} …",
                run=short,
            )
        )
        return
    from workflows.proposals import SendResult

    result = outcome.result
    said = ""
    if result is not None:
        figures = result.model_dump(exclude={"kind", "version", "problem"})
        said = ", ".join(f"{k} {v}" for k, v in {"status": result.kind, **figures}.items())
    console.print(literal(f"Run {short} {outcome.status}: {said or 'done'}"))
    if outcome.status == "partial":
        problem = result.problem if isinstance(result, SendResult) else None
        why = problem or "no reason recorded"
        errors.print(markup("[yellow]run partial:[/] {why} ({run})", why=why, run=short))
    code = run_exit_code(outcome.status)
    if code:
        raise typer.Exit(code)


def print_proposal(proposal: Proposal) -> None:
    from workflows.proposals import AnswerProposal

    if isinstance(proposal, AnswerProposal):
        console.print(
            literal(
                f"{proposal.asker} asked: {proposal.question}\n"
                f"Draft (confidence {proposal.confidence:.0%}):\n{proposal.text}"
            )
        )
        return
    console.print(
        literal(
            f"Win-back as of {proposal.as_of}: {proposal.audience} customers, "
            f"{proposal.discount:.0%} off (expected profit ${proposal.expected_profit:,.2f}"
            + (f", ROI {proposal.roi:.0%})" if proposal.roi is not None else ")")
        )
    )
    if proposal.recommendation:
        console.print(literal(proposal.recommendation))
    left_out = ", ".join(f"{k} {v}" for k, v in proposal.excluded.items() if v)
    console.print(literal(f"Left out: {left_out or 'nobody'}"))
    for sample in proposal.samples:
        console.print(
            markup(
                "\n[bold]To {recipient}: {subject}[/]\n{body}",
                recipient=sample.recipient,
                subject=sample.subject,
                body=sample.body,
            )
        )


@app.command(name="list")
def list_approvals(
    show_all: bool = typer.Option(False, "--all", help="Decided ones too."),
) -> None:
    """Approvals waiting for a decision (newest first)."""
    from workflows.proposals import AnswerProposal, proposal_of

    with user_errors(), services() as built:
        rows = built.state.approvals(status=None if show_all else "pending")
        timezone = built.policies.schedule.timezone
    if not rows:
        console.print("Nothing is waiting for approval.")
        return
    table = Table()
    for column in ("Run", "Workflow", "Status", "Asked", "Summary", "Decided by"):
        table.add_column(column)
    for row in rows:
        proposal = proposal_of(row)
        what = (
            proposal.question[:60]
            if isinstance(proposal, AnswerProposal)
            else f"{proposal.audience} customers, {proposal.discount:.0%} off"
        )
        table.add_row(
            *cells(
                row.run_id[:8],
                row.workflow,
                row.status,
                team_time(row.requested_at, timezone),
                what,
                row.decided_by or "",
            )
        )
    console.print(table)


@app.command()
def approve(run_id: str = RunId, as_user: str | None = As) -> None:
    """Approve a run: it continues (a win-back sends its emails)."""
    with user_errors(), services() as built:
        outcome = built.desk.decide(run_id, "approved", _actor(built, as_user))
    print_outcome(outcome)


@app.command()
def reject(
    run_id: str = RunId,
    reason: str = typer.Option(..., "--reason", help="Why: kept in the audit log."),
    as_user: str | None = As,
) -> None:
    """Reject a run, with the reason."""
    with user_errors(), services() as built:
        outcome = built.desk.decide(run_id, "rejected", _actor(built, as_user), reason=reason)
    print_outcome(outcome)


@app.command()
def edit(
    run_id: str = RunId,
    discount: float | None = typer.Option(None, help="New discount: 15 or 0.15 for 15% off."),
    subject: str | None = typer.Option(None, help="New subject line for every email."),
    audience_cap: int | None = typer.Option(None, help="Send to at most this many customers."),
    text: str | None = typer.Option(None, help="A support answer's new text (sent as edited)."),
    as_user: str | None = As,
) -> None:
    """Change a proposal (discount, subject, audience cap; or an answer's text)."""
    edits: dict[str, Any] = {}
    if text is not None:
        edits["text"] = text
    if discount is not None:
        edits["discount"] = round(discount / 100 if discount >= 1 else discount, 4)
    if subject is not None:
        edits["subject"] = subject
    if audience_cap is not None:
        edits["audience_cap"] = audience_cap
    with user_errors(), services() as built:
        outcome = built.desk.decide(run_id, "edited", _actor(built, as_user), edits=edits)
    print_outcome(outcome)


@app.command()
def resume(run_id: str = RunId, as_user: str | None = As) -> None:
    """Continue a decided run that stopped (a crash, an email provider outage)."""
    with user_errors(), services() as built:
        outcome = built.desk.resume(run_id, _actor(built, as_user))
    print_outcome(outcome)


def cli_user() -> str:
    """Who runs the command, for the run history."""
    return getpass.getuser()
