"""``controlroom run``: run a workflow now, as a recorded run (``controlroom runs`` lists them)."""

from __future__ import annotations

import getpass
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from controlroom.cli import run_campaigns
from controlroom.cli._common import (
    console,
    errors,
    exit_with_run_status,
    heavy_imports,
    services,
    user_errors,
)
from controlroom.cli._markup import markup

if TYPE_CHECKING:
    from controlroom.settings import Settings
    from integrations.sheets import DigestSheet

app = typer.Typer(help="Run a workflow now.", no_args_is_help=True)

AsJson = Annotated[bool, typer.Option("--json", help="Print the digest as JSON, not text.")]
Charts = Annotated[
    Path | None,
    typer.Option("--charts", help="Also copy the digest's charts (PNG) into this folder."),
]


@app.callback()
def _run() -> None:
    """Run a workflow now."""


@app.command("weekly-gtm")
def weekly_gtm(as_json: AsJson = False, charts: Charts = None) -> None:
    """The weekly GTM digest: marketing, finance, insights and support at once, one digest.

    Exit codes: 0 every section in; 3 partial (some sections unavailable, or the rows not
    written to the spreadsheet: the digest is printed and the reason is on stderr); 1 failed
    (no section could be written) or an error; 2 a configuration error.
    """
    with heavy_imports():
        from controlroom.team import team_factory
        from workflows.digest_render import digest_text
        from workflows.weekly_gtm import run_weekly_gtm

    with user_errors(), services() as built:
        digest = run_weekly_gtm(
            state=built.state,
            model=built.llm,
            team=team_factory(built, None),  # the digest needs no knowledge base
            database_url=built.settings.effective_database_url,
            charts_dir=built.settings.var_dir / "charts",
            started_by=getpass.getuser(),
            trigger="cli",
            sheet=digest_sheet(built.settings),
        )
        run = built.state.get_run(digest.run_id)
    if charts is not None:
        charts.mkdir(parents=True, exist_ok=True)
        for chart in digest.charts:
            shutil.copyfile(chart.path, charts / chart.path.name)
    if as_json:
        typer.echo(digest.model_dump_json(indent=2))
    else:
        console.print(digest_text(digest), markup=False, highlight=False)
        cost = digest.cost
        spent = f"cost ${cost.usd:.4f}" if cost.calls else "offline writer, no cost"
        console.print(f"[dim]Run {digest.run_id[:8]} · {spent}[/]")
    if charts is not None and digest.charts:
        errors.print(markup("{n} charts written to {charts}", n=len(digest.charts), charts=charts))
    exit_with_run_status(run)


def digest_sheet(settings: Settings) -> DigestSheet | None:
    """The Google Sheets worksheet for the digest's rows, when a sheet is configured.

    A key file that cannot be read costs the rows, not the digest: it is reported and the run
    goes on without the sheet.
    """
    if settings.google_service_account_file is None or not settings.google_sheet_id:
        return None
    from integrations.sheets import SheetsError
    from integrations.sheets.google import GoogleDigestSheet, google_sheets_writer_client

    try:
        client = google_sheets_writer_client(settings.google_service_account_file)
    except SheetsError as error:
        errors.print(markup("[yellow]warning:[/] digest rows not written: {error}", error=error))
        return None
    return GoogleDigestSheet(client, settings.google_sheet_id)


app.command("winback")(run_campaigns.winback)
app.command("support")(run_campaigns.support)
