"""Every time the CLI prints is in the team's time zone (policies/schedule.yaml: America/Denver),
its zone named, daylight saving time included: ``runs list`` and ``show``, ``approvals list``
and a refusal of a decided run, ``suppress list`` and ``add``; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click
import time_machine
from typer.testing import CliRunner, Result

from controlroom.cli import app
from integrations.statestore import StateStore
from tests.proposals import winback_proposal

# 16:15:04 UTC on 20 November is 09:15:04 in Denver (MST, UTC-7); on 20 July, 10:15 (MDT, UTC-6).
WINTER = datetime(2026, 11, 20, 16, 15, 4, tzinfo=UTC)
SUMMER = datetime(2026, 7, 20, 16, 15, tzinfo=UTC)
APPROVER = "U0APPROVER"  # policies/approvals.yaml
OTHER_APPROVER = "U0OTHER"


def _lines(result: Result) -> list[str]:
    assert result.exit_code == 0, result.output
    return [" ".join(line.split()) for line in click.unstyle(result.output).splitlines()]


def _row(result: Result, start: str) -> str:
    (row,) = [line for line in _lines(result) if line.startswith(start)]
    return row


def _run_at(state: StateStore, moment: datetime, workflow: str = "weekly_gtm") -> str:
    with time_machine.travel(moment, tick=False):
        return state.start_run(workflow, started_by="tester", trigger="cli").run_id


def test_runs_list_shows_each_start_and_queued_task_in_denver_time_with_its_zone(
    cli: CliRunner, state: StateStore
) -> None:
    winter, summer = _run_at(state, WINTER), _run_at(state, SUMMER)
    with time_machine.travel(SUMMER, tick=False):
        state.queue_task("task-waiting-in-july", work="workflows.digest.run", queue="digest")

    result = cli.invoke(app, ["runs", "list"])

    assert " 2026-11-20 09:15 MST " in _row(result, winter[:8])
    assert " 2026-07-20 10:15 MDT " in _row(result, summer[:8])
    assert _row(result, "task-wai").endswith(" 2026-07-20 10:15 MDT")
    assert any(line.startswith("Times in America/Denver.") for line in _lines(result))
    assert "UTC" not in result.output


def test_runs_show_gives_the_start_the_end_and_each_audit_entry_in_denver_time(
    cli: CliRunner, state: StateStore
) -> None:
    run_id = _run_at(state, WINTER)
    with time_machine.travel(WINTER + timedelta(seconds=30), tick=False):
        state.record_audit("section_unavailable", actor="digest", run_id=run_id)
    with time_machine.travel(WINTER + timedelta(seconds=90), tick=False):
        state.finish_run(run_id, "succeeded")

    lines = _lines(cli.invoke(app, ["runs", "show", run_id[:8]]))

    assert "started 2026-11-20 09:15:04 MST" in lines
    assert "finished 2026-11-20 09:16:34 MST" in lines
    assert "2026-11-20 09:15:34 MST digest section_unavailable {}" in lines


def test_approvals_list_shows_when_each_was_asked_in_denver_time(
    cli: CliRunner, state: StateStore
) -> None:
    run_id = _run_at(state, SUMMER, "winback")
    with time_machine.travel(SUMMER, tick=False):
        state.request_approval(
            run_id, workflow="winback", kind="campaign", summary=winback_proposal().stored()
        )

    row = _row(cli.invoke(app, ["approvals", "list"]), f"│ {run_id[:8]}")

    assert " 2026-07-20 10:15 MDT " in row


def test_approving_a_decided_run_says_when_it_was_decided_in_denver_time(
    cli: CliRunner, state: StateStore
) -> None:
    run_id = _run_at(state, WINTER, "winback")
    state.request_approval(
        run_id, workflow="winback", kind="campaign", summary=winback_proposal().stored()
    )
    with time_machine.travel(WINTER, tick=False):
        state.claim_approval(run_id, "rejected", actor=OTHER_APPROVER, reason="No")

    result = cli.invoke(app, ["approvals", "approve", run_id[:8], "--as", APPROVER])

    said = f"already rejected by {OTHER_APPROVER} at 2026-11-20 09:15 MST"
    assert result.exit_code == 1, result.output
    assert f"error: {said}" in " ".join(result.output.split())
    (refused,) = [e for e in state.audit_entries(run_id=run_id) if e.action == "approval_refused"]
    assert refused.detail["reason"] == said


def test_suppress_list_and_a_second_add_say_since_when_in_denver_time(
    cli: CliRunner, state: StateStore
) -> None:
    with time_machine.travel(SUMMER, tick=False):
        state.add_suppression("ana@example.com", reason="by phone", actor="tester")

    listed = cli.invoke(app, ["suppress", "list"])
    again = cli.invoke(app, ["suppress", "add", "ana@example.com"])

    assert " 2026-07-20 10:15 MDT " in _row(listed, "│ ana@example.com")
    assert _lines(again) == [
        "ana@example.com was already suppressed since 2026-07-20 10:15 MDT: by phone"
    ]
