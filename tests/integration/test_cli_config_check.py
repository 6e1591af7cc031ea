"""`controlroom config check` as a user runs it: no credential in any URL it prints, and every
bad configuration refused in one line (file, key, what was expected) without a traceback."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import policies
import prompts
from controlroom.cli import app

runner = CliRunner()
WIDE = {"COLUMNS": "300"}


@pytest.mark.parametrize(
    ("variable", "url"),
    [
        ("OPENAI_BASE_URL", "http://writer:hunter2@127.0.0.1:9/v1?api_key=hunter3"),
        ("CHROMA_URL", "https://chroma:hunter2@chroma.example.com/?token=hunter3"),
        ("ZENDESK_URL", "https://agent:hunter2@twopeaks.zendesk.com/?access_token=hunter3"),
        ("SMTP_URL", "smtp://mailer:hunter2@127.0.0.1:2525?token=hunter3"),
        ("SLACK_API_URL", "https://slack.example.com/api/?token=hunter2&sig=hunter3"),
    ],
)
def test_config_check_shows_no_credential_of_a_url_setting(
    monkeypatch: pytest.MonkeyPatch, variable: str, url: str
) -> None:
    monkeypatch.setenv(variable, url)
    result = runner.invoke(app, ["config", "check"], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "hunter" not in result.output
    assert variable in result.output and "***" in result.output


@pytest.mark.parametrize(
    "credentials",
    [
        "?password=hunter2",
        "?sslmode=disable&sslpassword=hunter2",
        "?user=postgres&password=hunter2",
    ],
)
def test_config_check_shows_no_database_password_given_as_a_query_parameter(
    monkeypatch: pytest.MonkeyPatch, postgres_database_url: str, credentials: str
) -> None:
    host_and_database = postgres_database_url.split("://", 1)[1].split("@")[-1]
    # Trust authentication accepts any password, so the check really connects.
    monkeypatch.setenv("DATABASE_URL", f"postgresql://postgres@{host_and_database}{credentials}")
    result = runner.invoke(app, ["config", "check"], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "hunter2" not in result.output
    assert "password=***" in result.output


def test_an_unreachable_database_named_with_a_query_password_is_one_line_without_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://ops@127.0.0.1:9/controlroom?password=hunter2")
    result = runner.invoke(app, ["config", "check"], env=WIDE)
    assert result.exit_code == 1
    assert "state store postgresql+psycopg://ops@127.0.0.1:9/controlroom?password=*** " in (
        result.output
    )
    assert "hunter2" not in result.output
    assert "Traceback" not in result.output


def _one_configuration_error(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].startswith("configuration error: "), output
    assert "Traceback" not in output
    return lines[0]


@pytest.fixture
def my_policies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "my-policies"
    shutil.copytree(Path(policies.__file__).parent, folder, ignore=shutil.ignore_patterns("*.py"))
    monkeypatch.setenv("CONTROLROOM_POLICIES_DIR", str(folder))
    return folder


@pytest.fixture
def my_prompts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "my-prompts"
    shutil.copytree(Path(prompts.__file__).parent, folder, ignore=shutil.ignore_patterns("*.py"))
    monkeypatch.setenv("CONTROLROOM_PROMPTS_DIR", str(folder))
    return folder


def test_a_cron_line_the_scheduler_rejects_stops_config_check(my_policies: Path) -> None:
    path = my_policies / "schedule.yaml"
    path.write_text(path.read_text().replace('"0 9 * * mon"', '"99 99 * * mon"'))
    result = runner.invoke(app, ["config", "check"], env=WIDE)
    assert result.exit_code == 2
    line = _one_configuration_error(result.output)
    assert "schedule.yaml: key 'weekly_digest.cron' = '99 99 * * mon': expected" in line
    assert "the last value (99) is higher than the maximum value" in line


def _with_threshold(policy: str, value: str) -> str:
    changed, count = re.subn(
        r"^confidence_threshold: \S+$", f"confidence_threshold: {value}", policy, flags=re.M
    )
    assert count == 1, policy
    return changed


def test_a_nan_threshold_stops_config_check(my_policies: Path) -> None:
    path = my_policies / "support.yaml"
    path.write_text(_with_threshold(path.read_text(), ".nan"))
    result = runner.invoke(app, ["config", "check"], env=WIDE)
    assert result.exit_code == 2
    line = _one_configuration_error(result.output)
    assert "support.yaml: key 'confidence_threshold' = nan: expected" in line
    assert "finite number" in line


def test_a_threshold_of_zero_stops_config_check_unless_allowed(my_policies: Path) -> None:
    path = my_policies / "support.yaml"
    path.write_text(_with_threshold(path.read_text(), "0"))
    refused = runner.invoke(app, ["config", "check"], env=WIDE)
    assert refused.exit_code == 2
    line = _one_configuration_error(refused.output)
    assert "support.yaml: key 'confidence_threshold' = 0: expected a threshold above 0" in line
    assert "allow_unreviewed_answers: true" in line

    text = path.read_text()
    assert "allow_unreviewed_answers: false" in text
    path.write_text(
        text.replace("allow_unreviewed_answers: false", "allow_unreviewed_answers: true")
    )
    allowed = runner.invoke(app, ["config", "check"], env=WIDE)
    assert allowed.exit_code == 0, allowed.output
    assert "support threshold 0.0" in allowed.output


def test_a_key_given_twice_stops_config_check(my_policies: Path) -> None:
    path = my_policies / "winback.yaml"
    path.write_text(path.read_text() + "audience_cap: 100000\n")
    result = runner.invoke(app, ["config", "check"], env=WIDE)
    assert result.exit_code == 2
    line = _one_configuration_error(result.output)
    assert "winback.yaml: line" in line and "key 'audience_cap' given twice" in line


def test_a_policy_file_that_is_not_utf8_stops_config_check(my_policies: Path) -> None:
    path = my_policies / "approvals.yaml"
    path.write_bytes(path.read_bytes() + "# équipe\n".encode("latin-1"))
    result = runner.invoke(app, ["config", "check"], env=WIDE)
    assert result.exit_code == 2
    line = _one_configuration_error(result.output)
    assert "approvals.yaml: not UTF-8 text (byte offset" in line


def test_a_prompt_file_without_a_task_its_agent_renders_stops_config_check(
    my_prompts: Path,
) -> None:
    path = my_prompts / "supervisor.yaml"
    data = yaml.safe_load(path.read_text())
    data["tasks"]["planning"] = data["tasks"].pop("plan")
    path.write_text(yaml.safe_dump(data))
    result = runner.invoke(app, ["config", "check"], env=WIDE)
    assert result.exit_code == 2
    line = _one_configuration_error(result.output)
    assert "supervisor.yaml: missing task 'plan' (the supervisor agent renders it)" in line


def test_a_dot_env_file_that_is_not_utf8_stops_config_check() -> None:
    Path(".env").write_bytes(b"EMAIL_FROM=Caf\xe9 <hello@example.com>\n")
    result = runner.invoke(app, ["config", "check"], env=WIDE)
    assert result.exit_code == 2
    line = _one_configuration_error(result.output)
    assert (
        line == "configuration error: .env: not UTF-8 text (byte offset 14); save the file as UTF-8"
    )


def test_a_database_url_for_an_unsupported_database_stops_config_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://ops:hunter2@db/controlroom")
    result = runner.invoke(app, ["config", "check"], env=WIDE)
    assert result.exit_code == 2
    line = _one_configuration_error(result.output)
    assert "DATABASE_URL" in line and "expected sqlite:///path or postgresql://" in line
    assert "hunter2" not in result.output
