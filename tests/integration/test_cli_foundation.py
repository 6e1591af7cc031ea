"""The `controlroom` command as a user runs it: seed, summary, config check, and bad input."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import policies
from controlroom.cli import app

runner = CliRunner()


def test_seed_then_summary_prints_counts_date_range_and_revenue_by_year() -> None:
    seeded = runner.invoke(app, ["data", "seed", "--customers", "800", "--until", "2026-11-22"])
    assert seeded.exit_code == 0, seeded.output
    assert "Seeded 800 customers" in seeded.output
    assert Path("var/warehouse.duckdb").is_file()

    summary = runner.invoke(app, ["data", "summary"], env={"COLUMNS": "200"})
    assert summary.exit_code == 0, summary.output
    assert "Customers" in summary.output and "800" in summary.output
    assert "2023 to 22 Nov 2026" in summary.output
    assert "Revenue by year" in summary.output
    for year in ("2024", "2025", "2026"):
        assert year in summary.output


def test_summary_before_seeding_says_what_to_do_without_a_traceback() -> None:
    result = runner.invoke(app, ["data", "summary"])
    assert result.exit_code == 1
    assert "run `controlroom data seed` first" in result.output
    assert "Traceback" not in result.output


def test_a_bad_until_date_is_refused_with_the_option_named() -> None:
    result = runner.invoke(app, ["data", "seed", "--until", "22/11/2026"])
    assert result.exit_code == 2
    assert "--until" in result.output
    assert "not a date like 2026-11-22" in result.output


def test_config_check_masks_secrets_and_tells_real_from_embedded_adapters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-verysecretvalue123")
    monkeypatch.setenv("SENDGRID_API_KEY", "SG.anothersecret")
    result = runner.invoke(app, ["config", "check"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "verysecretvalue" not in result.output
    assert "anothersecret" not in result.output
    assert "sk-v…******" in result.output
    assert "SendGrid" in result.output and "real" in result.output
    assert "DuckDB file" in result.output and "embedded default" in result.output
    assert "Policies OK" in result.output


def test_config_check_masks_the_password_in_a_database_url(
    monkeypatch: pytest.MonkeyPatch, postgres_database_url: str
) -> None:
    host_and_database = postgres_database_url.split("://", 1)[1].split("@")[-1]
    # Trust authentication accepts any password, so the check really connects.
    monkeypatch.setenv("DATABASE_URL", f"postgresql://postgres:hunter2@{host_and_database}")
    result = runner.invoke(app, ["config", "check"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "hunter2" not in result.output
    assert "postgres:***@" in result.output
    assert "postgresql+psycopg database" in result.output


def test_an_unreachable_database_is_one_line_without_the_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://ops:hunter2@127.0.0.1:9/controlroom")
    result = runner.invoke(app, ["config", "check"], env={"COLUMNS": "300"})
    assert result.exit_code == 1
    assert "state store postgresql+psycopg://ops:***@127.0.0.1:9/controlroom unavailable" in (
        result.output
    )
    assert "hunter2" not in result.output
    assert "Traceback" not in result.output


def test_a_bad_policy_file_stops_start_up_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "my-policies"
    shutil.copytree(Path(policies.__file__).parent, folder, ignore=shutil.ignore_patterns("*.py"))
    (folder / "support.yaml").write_text("confidence_threshold: 1.5\ntop_k: 4\n")
    monkeypatch.setenv("CONTROLROOM_POLICIES_DIR", str(folder))
    result = runner.invoke(app, ["config", "check"], env={"COLUMNS": "300"})
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "support.yaml: key 'confidence_threshold' = 1.5: expected" in lines[0]
    assert "Traceback" not in result.output


def test_every_command_has_help() -> None:
    for command in (
        ["--help"],
        ["data", "--help"],
        ["data", "seed", "--help"],
        ["data", "summary", "--help"],
        ["config", "check", "--help"],
    ):
        result = runner.invoke(app, command)
        assert result.exit_code == 0, command
        assert "Usage" in result.output
