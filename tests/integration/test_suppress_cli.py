"""``controlroom suppress add|list|remove`` on SQLite and PostgreSQL: one list with the unsubscribe
links, addresses checked by the shared parser and kept lower-cased, each mistake one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from controlroom.cli import app
from integrations.statestore import StateStore


@pytest.fixture
def local_cli() -> CliRunner:
    """The command on the default SQLite file: for mistakes refused before any database."""
    return CliRunner(env={"COLUMNS": "300"})


@pytest.fixture
def local_state(isolated_environment: Path) -> StateStore:
    built = StateStore(f"sqlite:///{isolated_environment / 'controlroom.db'}")
    built.migrate()
    return built


def _one_line(result: Result) -> str:
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


def test_add_suppresses_the_address_lower_cased_so_a_campaign_skips_it(
    cli: CliRunner, state: StateStore
) -> None:
    added = cli.invoke(app, ["suppress", "add", " Ana.Lima@Example.COM ", "--reason", "by phone"])
    assert added.exit_code == 0, added.output
    assert _one_line(added) == "Suppressed ana.lima@example.com: by phone"
    # What the win-back checks when it picks its audience and again at send time:
    assert state.suppressed(["ana.lima@example.com", "ANA.LIMA@EXAMPLE.COM"]) == {
        "ana.lima@example.com"
    }
    (audited,) = [e for e in state.audit_entries() if e.action == "suppressed"]
    assert audited.actor.startswith("cli:")
    assert audited.detail["reason"] == "by phone"

    again = cli.invoke(app, ["suppress", "add", "ANA.LIMA@example.com"])
    assert again.exit_code == 0, again.output
    assert "ana.lima@example.com was already suppressed since" in again.output
    assert "by phone" in again.output
    state.close()


def test_list_shows_each_address_with_its_reason_newest_first_and_says_when_cut(
    cli: CliRunner, state: StateStore
) -> None:
    empty = cli.invoke(app, ["suppress", "list"])
    assert empty.exit_code == 0, empty.output
    assert "Nobody is suppressed." in empty.output
    state.add_suppression(
        "bounced@example.com", reason="hard bounce", actor="bounces", customer_id=12
    )
    cli.invoke(app, ["suppress", "add", "later@example.com", "--reason", "[red]x[/] literally"])
    listed = cli.invoke(app, ["suppress", "list"])
    assert listed.exit_code == 0, listed.output
    assert "bounced@example.com" in listed.output
    assert "hard bounce" in listed.output
    assert "12" in listed.output
    assert "[red]x[/] literally" in listed.output  # shown as given, not as markup
    assert listed.output.index("later@example.com") < listed.output.index("bounced@example.com")
    cut = cli.invoke(app, ["suppress", "list", "--limit", "1"])
    assert "1 of 2 shown: --limit 2 for all." in cut.output
    assert "bounced@example.com" not in cut.output
    state.close()


def test_remove_takes_the_address_off_whatever_the_capitals(
    cli: CliRunner, state: StateStore
) -> None:
    cli.invoke(app, ["suppress", "add", "x@example.com", "--reason", "by mistake"])
    removed = cli.invoke(app, ["suppress", "remove", "X@Example.com"])
    assert removed.exit_code == 0, removed.output
    assert "Removed x@example.com from the suppression list (was: by mistake)." in removed.output
    assert state.suppressed(["x@example.com"]) == set()
    absent = cli.invoke(app, ["suppress", "remove", "x@example.com"])
    assert absent.exit_code == 0, absent.output
    assert _one_line(absent) == "x@example.com was not suppressed."
    assert [e.action for e in state.audit_entries()] == ["suppressed", "unsuppressed"]
    state.close()


@pytest.mark.parametrize(
    "address",
    [
        "",
        "   ",
        "not-an-address",
        "ana@",
        "@example.com",
        "victim@example.com, attacker@evil.com",
        "Attacker <a@evil.com>",
        "a@example.com\nBcc: b@evil.com",
        "a@exam ple.com",
        "a" * 250 + "@example.com",
    ],
)
@pytest.mark.parametrize("command", ["add", "remove"])
def test_a_bad_address_is_one_line_saying_what_is_wrong_and_changes_nothing(
    local_cli: CliRunner, local_state: StateStore, address: str, command: str
) -> None:
    result = local_cli.invoke(app, ["suppress", command, address])
    assert result.exit_code == 1, result.output
    assert _one_line(result).startswith("error: ")
    assert "email address" in result.output
    assert local_state.suppression_count() == 0
    local_state.close()


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("  ", "--reason is empty"),
        ("x" * 257, "--reason is over 256 characters"),
        ("ok\nBcc: x", "--reason contains U+000A"),
        ("ok\u202eevil", "--reason contains U+202E"),
    ],
)
def test_a_bad_reason_is_one_line_and_changes_nothing(
    local_cli: CliRunner, local_state: StateStore, reason: str, expected: str
) -> None:
    result = local_cli.invoke(app, ["suppress", "add", "a@example.com", "--reason", reason])
    assert result.exit_code == 2, result.output
    assert expected in _one_line(result)
    assert local_state.suppression_count() == 0
    local_state.close()


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        (
            {"UNSUBSCRIBE_URL": "http://controlroom.example.com/unsubscribe"},
            "environment variable UNSUBSCRIBE_URL: Value error, must start with https://",
        ),
        (
            {"UNSUBSCRIBE_URL": "https://controlroom.example.com/unsubscribe"},
            "environment variable UNSUBSCRIBE_URL: Value error, needs UNSUBSCRIBE_SECRET",
        ),
        (
            {
                "UNSUBSCRIBE_URL": "https://controlroom.example.com/unsubscribe",
                "UNSUBSCRIBE_SECRET": "short",
            },
            "environment variable UNSUBSCRIBE_SECRET: Value error, is shorter than 32",
        ),
        (
            {"UNSUBSCRIBE_URL": "https://a:b@controlroom.example.com/unsubscribe"},
            "environment variable UNSUBSCRIBE_URL: Value error, must not carry a user name",
        ),
    ],
)
def test_a_bad_unsubscribe_setting_stops_the_command_with_one_configuration_line(
    local_cli: CliRunner, monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], expected: str
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    result = local_cli.invoke(app, ["suppress", "list"])
    assert result.exit_code == 2, result.output
    line = _one_line(result)
    assert line.startswith("configuration error: ")
    assert expected in line
    assert "a:b@" not in line


def test_empty_unsubscribe_variables_as_in_env_example_mean_mailto_only(
    local_cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UNSUBSCRIBE_URL", "")
    monkeypatch.setenv("UNSUBSCRIBE_SECRET", "")
    result = local_cli.invoke(app, ["suppress", "list"])
    assert result.exit_code == 0, result.output
