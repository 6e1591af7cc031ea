"""`controlroom serve` in Socket Mode, the production path (``AsyncSocketModeHandler``, aiohttp):
it opens a connection through the Web API, is sent a slash command and an event over a local
websocket (``sandbox.socket_mode``), acks each on the socket, then does the work through the
sandbox's Slack Web API."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sandbox import ScriptedSlack, Workspace
from sandbox.socket_mode import SocketMode, events_api, slash_commands
from tests.slack_sandbox import NO_APP, served_sandbox, slack_environment


@pytest.mark.slow
def test_serve_in_socket_mode_acks_on_the_socket_then_answers_through_the_web_api(
    isolated_environment: Path, workspace: Workspace, tmp_path: Path
) -> None:
    log = tmp_path / "serve.log"
    identity = workspace.identity
    with (
        served_sandbox(workspace) as (calls, api),
        SocketMode(identity.app_id) as socket_mode,
        log.open("wb") as output,
    ):
        api.socket_mode_url = socket_mode.url
        slack = ScriptedSlack(api, NO_APP, user="U0MARKETER", channel="#gtm")  # over the socket
        environment = {
            **os.environ,
            **slack_environment(workspace),
            "SLACK_APP_TOKEN": identity.app_token,
            "SLACK_API_URL": f"{api.base_url}/api/",
            "CONTROLROOM_VAR_DIR": str(isolated_environment),
        }
        # No --socket-mode flag: the app token in the environment is what picks Socket Mode.
        process = subprocess.Popen(
            [sys.executable, "-m", "controlroom.cli", "serve"],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_connected(socket_mode, process, log)
            connections = calls.calls_to("apps.connections.open")
            assert connections and connections[0].answer == {"ok": True, "url": socket_mode.url}

            command = slash_commands(slack.command_body("status"))
            acked = socket_mode.wait_for_ack(socket_mode.deliver(command))
            assert acked["envelope_id"] == command["envelope_id"]
            answer = acked["payload"]  # the run history is read in the ack, no worker needed
            assert answer["text"] == "Latest runs"
            assert "No runs yet." in answer["blocks"][0]["text"]["text"]

            opened = events_api(slack.event_body(slack.home_opened("U0APPROVER")))
            acked = socket_mode.wait_for_ack(socket_mode.deliver(opened))
            assert acked["envelope_id"] == opened["envelope_id"]
            [publish] = calls.wait_for("views.publish", timeout=30)
            assert publish.args["user_id"] == "U0APPROVER"
            assert publish.args["view"]["type"] == "home"
        finally:
            process.terminate()
            process.wait(timeout=15)


def _wait_connected(socket_mode: SocketMode, process: subprocess.Popen[bytes], log: Path) -> None:
    """Until the app connects; fail at once, with its output, if it exits first."""
    deadline = time.monotonic() + 60
    while True:
        try:
            socket_mode.wait_connected(timeout=0.5)
            return
        except AssertionError:
            if process.poll() is not None:
                message = f"serve exited with {process.returncode}:\n{log.read_text()}"
                raise AssertionError(message) from None
            if time.monotonic() > deadline:
                raise AssertionError(f"serve did not connect in 60 s:\n{log.read_text()}") from None
