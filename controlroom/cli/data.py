"""``controlroom data``: seed the sample company, summarise and import warehouse data."""

from __future__ import annotations

from datetime import date

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from controlroom.cli._common import console, services, user_errors
from integrations.warehouse import SampleCompanySpec, last_complete_week_end

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
    with user_errors():
        last_day = _parse_day(until) if until else last_complete_week_end(date.today())
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
        f"Seeded {summary.customers:,} customers and {summary.orders:,} orders "
        f"({spec.start:%d %b %Y} – {spec.until:%d %b %Y}) into {summary.path}"
    )


@app.command()
def summary() -> None:
    """Counts, date range and revenue by year of what the warehouse holds."""
    with user_errors(), services() as built:
        figures = built.warehouse.summary()
    console.print(f"[bold]{figures.source}[/] — {figures.path}")
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


def _parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not a date like 2026-11-22", param_hint="--until"
        ) from None
