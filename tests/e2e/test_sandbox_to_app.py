"""What a person does in the sandbox reaches the real app as Slack would send it — signed, in
Slack's payload shapes — and the app's answers come back to the right people."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from controlroom.cli.demo import start_clock
from sandbox import AppEndpoint, Interactions, Person, WebApi, Workspace, populate
from tests.e2e.conftest import APPROVER, MEMBER, RunningControlRoom, run_async


def ui_state(url: str, user: str, channel: str) -> dict:
    reply = requests.get(f"{url}/ui/state", params={"user": user, "channel": channel}, timeout=10)
    reply.raise_for_status()
    return reply.json()


def test_a_command_typed_in_the_sandbox_is_answered_to_the_typist_only(
    control_room: RunningControlRoom,
) -> None:
    general = control_room.workspace.channel("#general")["id"]
    typed = requests.post(
        f"{control_room.url}/ui/command",
        json={"user": MEMBER, "channel": general, "text": "/controlroom help"},
        timeout=10,
    ).json()

    assert typed == {"ok": True, "error": None, "errors": {}}
    # Only the app's answer: Slack does not show the typed command back.
    (answer,) = ui_state(control_room.url, MEMBER, general)["messages"]
    assert answer["bot_id"] == "B0CONTROLROOM"
    assert answer["ephemeral_for"] == MEMBER
    assert "/controlroom gtm" in answer["blocks"][0]["text"]["text"]
    assert ui_state(control_room.url, APPROVER, general)["messages"] == []


def test_the_app_refuses_a_sandbox_that_signs_with_another_secret(
    control_room: RunningControlRoom,
) -> None:
    workspace = control_room.workspace
    impostor = Interactions(
        workspace,
        control_room.demo.interactions.api,
        AppEndpoint(f"{control_room.demo.app_url}/slack/events", "not-the-signing-secret"),
    )
    general = workspace.channel("#general")["id"]

    outcome = run_async(impostor.command(MEMBER, general, "/controlroom help"))

    assert (outcome.ok, outcome.error) == (False, "dispatch_failed")
    (notice,) = [m for m in workspace.history(general, viewer=MEMBER) if m["user"] == "USLACKBOT"]
    assert notice["text"] == '`/controlroom` failed with the error "dispatch_failed"'


def test_an_unknown_command_is_stopped_by_the_sandbox_as_slack_does(
    control_room: RunningControlRoom,
) -> None:
    general = control_room.workspace.channel("#general")["id"]

    outcome = run_async(control_room.demo.interactions.command(MEMBER, general, "/nope"))

    assert outcome.error == "not_a_command"
    (notice,) = control_room.workspace.history(general, viewer=MEMBER)
    assert notice["text"].startswith("`/nope` is not a valid command.")


def test_a_mention_of_the_app_is_stored_with_slacks_user_syntax(tmp_path: Path) -> None:
    workspace = Workspace.open(tmp_path / "sandbox.db")
    populate(workspace, channels=["#general"], people=[Person(APPROVER, "avery", "Avery A")])
    nobody_listening = AppEndpoint("http://127.0.0.1:9/slack/events", "secret", timeout=0.5)
    interactions = Interactions(
        workspace, WebApi(workspace, "http://127.0.0.1:1"), nobody_listening
    )

    outcome = run_async(
        interactions.message(APPROVER, "CGENERAL", "@Control Room how do returns work?")
    )

    # No app listens there, so the event fails as Slack reports it; the message stays.
    assert outcome.error == "dispatch_failed"
    (message,) = workspace.history("CGENERAL")
    assert message["text"] == "<@U0CONTROLROOM> how do returns work?"
    workspace.close()


@pytest.mark.slow
def test_controlroom_demo_seeds_serves_the_page_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SLACK_", "CONTROLROOM_"))
    }
    environment["CONTROLROOM_VAR_DIR"] = str(tmp_path / "var")
    started = time.monotonic()
    demo = subprocess.Popen(
        [sys.executable, "-m", "controlroom.cli", "demo", "--port", "0"],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = DemoOutput(demo)
    try:
        url = output.url()
        up = time.monotonic() - started
        page = requests.get(url, timeout=10)
        state = requests.get(f"{url}/ui/state", timeout=10).json()
    finally:
        demo.send_signal(signal.SIGINT)
        demo.wait(timeout=30)
        printed = output.close()

    assert up < 60, f"the demo took {up:.0f} s to come up: {printed}"
    assert page.status_code == 200 and "local Slack sandbox" in page.text, printed
    assert {c["name"] for c in state["channels"] if not c["is_im"]} == {
        "general",
        "gtm-digest",
        "gtm-approvals",
        "support-escalations",
    }
    assert (tmp_path / "var" / "warehouse.duckdb").exists()
    assert demo.returncode == 0, printed
    assert "Traceback" not in printed


class DemoOutput:
    """The demo's output, read in a thread so that a hang fails the test instead of blocking."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        self.stream = process.stdout
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.stream:
            self.lines.put(line)
        self.lines.put(None)

    def url(self, timeout: float = 90.0) -> str:
        """The URL the demo prints when it is up."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            self.seen.append(line)
            found = re.search(r"open (http://127\.0\.0\.1:\d+)", line)
            if found:
                return found.group(1)
        raise AssertionError(f"no URL printed in {timeout:.0f} s: {''.join(self.seen)}")

    def close(self) -> str:
        """Everything printed, once the process has ended."""
        self.reader.join(timeout=10)
        self.stream.close()
        while (line := self.lines.get_nowait() if not self.lines.empty() else None) is not None:
            self.seen.append(line)
        return "".join(self.seen)


@pytest.mark.slow
def test_the_demos_clock_posts_the_scheduled_digest_into_the_sandbox(
    control_room: RunningControlRoom,
) -> None:
    scheduler = start_clock(control_room.services)
    try:
        job = scheduler.get_job("weekly_digest")
        job.modify(next_run_time=datetime.now(UTC))
        scheduler.wakeup()
        digest_channel = control_room.workspace.channel("#gtm-digest")["id"]
        deadline = time.monotonic() + 120
        while not _digest_with_charts(control_room.workspace, digest_channel):
            assert time.monotonic() < deadline, "no scheduled digest in #gtm-digest"
            time.sleep(0.2)
    finally:
        scheduler.shutdown(wait=True)

    (run,) = control_room.services.state.recent_runs(limit=5)
    assert (run.workflow, run.trigger, run.started_by) == ("weekly_gtm", "schedule", "scheduler")


def _digest_with_charts(workspace: Workspace, channel: str) -> bool:
    """A finished digest (its win-back button) whose thread holds the chart uploads."""
    for message in workspace.history(channel):
        if "Start win-back for At Risk" in str(message.get("blocks")) and any(
            reply.get("files") for reply in workspace.replies(channel, message["ts"])
        ):
            return True
    return False
