"""The ``controlroom`` command: one Typer app, one sub-app per topic."""

from __future__ import annotations

import gc
import logging

import typer

from controlroom.cli import (
    approvals,
    ask,
    config,
    data,
    demo,
    exclusions,
    finance,
    insights,
    kb,
    outbox,
    run,
    runs,
    serve,
    suppress,
    worker,
)

app = typer.Typer(
    name="controlroom",
    help="Two Peaks Control Room: the GTM team's AI control room, from the terminal.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(data.app, name="data")
app.add_typer(config.app, name="config")
app.add_typer(finance.app, name="finance")
app.add_typer(insights.app, name="insights")
app.add_typer(kb.app, name="kb")
app.add_typer(run.app, name="run")
app.add_typer(runs.app, name="runs")
app.add_typer(approvals.app, name="approvals")
app.add_typer(suppress.app, name="suppress")
app.add_typer(exclusions.app, name="exclusions")
app.add_typer(outbox.app, name="outbox")
app.command(name="ask")(ask.ask)
app.command(name="serve")(serve.serve)
app.command(name="demo")(demo.demo)
app.command(name="worker")(worker.worker)


@app.callback()
def _configure(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log details.")) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    finally:
        # The process is ending: keep its objects out of the interpreter's last collection,
        # which otherwise walks everything a run made (0.8 s after a weekly digest). Services
        # and files are closed by the commands themselves, not by the collector.
        gc.freeze()
