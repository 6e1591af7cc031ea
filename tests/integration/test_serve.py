"""`controlroom serve`: the mode the environment allows, what is missing when none, and a real
HTTP process answering its health check."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from controlroom.cli import app
from controlroom.cli.serve import choose_mode
from controlroom.settings import Settings

runner = CliRunner()


def test_without_slack_settings_serve_says_what_to_set_and_points_at_the_sandbox(
    tmp_path: Path,
) -> None:
    result = runner.invoke(app, ["serve"], env={"COLUMNS": "300"})
    assert result.exit_code == 2
    assert "SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET" in result.output
    assert "manifest.yml" in result.output
    assert "`controlroom demo`" in result.output  # the local sandbox, for those without Slack
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}, "http"),
        (
            {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SLACK_APP_TOKEN": "xapp-1"},
            "socket",
        ),
    ],
)
def test_the_environment_chooses_http_or_socket_mode(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], expected: str
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert choose_mode(Settings(), http=False, socket_mode=False, clock=False) == expected


def test_socket_mode_without_an_app_token_names_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    with pytest.raises(typer.Exit):
        choose_mode(Settings(), http=False, socket_mode=True, clock=False)
    with pytest.raises(typer.BadParameter, match="choose one of"):
        choose_mode(Settings(), http=True, socket_mode=True, clock=False)
    assert choose_mode(Settings(), http=False, socket_mode=False, clock=True) == "clock"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# Slow: `serve` starts its workflow process and warms the knowledge base before serving (~12 s).
@pytest.mark.slow
def test_http_mode_serves_slack_events_and_a_health_check(isolated_environment: Path) -> None:
    port = _free_port()
    environment = {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "secret",
        "CONTROLROOM_VAR_DIR": str(isolated_environment),
    }
    command = [sys.executable, "-m", "controlroom.cli", "serve", "--http", "--port", str(port)]
    process = subprocess.Popen(
        command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as got:
                    health = json.loads(got.read())
                    assert (health["status"], health["failing"]) == ("ok", [])
                    assert health["checks"]["database"]["status"] == "ok"
                    assert "broker" not in health["checks"]  # no REDIS_URL: nothing to ping
                    break
            except (urllib.error.URLError, ConnectionError):
                assert process.poll() is None, "the server exited"
                assert time.monotonic() < deadline, "the server did not answer within 60 s"
                time.sleep(0.3)
        unsigned = urllib.request.Request(
            f"http://127.0.0.1:{port}/slack/events", data=b"command=%2Fcontrolroom", method="POST"
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(unsigned, timeout=5)
        assert refused.value.code == 401
        refused.value.close()
    finally:
        process.terminate()
        process.wait(timeout=15)
