"""``controlroom finance``: weekly KPIs, the revenue forecast and the win-back offer's ROI."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from controlroom.cli._common import console, errors, parse_day, services, user_errors
from controlroom.cli._markup import literal, markup

if TYPE_CHECKING:
    from agents.finance import (
        Metric,
        RevenueForecast,
        WeeklyKpis,
        WinbackCandidates,
        WinbackRoi,
    )
    from controlroom.services import Services

app = typer.Typer(
    help="Finance: weekly KPIs, revenue forecast, win-back ROI.", no_args_is_help=True
)

Week = Annotated[
    str | None,
    typer.Option(
        "--week",
        help="Any day of the week to report (YYYY-MM-DD); default: the last complete week.",
        show_default=False,
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print the result as JSON, not tables.")]
Chart = Annotated[
    Path | None,
    typer.Option("--chart", help="Also write the revenue chart as a PNG to this path."),
]
# The range is written out so that --help imports nothing heavy; a test holds it to
# ``agents.finance.forecast``'s MIN_HORIZON and MAX_HORIZON.
Weeks = Annotated[int, typer.Option("--weeks", help="How many weeks ahead (4–13).")]
Candidates = Annotated[
    Path | None,
    typer.Option(
        "--candidates",
        help="CSV with the columns customer_id, p_alive, expected_order_value.",
        show_default=False,
    ),
]


@app.command()
def kpis(week: Week = None, as_json: AsJson = False, chart: Chart = None) -> None:
    """Revenue, orders, customers, spend, ROAS and CAC for one week, with WoW and 4-week figures."""
    from agents.finance import revenue_chart, weekly_kpis, weekly_revenue

    day = parse_day(week, "--week") if week else None
    with user_errors(), services() as built, built.warehouse.connect() as db:
        result = weekly_kpis(db, week=day)
        if chart is not None:
            history = weekly_revenue(db, through=result.week_start)
            chart.write_bytes(revenue_chart(history, highlight_week=result.week_start))
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
    else:
        _print_kpis(result)
    if chart is not None:
        errors.print(markup("Chart written to {chart}", chart=chart))


@app.command()
def forecast(weeks: Weeks = 8, as_json: AsJson = False, chart: Chart = None) -> None:
    """Revenue forecast with an 80% prediction interval and the model's backtest error."""
    from agents.finance import forecast_revenue, revenue_chart, weekly_revenue
    from agents.finance.forecast import MAX_HORIZON, MIN_HORIZON

    if not MIN_HORIZON <= weeks <= MAX_HORIZON:
        raise typer.BadParameter(
            f"forecast between {MIN_HORIZON} and {MAX_HORIZON} weeks ahead, not {weeks}",
            param_hint="--weeks",
        )
    with user_errors(), services() as built:
        with built.warehouse.connect() as db:
            history = weekly_revenue(db)
        result = forecast_revenue(history, weeks=weeks)
        if chart is not None:
            chart.write_bytes(revenue_chart(history, forecast=result))
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
    else:
        _print_forecast(result)
    if chart is not None:
        errors.print(markup("Chart written to {chart}", chart=chart))


@app.command()
def roi(candidates: Candidates = None, as_json: AsJson = False) -> None:
    """Expected profit and ROI of each win-back discount option, and the one to send."""
    from agents.finance import winback_offer_roi

    with user_errors(), services() as built:
        audience = winback_candidates(built, candidates)
        result = winback_offer_roi(audience, built.policies.winback)
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
    else:
        _print_roi(result)


def winback_candidates(built: Services, path: Path | None) -> WinbackCandidates:
    """The win-back audience with P(alive) and expected order value per customer.

    From ``--candidates`` today. The win-back integration wires the insights agent's churn model
    in here (segments and P(alive) band from the policy, capped) for when no file is given.
    """
    from agents.finance import FinanceError

    if path is None:
        raise FinanceError(
            "no churn model is wired into the CLI yet: pass --candidates FILE.csv with columns "
            "customer_id, p_alive, expected_order_value"
        )
    return read_candidates(path)


def read_candidates(path: Path) -> WinbackCandidates:
    """Candidates from a CSV file with the columns customer_id, p_alive, expected_order_value."""
    import duckdb

    from agents.finance import FinanceError, WinbackCandidates

    if not path.is_file():
        raise FinanceError(f"{path}: no such file")
    try:
        with duckdb.connect() as reader:
            columns = reader.execute(
                "SELECT customer_id::BIGINT AS id, p_alive::DOUBLE AS p, "
                "expected_order_value::DOUBLE AS v FROM read_csv($path, header = true)",
                {"path": str(path)},
            ).fetchnumpy()
    except duckdb.Error as error:
        raise FinanceError(
            f"{path}: not a CSV with columns customer_id, p_alive, expected_order_value "
            f"({str(error).splitlines()[0]})"
        ) from None
    return WinbackCandidates.of(columns["id"], columns["p"], columns["v"])


def _print_kpis(result: WeeklyKpis) -> None:
    table = Table(
        title=f"KPIs for the week of {result.week_start:%d %b %Y} – {result.week_end:%d %b %Y}"
    )
    for column in ("KPI", "This week", "Last week", "Change", f"{result.weeks_averaged}-week avg"):
        table.add_column(column, justify="left" if column == "KPI" else "right")
    rows: list[tuple[str, Metric, str]] = [
        ("Revenue", result.revenue, "money"),
        ("Orders", result.orders, "count"),
        ("Average order value", result.average_order_value, "money"),
        ("Customers", result.customers, "count"),
        ("New customers", result.new_customers, "count"),
        ("Returning customers", result.returning_customers, "count"),
        ("Repeat rate", result.repeat_rate, "share"),
        (f"Active customers ({result.active_window_days} d)", result.active_customers, "count"),
        ("Marketing spend", result.marketing_spend, "money"),
        ("Blended ROAS", result.blended_roas, "ratio"),
        ("Blended CAC", result.blended_cac, "money"),
    ]
    for label, metric, kind in rows:
        table.add_row(label, *_metric_cells(metric, kind))
    console.print(table)

    channels = Table(title="By channel (revenue by order channel; CAC by signup channel)")
    for column in ("Channel", "Spend", "Revenue", "ROAS", "ROAS Δ", "New", "CAC", "CAC Δ"):
        channels.add_column(column, justify="left" if column == "Channel" else "right")
    for channel in result.channels:
        channels.add_row(
            literal(channel.channel),
            _format(channel.spend.value, "money"),
            _format(channel.attributed_revenue.value, "money"),
            _format(channel.roas.value, "ratio"),
            _change(channel.roas, "ratio"),
            _format(channel.new_customers.value, "count"),
            _format(channel.cac.value, "money"),
            _change(channel.cac, "money"),
        )
    console.print(channels)


def _print_forecast(result: RevenueForecast) -> None:
    console.print(markup("[bold]Model:[/] {model}", model=result.model.description))
    console.print(markup("[dim]{reason}[/]", reason=result.model.reason))
    level = f"{result.interval_level:.0%}"
    table = Table(title=f"Revenue forecast ({level} prediction interval)")
    for column in ("Week of", "Forecast", "Low", "High"):
        table.add_column(column, justify="right")
    for week in result.weeks:
        table.add_row(
            f"{week.week_start:%d %b %Y}",
            _format(week.revenue, "money"),
            _format(week.lower, "money"),
            _format(week.upper, "money"),
        )
    console.print(table)
    backtest = result.backtest
    mape = "n/a" if backtest.mape is None else f"{backtest.mape:.1%}"
    console.print(
        f"Backtest over the last {len(backtest.weeks)} weeks (model refitted without them): "
        f"MAPE {mape}; {backtest.weeks_inside_interval} of {len(backtest.weeks)} weeks inside "
        f"the {level} interval.",
        highlight=False,
    )
    if not result.converged:
        console.print("[yellow]The model's optimiser did not fully converge.[/]")


def _print_roi(result: WinbackRoi) -> None:
    audience = result.audience
    console.print(
        f"{audience.customers:,} candidates; expected alive {audience.expected_alive:,.1f} "
        f"(mean P(alive) {audience.mean_p_alive:.2f}); value at stake "
        f"{_format(audience.value_at_stake, 'money')}",
        highlight=False,
    )
    table = Table(title="Win-back offer options")
    for column in (
        "Discount",
        "Response",
        "Reactivations",
        "Margin",
        "Discount cost",
        "Sending cost",
        "Profit",
        "ROI",
    ):
        table.add_column(column, justify="right")
    for option in result.options:
        marker = "" if option.within_cap else "†"
        star = " ★" if option.discount == result.recommended_discount else ""
        table.add_row(
            f"{option.discount:.0%}{marker}{star}",
            f"{option.response_rate:.1%}",
            f"{option.expected_reactivations:,.1f}",
            _format(option.expected_margin, "money"),
            _format(option.discount_cost, "money"),
            _format(option.sending_cost, "money"),
            _format(option.expected_profit, "money"),
            _format(option.roi, "share"),
        )
    table.caption = f"★ recommended; † above the {result.assumptions.max_discount:.0%} cap"
    console.print(table)
    console.print(markup("[bold]{recommendation}[/]", recommendation=result.recommendation))
    for note in result.notes:
        console.print(markup("[dim]Note: {note}[/]", note=note))
    economics = result.assumptions
    console.print(
        f"[dim]Assumptions: gross margin {economics.gross_margin_rate:.0%}, "
        f"${economics.cost_per_email:.3f} per email, baseline order rate "
        f"{economics.baseline_order_rate:.1%}, cap {economics.max_discount:.0%}.[/]",
        highlight=False,
    )


def _metric_cells(metric: Metric, kind: str) -> tuple[str, str, str, str]:
    return (
        _format(metric.value, kind),
        _format(metric.previous, kind),
        _change(metric, kind),
        _format(metric.four_week_average, kind),
    )


def _change(metric: Metric, kind: str) -> str:
    if metric.change is None:
        return "—"
    if kind == "share":
        return f"{metric.change * 100:+.1f} pts"
    if metric.change_ratio is None:
        return _format(metric.change, kind)
    return f"{metric.change_ratio:+.1%}"


def _format(value: float | None, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "money":
        return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"
    if kind == "share":
        return f"{value:.1%}"
    if kind == "ratio":
        return f"{value:,.2f}×"
    return f"{value:,.0f}"
