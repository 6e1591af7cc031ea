"""One mapping from a run's status to the CLI's exit code, and App Home's mark for each status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import get_args

import pytest
import typer

from bot.blocks.home import runs_blocks
from controlroom.cli._common import exit_with_run_status, run_exit_code
from integrations.statestore import RunRecord, RunStatus

STARTED = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _run(status: RunStatus, error: str | None = None) -> RunRecord:
    return RunRecord(
        run_id="0123456789abcdef",
        workflow="weekly_gtm",
        status=status,
        started_by="U0MARKETER",
        trigger="command",
        started_at=STARTED,
        finished_at=STARTED + timedelta(seconds=4),
        input_tokens=0,
        output_tokens=0,
        cost_usd=0.0,
        error=error,
    )


def test_every_run_status_has_its_exit_code() -> None:
    codes = {status: run_exit_code(status) for status in get_args(RunStatus)}

    assert codes == {
        "running": 0,
        "paused": 0,
        "succeeded": 0,
        "rejected": 0,
        "partial": 3,
        "failed": 1,
    }


@pytest.mark.parametrize(("status", "code"), [("partial", 3), ("failed", 1)])
def test_a_command_ending_with_a_partial_or_failed_run_exits_with_its_code(
    status: RunStatus, code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(typer.Exit) as ended:
        exit_with_run_status(_run(status, "support ([bold]x[/bold] unavailable)"))

    assert ended.value.exit_code == code
    # One line on stderr, the reason printed as written (not read as markup).
    assert capsys.readouterr().err == (
        f"run {status}: support ([bold]x[/bold] unavailable) (01234567)\n"
    )


def test_a_command_ending_with_a_succeeded_run_returns_quietly(
    capsys: pytest.CaptureFixture[str],
) -> None:
    exit_with_run_status(_run("succeeded"))

    assert capsys.readouterr().err == ""


def test_app_home_marks_a_partial_run_and_points_to_its_reason_without_quoting_it() -> None:
    reason = "1 of 4 sections unavailable: finance (RuntimeError: " + "x" * 300 + ")"

    (_, recent) = runs_blocks([_run("partial", reason), _run("succeeded")])

    first, second = recent["text"]["text"].split("\n:white_check_mark:")
    assert first.startswith(":warning: `01234567` *weekly_gtm* partial · ")
    shown = first.split("\n      ")[1]
    # The reason may quote an exception: it stays in the run log, never in Slack.
    assert shown == "why: `controlroom runs show 01234567`"
    assert "RuntimeError" not in recent["text"]["text"]
    assert "\n" not in second


def test_app_home_lists_a_rejected_run_as_rejected() -> None:
    (_, recent) = runs_blocks([_run("rejected")])

    assert recent["text"]["text"].startswith(":no_entry_sign: `01234567` *weekly_gtm* rejected · ")
