"""``controlroom outbox``: a campaign's emails one by one, and a person's verdict on those in doubt.

An email is *in doubt* when the process sending it through SMTP or SendGrid stopped after handing
it over and before the provider answered: it may have been delivered. It is never re-sent by
itself; look it up at the provider by its Message-ID, then settle it: ``--sent`` (it was
delivered) or ``--resend`` (it was not: send it now, once).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, get_args

import typer
from rich import box
from rich.table import Table

from controlroom.cli._common import console, services, user_errors
from controlroom.cli._markup import cells, markup
from controlroom.cli.runs import find_run

if TYPE_CHECKING:
    from integrations.statestore import EmailStatus, OutboxEmail


app = typer.Typer(
    help="A campaign's emails, and settling the ones in doubt after a crash.",
    no_args_is_help=True,
)


@app.command("list")
def list_emails(
    run: Annotated[str | None, typer.Option("--run", help="One run (id or its start).")] = None,
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            help="Only this status: queued, sending, sent, suppressed, capped, failed, in_doubt.",
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many rows.")] = 50,
) -> None:
    """Emails in the outbox with their status, Message-ID and why they failed or are in doubt."""
    from integrations.statestore import EmailStatus

    statuses = get_args(EmailStatus)
    if status is not None and status not in statuses:
        raise typer.BadParameter(f"one of {', '.join(statuses)}", param_hint="--status")
    with user_errors(), services() as built:
        run_id = find_run(built.state, run).run_id if run else None
        rows = built.state.outbox_emails(
            run_id=run_id,
            status=status,  # type: ignore[arg-type]  # checked against statuses above
            limit=limit,
        )
        email_from = built.settings.email_from
    if not rows:
        console.print("No emails match.")
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("id", "run", "customer", "to", "status", "Message-ID", "why"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            *cells(
                row.email_id,
                row.run_id[:8],
                row.customer_id,
                row.recipient,
                row.status,
                _message_id(row, email_from),
                row.error or "",
            )
        )
    console.print(table)


@app.command()
def settle(
    email_id: Annotated[int, typer.Argument(help="The email's id, as `outbox list` shows it.")],
    sent: Annotated[bool, typer.Option("--sent", help="The provider has it: record it sent.")] = (
        False
    ),
    resend: Annotated[
        bool, typer.Option("--resend", help="It never arrived: send it now, once.")
    ] = False,
) -> None:
    """Settle an email in doubt: it was delivered (--sent) or it must go again (--resend)."""
    from workflows.sending import refresh_run_status, send_queued
    from workflows.winback import send_options

    if sent == resend:
        raise typer.BadParameter("give exactly one of --sent and --resend")
    with user_errors(), services() as built:
        verdict: EmailStatus = "sent" if sent else "queued"
        row = built.state.settle_in_doubt(
            email_id, verdict, reason="settled by a person after checking the provider"
        )
        built.state.record_audit(
            "email_settled", actor="cli", run_id=row.run_id, email_id=email_id, verdict=verdict
        )
        if resend:
            options = send_options(
                built.policies.winback,
                built.settings.email_from,
                built.unsubscribe.url_for if built.unsubscribe else None,
            )
            send_queued(built.state, row.run_id, built.email, options)
        report = refresh_run_status(built.state, row.run_id)
        (final,) = [
            e for e in built.state.outbox_emails(run_id=row.run_id) if e.email_id == email_id
        ]
        run = built.state.get_run(row.run_id)
    console.print(
        markup(
            "Email {id} to {to}: {status}. Run {run} {run_status}: {sent} sent, {doubt} in doubt, "
            "{failed} failed.",
            id=email_id,
            to=final.recipient,
            status=final.status,
            run=run.run_id[:8],
            run_status=run.status,
            sent=report.sent,
            doubt=report.in_doubt,
            failed=report.failed,
        )
    )


def _message_id(row: OutboxEmail, email_from: str) -> str:
    """The provider's id when it answered, else the deterministic Message-ID the email carries."""
    from integrations.email.message import message_id_for
    from workflows.sending import idempotency_key

    return row.provider_message_id or message_id_for(
        idempotency_key(row.run_id, row.customer_id), email_from
    )
