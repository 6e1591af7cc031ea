"""``controlroom data``: seed the sample company, summarise and import warehouse data."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from controlroom.cli._common import console, errors, parse_day, services, user_errors
from controlroom.cli._markup import markup

if TYPE_CHECKING:
    from controlroom.settings import Settings
    from integrations.importers import SheetSource, TableSource

app = typer.Typer(help="The warehouse: sample data, summaries and imports.", no_args_is_help=True)


@app.command()
def seed(
    customers: int = typer.Option(5_000, min=1, max=5_000_000, help="How many customers."),
    seed: int = typer.Option(42, help="Random seed: the same seed gives the same company."),
    until: str | None = typer.Option(
        None,
        help="Last day of data (YYYY-MM-DD); default: the end of last complete week.",
        show_default=False,
    ),
) -> None:
    """Generate the sample company "Two Peaks" into the warehouse (replacing what is there)."""
    from integrations.warehouse import SampleCompanySpec, last_complete_week_end

    with user_errors():
        last_day = parse_day(until, "--until") if until else last_complete_week_end(date.today())
        spec = SampleCompanySpec(customers=customers, seed=seed, until=last_day)
        with (
            services() as built,
            Progress(
                TextColumn("[bold]Seeding Two Peaks"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("customers"),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            ) as progress,
        ):
            task = progress.add_task("seed", total=customers)
            built.warehouse.seed(
                spec, on_progress=lambda done: progress.update(task, completed=done)
            )
            summary = built.warehouse.summary()
    console.print(
        markup(
            "Seeded {customers:,} customers and {orders:,} orders "
            "({start:%d %b %Y} – {until:%d %b %Y}) into {path}",
            customers=summary.customers,
            orders=summary.orders,
            start=spec.start,
            until=spec.until,
            path=summary.path,
        )
    )


@app.command()
def summary() -> None:
    """Counts, date range and revenue by year of what the warehouse holds."""
    with user_errors(), services() as built:
        figures = built.warehouse.summary()
    console.print(markup("[bold]{source}[/] — {path}", source=figures.source, path=figures.path))
    overview = Table(show_header=False, box=None)
    overview.add_row("Customers", f"{figures.customers:,}")
    overview.add_row("Marketing opt-in", f"{figures.marketing_opt_in_share:.0%}")
    overview.add_row("Orders", f"{figures.orders:,}")
    overview.add_row(
        "Orders from", f"{figures.first_order:%d %b %Y} to {figures.last_order:%d %b %Y}"
    )
    overview.add_row("Revenue", f"${figures.revenue:,.2f}")
    overview.add_row("Support tickets", f"{figures.support_tickets:,}")
    overview.add_row("Marketing spend rows", f"{figures.marketing_spend_rows:,}")
    console.print(overview)
    by_year = Table(title="Revenue by year")
    for column in ("Year", "Orders", "Revenue", "Active customers", "Avg order value"):
        by_year.add_column(column, justify="right")
    for year in figures.by_year:
        by_year.add_row(
            str(year.year),
            f"{year.orders:,}",
            f"${year.revenue:,.2f}",
            f"{year.active_customers:,}",
            f"${year.average_order_value:,.2f}",
        )
    console.print(by_year)


@app.command("import")
def import_rows(
    table: Annotated[
        # The names are written out so that --help imports nothing heavy; a test holds them
        # to ``IMPORTABLE_TABLES``.
        str,
        typer.Argument(
            help="The table to add to: customers, orders, marketing_spend or support_tickets."
        ),
    ],
    csv: Annotated[
        Path | None, typer.Option("--csv", help="A UTF-8 CSV file, header in row 1.")
    ] = None,
    sheet: Annotated[
        str | None,
        typer.Option("--sheet", help="Google spreadsheet ID (default: GOOGLE_SHEET_ID)."),
    ] = None,
    worksheet: Annotated[
        str | None, typer.Option("--worksheet", help="The worksheet's name, header in row 1.")
    ] = None,
) -> None:
    """Add the rows of a CSV file or a Google Sheets worksheet to a table: all of them or none."""
    if csv is not None and (sheet is not None or worksheet is not None):
        raise typer.BadParameter("give either --csv or --sheet/--worksheet, not both")
    if csv is None and worksheet is None:
        raise typer.BadParameter(
            "give --csv PATH, or --worksheet NAME (with --sheet ID or GOOGLE_SHEET_ID)"
        )
    from integrations.importers import CsvSource, import_table

    with user_errors(), services() as built:
        source: TableSource
        if csv is not None:
            source = CsvSource(csv)
        else:
            source = _sheet_source(built.settings, sheet, worksheet)
        result = import_table(built.warehouse, table, source)
    console.print(
        markup(
            "Imported [bold]{rows:,}[/] row{s} into {table} from {source}",
            rows=result.rows,
            s="" if result.rows == 1 else "s",
            table=result.table,
            source=result.source,
        ),
        soft_wrap=True,  # one line, however long the path: scripts grep it
    )


def _sheet_source(settings: Settings, sheet: str | None, worksheet: str | None) -> SheetSource:
    spreadsheet_id = sheet or settings.google_sheet_id
    if not spreadsheet_id:
        raise typer.BadParameter("give --sheet ID (or set GOOGLE_SHEET_ID)", param_hint="--sheet")
    if worksheet is None:
        raise typer.BadParameter("give the worksheet's name", param_hint="--worksheet")
    if settings.google_service_account_file is None:
        errors.print(
            "[red]configuration error:[/] set GOOGLE_SERVICE_ACCOUNT_FILE to a service "
            "account's JSON key file to import from Google Sheets",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(2)
    from integrations.importers import SheetSource, google_sheets_client

    client = google_sheets_client(settings.google_service_account_file)
    return SheetSource(client, spreadsheet_id, worksheet)
