"""``controlroom exclusions list``: who a reviewer excluded from which win-back campaign, by whom
and when (in the team's time zone), read from the state store on SQLite and PostgreSQL; a bad
run id is one clear line, no traceback."""

from __future__ import annotations

from datetime import UTC, datetime

import click
import pytest
import time_machine
from typer.testing import CliRunner, Result

from controlroom.cli import app
from integrations.statestore import Exclusion, StateStore

APPROVER = "U0APPROVER"
OTHER_APPROVER = "U0OTHER"
# 16:15 UTC on 20 November is 09:15 in Denver (MST, UTC-7): policies/schedule.yaml's zone.
FIRST = datetime(2026, 11, 20, 16, 15, tzinfo=UTC)
LATER = datetime(2026, 11, 21, 2, 30, tzinfo=UTC)  # 19:30 on the 20th in Denver


def _campaign(state: StateStore) -> str:
    return state.start_run("winback", started_by="tester", trigger="cli").run_id


def _exclude(state: StateStore, run_id: str, people: list[tuple[int, str]], by: str, at: datetime):
    with time_machine.travel(at, tick=False):
        state.exclude_recipients(run_id, people, by=by)


def _lines(result: Result) -> list[str]:
    assert "Traceback" not in result.output
    return [" ".join(line.split()) for line in click.unstyle(result.output).splitlines()]


def test_list_shows_who_was_excluded_from_which_campaign_by_whom_and_when_in_team_time(
    cli: CliRunner, state: StateStore
) -> None:
    first, second = _campaign(state), _campaign(state)
    _exclude(state, first, [(12, " Ana.Lima@Example.com ")], APPROVER, FIRST)
    _exclude(state, second, [(7, "bo@example.com"), (9, "cy@example.com")], OTHER_APPROVER, LATER)

    result = cli.invoke(app, ["exclusions", "list"])

    assert result.exit_code == 0, result.output
    rows = [line for line in _lines(result) if line[:8] in (first[:8], second[:8])]
    assert (
        rows
        == [  # newest first
            f"{second[:8]} 7 bo@example.com {OTHER_APPROVER} 2026-11-20 19:30 MST",
            f"{second[:8]} 9 cy@example.com {OTHER_APPROVER} 2026-11-20 19:30 MST",
            f"{first[:8]} 12 ana.lima@example.com {APPROVER} 2026-11-20 09:15 MST",
        ]
    )
    assert "Times in America/Denver." in _lines(result)


def test_the_state_store_returns_typed_exclusions_with_utc_times(state: StateStore) -> None:
    run_id = _campaign(state)
    _exclude(state, run_id, [(12, "Ana.Lima@Example.com")], APPROVER, FIRST)

    assert state.exclusions(run_id=run_id) == [
        Exclusion(run_id, 12, "ana.lima@example.com", APPROVER, FIRST)
    ]
    assert state.exclusions(run_id=run_id)[0].excluded_at.utcoffset() is not None
    assert state.exclusion_count(run_id=run_id) == 1


def test_list_for_one_run_by_the_start_of_its_id_shows_only_that_campaign(
    cli: CliRunner, state: StateStore
) -> None:
    first, second = _campaign(state), _campaign(state)
    _exclude(state, first, [(12, "ana@example.com")], APPROVER, FIRST)
    _exclude(state, second, [(7, "bo@example.com")], APPROVER, LATER)

    result = cli.invoke(app, ["exclusions", "list", "--run", first[:8]])

    assert result.exit_code == 0, result.output
    assert "ana@example.com" in result.output
    assert "bo@example.com" not in result.output


def test_a_limit_keeps_the_newest_and_says_how_to_see_them_all(
    cli: CliRunner, state: StateStore
) -> None:
    run_id = _campaign(state)
    _exclude(state, run_id, [(12, "ana@example.com")], APPROVER, FIRST)
    _exclude(state, run_id, [(7, "bo@example.com")], APPROVER, LATER)

    result = cli.invoke(app, ["exclusions", "list", "--limit", "1"])

    assert result.exit_code == 0, result.output
    assert "bo@example.com" in result.output
    assert "ana@example.com" not in result.output
    assert "1 of 2 shown: --limit 2 for all." in _lines(result)


def test_nobody_excluded_says_so_for_every_campaign_and_for_one_run(
    cli: CliRunner, state: StateStore
) -> None:
    none_at_all = cli.invoke(app, ["exclusions", "list"])
    assert none_at_all.exit_code == 0, none_at_all.output
    assert _lines(none_at_all) == ["Nobody was excluded from a campaign."]

    run_id = _campaign(state)
    for_one = cli.invoke(app, ["exclusions", "list", "--run", run_id])
    assert for_one.exit_code == 0, for_one.output
    assert _lines(for_one) == [f"Nobody was excluded from run {run_id[:8]} (winback)."]


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ("nosuchrun", "Invalid value for --run: no run 'nosuchrun' (see `controlroom runs list`)"),
        # An empty id starts every id: it must not pick the only run there is.
        ("", "Invalid value for --run: the run id is empty (see `controlroom runs list`)"),
        ("  ", "Invalid value for --run: the run id is empty (see `controlroom runs list`)"),
    ],
    ids=["unknown", "empty", "blank"],
)
def test_a_bad_run_id_is_one_clear_error_naming_it_and_no_traceback(
    cli: CliRunner, state: StateStore, given: str, said: str
) -> None:
    run_id = _campaign(state)
    _exclude(state, run_id, [(12, "ana@example.com")], APPROVER, FIRST)

    result = cli.invoke(app, ["exclusions", "list", "--run", given])

    assert result.exit_code == 2
    assert said in " ".join(" ".join(_lines(result)).replace("│", " ").split())
    assert "ana@example.com" not in result.output
