"""``controlroom insights``: RFM segments and movements, churn risk, cohort retention."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich import box
from rich.table import Table

from controlroom.cli._common import console, parse_day, services, user_errors
from controlroom.cli._markup import cells, literal, markup

if TYPE_CHECKING:
    import duckdb
    import numpy as np

    from agents.insights.churn import ChurnModel, ChurnScores
    from agents.insights.cohorts import CohortRetention
    from agents.insights.rfm import RFMResult, SegmentMovements

app = typer.Typer(
    help="Customer insights: RFM segments, churn risk, cohort retention.", no_args_is_help=True
)

_AS_OF_HELP = "Analyse as of this day (YYYY-MM-DD), ignoring later orders; default: the last order."
_JSON_HELP = "Print JSON instead of tables."
# P(alive) bands for the churn summary: [low, high).
_ALIVE_BANDS = (0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0000001)


@app.command()
def rfm(
    as_of: str = typer.Option(None, "--as-of", help=_AS_OF_HELP, show_default=False),
    since: str = typer.Option(
        None,
        "--since",
        help="Show segment movements since this day; default: 7 days before --as-of.",
        show_default=False,
    ),
    json_output: bool = typer.Option(False, "--json", help=_JSON_HELP),
) -> None:
    """Customers by RFM segment: sizes, revenue share, and who moved between segments."""
    from agents.insights import NoOrdersError
    from agents.insights.history import customer_history
    from agents.insights.rfm import movements_between, score_rfm

    with user_errors(), services() as built:
        policy = built.policies.rfm
        with built.warehouse.connect() as connection:
            day = _as_of(connection, as_of)
            start = parse_day(since, "--since") if since else day - timedelta(days=7)
            if start >= day:
                raise typer.BadParameter("must be before --as-of", param_hint="--since")
            result = score_rfm(customer_history(connection, day), policy)
            try:
                before = score_rfm(customer_history(connection, start), policy)
            except NoOrdersError:
                movements = None
            else:
                movements = movements_between(before, result)
    if json_output:
        _echo_json(_rfm_facts(result, movements))
        return
    _print_rfm(result, movements)


@app.command()
def churn(
    as_of: str = typer.Option(None, "--as-of", help=_AS_OF_HELP, show_default=False),
    model: str = typer.Option(
        None,
        "--model",
        help="mbg_nbd or bg_nbd; default: policies/rfm.yaml churn.model.",
        show_default=False,
    ),
    horizon_days: int = typer.Option(
        None,
        "--horizon-days",
        min=1,
        max=3650,
        help="Days ahead for expected purchases; default: churn.horizon_days.",
        show_default=False,
    ),
    json_output: bool = typer.Option(False, "--json", help=_JSON_HELP),
) -> None:
    """P(alive), expected purchases and expected value (BG/NBD or MBG/NBD with Gamma-Gamma)."""
    from agents.insights.churn import churn_scores
    from agents.insights.history import customer_history
    from agents.insights.rfm import score_rfm
    from policies import ChurnPolicy

    with user_errors(), services() as built:
        policy = built.policies.rfm
        churn_policy = ChurnPolicy(
            model=_model(model) if model else policy.churn.model,
            horizon_days=horizon_days or policy.churn.horizon_days,
        )
        with built.warehouse.connect() as connection:
            history = customer_history(connection, _as_of(connection, as_of))
        scores = churn_scores(history, churn_policy)
        segments = score_rfm(history, policy)
    facts = _churn_facts(scores, segments)
    if json_output:
        _echo_json(facts)
        return
    _print_churn(facts)


@app.command()
def cohorts(
    as_of: str = typer.Option(None, "--as-of", help=_AS_OF_HELP, show_default=False),
    months: int = typer.Option(12, min=1, max=120, help="Months since first order to show."),
    latest: int = typer.Option(12, "--cohorts", min=1, max=240, help="Latest cohorts to show."),
    png: str = typer.Option(
        None, "--png", help="Also write a retention heatmap PNG here.", show_default=False
    ),
    json_output: bool = typer.Option(False, "--json", help=_JSON_HELP),
) -> None:
    """Monthly acquisition cohorts: the share still ordering N months after their first order."""
    from agents.insights.cohorts import retention_from_history, retention_heatmap_png
    from agents.insights.history import customer_history

    with user_errors(), services() as built:
        with built.warehouse.connect() as connection:
            history = customer_history(connection, _as_of(connection, as_of))
        retention = retention_from_history(history)
    if png is not None:
        Path(png).write_bytes(
            retention_heatmap_png(retention, max_cohorts=latest, max_months=months + 1)
        )
    if json_output:
        _echo_json(_cohort_facts(retention))
        return
    _print_cohorts(retention, months=months, latest=latest)
    if png is not None:
        console.print(markup("Heatmap written to {png}", png=png))


def _as_of(connection: duckdb.DuckDBPyConnection, text: str | None) -> date:
    from agents.insights.history import last_order_date

    return parse_day(text, "--as-of") if text else last_order_date(connection)


def _model(text: str) -> ChurnModel:
    if text == "mbg_nbd":
        return "mbg_nbd"
    if text == "bg_nbd":
        return "bg_nbd"
    raise typer.BadParameter(f"{text!r}: expected mbg_nbd or bg_nbd", param_hint="--model")


def _money(amount: float) -> str:
    """Dollars in a few characters: $845, $12.3K, $4.56M."""
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(amount) >= scale:
            return f"${amount / scale:.3g}{suffix}"
    return f"${amount:,.0f}"


def _echo_json(facts: dict[str, Any]) -> None:
    typer.echo(json.dumps(facts, indent=2))


# --- RFM -----------------------------------------------------------------------------------------


def _rfm_facts(result: RFMResult, movements: SegmentMovements | None) -> dict[str, Any]:
    return {
        "as_of": result.as_of.isoformat(),
        "customers": result.customers.num_rows,
        "segments": [
            {
                "segment": s.segment,
                "customers": s.customers,
                "customer_share": round(s.customer_share, 4),
                "revenue": round(s.revenue, 2),
                "revenue_share": round(s.revenue_share, 4),
                "mean_days_since_last_order": round(s.mean_days_since_last_order, 1),
                "mean_orders": round(s.mean_orders, 2),
                "mean_revenue": round(s.mean_revenue, 2),
            }
            for s in result.segments
        ],
        "movements": None
        if movements is None
        else {
            "since": movements.start.isoformat(),
            "changes": [
                {"from": m.from_segment, "to": m.to_segment, "customers": m.customers}
                for m in movements.changes
            ],
        },
    }


def _print_rfm(result: RFMResult, movements: SegmentMovements | None) -> None:
    table = Table(
        title=f"RFM segments as of {result.as_of:%d %b %Y} "
        f"({result.customers.num_rows:,} customers)"
    )
    for column in (
        "Segment",
        "Customers",
        "Share",
        "Revenue",
        "Revenue share",
        "Days since order",
        "Orders",
    ):
        table.add_column(column, justify="left" if column == "Segment" else "right")
    for s in result.segments:
        table.add_row(
            literal(s.segment),
            f"{s.customers:,}",
            f"{s.customer_share:.1%}",
            _money(s.revenue),
            f"{s.revenue_share:.1%}",
            f"{s.mean_days_since_last_order:,.0f}",
            f"{s.mean_orders:.1f}",
        )
    console.print(table)
    if movements is None:
        console.print("No movements: there were no orders at the start date.")
        return
    moves = Table(title=f"Largest segment movements since {movements.start:%d %b %Y}")
    for column in ("From", "To", "Customers"):
        moves.add_column(column, justify="right" if column == "Customers" else "left")
    for move in movements.changes[:15]:
        moves.add_row(*cells(move.from_segment, move.to_segment, f"{move.customers:,}"))
    console.print(moves)


# --- Churn ---------------------------------------------------------------------------------------


def _churn_facts(scores: ChurnScores, segments: RFMResult) -> dict[str, Any]:
    import numpy as np

    table = scores.customers
    p_alive = table.column("p_alive").to_numpy()
    purchases = table.column("expected_purchases").to_numpy()
    value = table.column("expected_value").to_numpy()
    band = np.clip(np.searchsorted(_ALIVE_BANDS, p_alive, side="right") - 1, 0, 5)
    segment = segments.customers.column("segment").combine_chunks()
    names = [str(name) for name in segment.dictionary.to_pylist()]
    codes = segment.indices.to_numpy()
    params, spend = scores.params, scores.spend_params
    return {
        "as_of": scores.as_of.isoformat(),
        "model": params.model,
        "time_unit": "days",
        "horizon_days": scores.horizon_days,
        "params": {"r": params.r, "alpha": params.alpha, "a": params.a, "b": params.b},
        "spend_params": {"p": spend.p, "q": spend.q, "gamma": spend.gamma},
        "customers": table.num_rows,
        "expected_purchases": round(float(purchases.sum()), 1),
        "expected_revenue": round(float(value.sum()), 2),
        "mean_p_alive": round(float(p_alive.mean()), 4),
        "p_alive_bands": [
            _group(f"{low:.0%}–{min(high, 1.0):.0%}", band == i, p_alive, purchases, value)
            for i, (low, high) in enumerate(zip(_ALIVE_BANDS[:-1], _ALIVE_BANDS[1:], strict=True))
        ],
        "by_segment": [
            _group(name, codes == i, p_alive, purchases, value) for i, name in enumerate(names)
        ],
    }


def _group(
    label: str, members: np.ndarray, p_alive: np.ndarray, purchases: np.ndarray, value: np.ndarray
) -> dict[str, Any]:
    count = int(members.sum())
    return {
        "group": label,
        "customers": count,
        "mean_p_alive": round(float(p_alive[members].mean()), 4) if count else None,
        "expected_purchases": round(float(purchases[members].sum()), 1),
        "expected_revenue": round(float(value[members].sum()), 2),
    }


def _print_churn(facts: dict[str, Any]) -> None:
    params, spend = facts["params"], facts["spend_params"]
    model = {"mbg_nbd": "MBG/NBD", "bg_nbd": "BG/NBD"}[facts["model"]]
    console.print(
        f"[bold]{model}[/] as of {facts['as_of']} ({facts['customers']:,} customers, time in "
        f"days): r={params['r']:.3g}, α={params['alpha']:.3g}, a={params['a']:.3g}, "
        f"b={params['b']:.3g}; Gamma-Gamma p={spend['p']:.3g}, q={spend['q']:.3g}, "
        f"γ={spend['gamma']:.3g}"
    )
    console.print(
        f"Next {facts['horizon_days']} days: {facts['expected_purchases']:,.0f} expected "
        f"purchases, ${facts['expected_revenue']:,.0f} expected revenue; "
        f"mean P(alive) {facts['mean_p_alive']:.1%}."
    )
    for title, key, first in (
        ("Customers by P(alive)", "p_alive_bands", "P(alive)"),
        ("Churn risk by RFM segment", "by_segment", "Segment"),
    ):
        table = Table(title=title)
        for column in (first, "Customers", "Mean P(alive)", "Exp. purchases", "Exp. revenue"):
            table.add_column(column, justify="left" if column == first else "right")
        for row in facts[key]:
            mean = row["mean_p_alive"]
            table.add_row(
                literal(row["group"]),
                f"{row['customers']:,}",
                "–" if mean is None else f"{mean:.1%}",
                f"{row['expected_purchases']:,.0f}",
                _money(row["expected_revenue"]),
            )
        console.print(table)


# --- Cohorts -------------------------------------------------------------------------------------


def _cohort_facts(retention: CohortRetention) -> dict[str, Any]:
    import numpy as np

    return {
        "as_of": retention.as_of.isoformat(),
        "cohorts": [
            {
                "cohort": f"{cohort:%Y-%m}",
                "customers": int(retention.sizes[i]),
                "active": [
                    int(v)
                    for v, r in zip(retention.active[i], rates, strict=True)
                    if np.isfinite(r)
                ],
                "retention": [round(float(r), 4) for r in rates if np.isfinite(r)],
            }
            for i, (cohort, rates) in enumerate(
                zip(retention.cohorts, retention.rates, strict=True)
            )
        ],
    }


def _print_cohorts(retention: CohortRetention, *, months: int, latest: int) -> None:
    import numpy as np

    table = Table(
        title=f"Retention by monthly cohort as of {retention.as_of:%d %b %Y} "
        "(share ordering in month N after the first order)",
        box=box.SIMPLE_HEAD,
        padding=(0, 0, 0, 1),
        show_edge=False,
    )
    table.add_column("Cohort", no_wrap=True, min_width=7)
    table.add_column("Size", justify="right", no_wrap=True)
    shown = min(months, retention.rates.shape[1] - 1)
    for month in range(1, shown + 1):
        table.add_column(f"M{month}", justify="right", no_wrap=True, min_width=3)
    start = max(0, len(retention.cohorts) - latest)
    for i in range(start, len(retention.cohorts)):
        rates = retention.rates[i, 1 : shown + 1]
        table.add_row(
            f"{retention.cohorts[i]:%Y-%m}",
            f"{int(retention.sizes[i]):,}",
            *("" if not np.isfinite(rate) else f"{rate:.0%}" for rate in rates),
        )
    console.print(table)
