"""``controlroom runs``: the run history — what ran, who started it and how, how it ended
(succeeded, partial, rejected, failed, paused, running) and what it cost; with a task queue
(``REDIS_URL``), the tasks queued, running (retried when delivered again) or given up, and the
worker (``host:pid``) each ran in."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from controlroom.cli._common import console, services, user_errors
from controlroom.cli._markup import cells, markup
from integrations.team_time import team_time

if TYPE_CHECKING:
    from integrations.statestore import RunRecord, StateStore, TaskRecord, TaskStatus


app = typer.Typer(
    help="The run history: status, who started each run and how, timings and cost.",
    no_args_is_help=True,
)

# How far back `show` looks for a run named by the first characters of its id.
PREFIX_SEARCH_RUNS = 500


@app.command("list")
def list_runs(
    limit: Annotated[int, typer.Option("--limit", help="How many runs, newest first.")] = 20,
    workflow: Annotated[
        str | None, typer.Option("--workflow", help="Only this workflow, e.g. weekly_gtm.")
    ] = None,
) -> None:
    """The most recent runs, newest first."""
    from integrations.llm import format_usd

    with user_errors(), services() as built:
        runs = built.state.recent_runs(limit, workflow=workflow)
        tasks = built.state.tasks_by_id({run.task_id for run in runs if run.task_id})
        waiting = built.state.recent_tasks(limit, statuses=_UNFINISHED_TASKS)
        timezone = built.policies.schedule.timezone
    if waiting:
        _print_tasks(waiting, timezone)
    if not runs:
        console.print("No runs yet. Try `controlroom run weekly-gtm`.")
        return
    # Where a run ran matters once runs go through the task queue; without a broker every run
    # ran in this machine's own workers, and 80 columns are kept for what a person reads first.
    queued = any(run.task_id for run in runs)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    columns = ("run", "workflow", "status", "by", "how", "started", "took", "cost")
    for column in (*columns, *(("worker", "task") if queued else ())):
        # The run id whole (8 characters) however narrow the terminal: it is what `show` takes.
        table.add_column(column, no_wrap=column != "by", min_width=8 if column == "run" else None)
    for run in runs:
        task = tasks.get(run.task_id) if run.task_id else None
        where = cells(run.process or "—", _deliveries(task) if task else "—") if queued else ()
        table.add_row(
            *cells(run.run_id[:8], run.workflow),
            _status(run),
            *cells(run.started_by, run.trigger),
            team_time(run.started_at, timezone),
            _took(run),
            format_usd(run.cost_usd),
            *where,
        )
    console.print(table)
    legend = "; worker: the host:pid the run ran in; task: the queue's deliveries" if queued else ""
    console.print(
        markup(
            "[dim]Times in {zone}{legend}. `controlroom runs show RUN` for one run's audit log.[/]",
            zone=timezone,
            legend=legend,
        )
    )


def _print_tasks(tasks: list[TaskRecord], timezone: str) -> None:
    """The task queue's calls not finished (queued, running, retried) or given up."""
    table = Table(title="Task queue", box=box.SIMPLE_HEAD, pad_edge=False, title_justify="left")
    for column in ("task", "work", "queue", "status", "deliveries", "worker", "queued"):
        table.add_column(column, no_wrap=True, min_width=8 if column == "task" else None)
    for task in tasks:
        table.add_row(
            *cells(task.task_id[:8], task.work.rsplit(".", 1)[-1], task.queue),
            _task_status(task),
            *cells(task.deliveries, task.worker or "—"),
            team_time(task.queued_at, timezone),
        )
    console.print(table)


@app.command()
def show(
    run_id: Annotated[str, typer.Argument(help="The run id, or its first characters.")],
) -> None:
    """One run's record and every audit entry it wrote."""
    from integrations.llm import format_usd

    with user_errors(), services() as built:
        run = find_run(built.state, run_id)
        task = built.state.task(run.task_id) if run.task_id else None
        entries = built.state.audit_entries(run_id=run.run_id)
        timezone = built.policies.schedule.timezone
    console.print(f"Run {run.run_id}", markup=False, highlight=False)
    fields = {
        "workflow": run.workflow,
        "status": run.status,
        "started by": f"{run.started_by} ({run.trigger})",
        "started": team_time(run.started_at, timezone, seconds=True),
        "finished": team_time(run.finished_at, timezone, seconds=True) if run.finished_at else "—",
        "took": _took(run),
        "tokens": f"{run.input_tokens:,} in, {run.output_tokens:,} out",
        "cost": format_usd(run.cost_usd),
        "worker": run.process or "—",
        "task": _task_line(task) if task else "— (not from the task queue)",
    }
    if run.error:
        # A partial run's note says what is missing; a failed run's says what went wrong.
        fields["reason" if run.status == "partial" else "error"] = run.error
    for name, value in fields.items():
        console.print(f"  {name:<11} {value}", markup=False, highlight=False)
    console.print(f"Audit log ({len(entries)} entries)", markup=False, highlight=False)
    for entry in entries:
        console.print(
            f"  {team_time(entry.at, timezone, seconds=True)} {entry.actor} {entry.action} "
            f"{json.dumps(entry.detail, default=str)}",
            markup=False,
            highlight=False,
        )


def find_run(state: StateStore, run_id: str, *, param_hint: str = "RUN_ID") -> RunRecord:
    """The run with this id, or the one recent run whose id starts with it; a usage error
    naming ``param_hint`` otherwise (an empty id starts every id, so it names none)."""
    from integrations.statestore import UnknownRunError

    if not run_id.strip():
        raise typer.BadParameter(
            "the run id is empty (see `controlroom runs list`)", param_hint=param_hint
        )
    try:
        return state.get_run(run_id)
    except UnknownRunError:
        pass
    matches = [r for r in state.recent_runs(PREFIX_SEARCH_RUNS) if r.run_id.startswith(run_id)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise typer.BadParameter(
            f"{len(matches)} runs start with {run_id!r}: give more characters",
            param_hint=param_hint,
        )
    raise typer.BadParameter(
        f"no run {run_id!r} (see `controlroom runs list`)", param_hint=param_hint
    )


# Rich styles for the statuses a reader must not miss.
_STATUS_STYLE = {"partial": "yellow", "failed": "red", "retried": "yellow", "given_up": "red"}
# The tasks `list` shows above the runs: those still on the queue, and those given up.
_UNFINISHED_TASKS: tuple[TaskStatus, ...] = ("queued", "running", "given_up")


def _status(run: RunRecord) -> Text:
    return Text(run.status, style=_STATUS_STYLE.get(run.status, ""))


def _took(run: RunRecord) -> str:
    if run.finished_at is None:
        return "—"
    return f"{(run.finished_at - run.started_at).total_seconds():.1f} s"


def _task_status(task: TaskRecord) -> Text:
    """A task's status; a running task delivered more than once shows as retried."""
    status = "retried" if task.status == "running" and task.retried else task.status
    return Text(status, style=_STATUS_STYLE.get(status, ""))


def _deliveries(task: TaskRecord) -> str:
    count = f"{task.deliveries} deliver{'y' if task.deliveries == 1 else 'ies'}"
    return f"{count} (retried)" if task.retried else count


def _task_line(task: TaskRecord) -> str:
    """``runs show``'s task field: the id, the work and queue, how it stands, how often sent."""
    line = f"{task.task_id} ({task.work}, {task.queue} queue): {task.status}, {_deliveries(task)}"
    return f"{line} — {task.error}" if task.error else line
