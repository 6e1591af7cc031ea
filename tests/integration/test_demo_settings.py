"""`controlroom demo` in this process: the app and the clock get the sandbox's settings from the
demo itself, with nothing written into the environment (a scheduled job reads no environment)."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from typing import Any

import pytest
from apscheduler.schedulers.base import BaseScheduler
from typer.testing import CliRunner

from controlroom.cli import app
from controlroom.cli import demo as demo_command
from controlroom.services import Services
from integrations.warehouse import Warehouse


@pytest.fixture
def signal_handlers() -> Iterator[None]:
    """The demo installs SIGINT and SIGTERM handlers: give the test process its own back."""
    saved = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    yield
    for number, handler in saved.items():
        signal.signal(number, handler)


def test_demo_gives_the_clock_the_sandbox_settings_without_writing_the_environment(
    sample_warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch, signal_handlers: None
) -> None:
    before = dict(os.environ)
    clocks: list[BaseScheduler] = []
    seen: dict[str, Any] = {}
    start_clock = demo_command.start_clock

    def keep_clock(services: Services) -> BaseScheduler:
        clocks.append(start_clock(services))
        return clocks[-1]

    def run_the_digest_job_and_stop(running: demo_command.Demo) -> None:
        """In place of waiting for Ctrl-C: note the environment, run the clock's digest job as
        its executor would (function and stored arguments), then let the demo stop."""
        seen["environment"] = dict(os.environ)
        job = clocks[0].get_job("weekly_digest")
        job.func(*job.args, **job.kwargs)
        digest_channel = running.workspace.channel("#gtm-digest")
        assert digest_channel is not None
        seen["posted"] = running.workspace.history(digest_channel["id"])

    monkeypatch.setattr(demo_command, "start_clock", keep_clock)
    monkeypatch.setattr(demo_command.Demo, "wait", run_the_digest_job_and_stop)
    monkeypatch.setattr(demo_command, "_warm_up", lambda services: None)

    result = CliRunner().invoke(app, ["demo", "--port", "0"])

    assert result.exit_code == 0, result.output
    assert seen["environment"] == before
    assert dict(os.environ) == before
    # The job posted into the sandbox: it had the sandbox's token and Web API, which only the
    # demo's settings hold.
    assert seen["posted"], "the scheduled digest was not posted in the sandbox's #gtm-digest"
