"""The Slack app's tests: the real app over signed HTTP against the sandbox's Slack, its
workspace holding the tests' people and channels (``tests.slack_sandbox``), with the signing
secret and bot token of that workspace; and a win-back proposal posted by
``/controlroom winback`` (``proposal``), where the approval tests click."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from controlroom.services import Services
from controlroom.settings import Settings
from sandbox import Workspace
from tests.slack_sandbox import RunningBot, running_bot, sandbox_workspace, slack_environment


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    """The sandbox's workspace with the tests' people and channels."""
    opened = sandbox_workspace(tmp_path / "sandbox.db")
    yield opened
    opened.close()


@pytest.fixture
def settings(
    isolated_environment: Path, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    for name, value in slack_environment(workspace).items():
        monkeypatch.setenv(name, value)
    return Settings()


@pytest.fixture
def bot(services: Services, workspace: Workspace) -> Iterator[RunningBot]:
    """The real app served over HTTP, its Web API client pointed at the sandbox."""
    with running_bot(services, workspace) as running:
        yield running


@dataclass(frozen=True)
class Proposal:
    """A proposal's run and the message it was posted as (its channel and ts)."""

    run_id: str
    channel: str
    ts: str


@pytest.fixture
def proposal(bot: RunningBot) -> Proposal:
    """``/controlroom winback``: the proposal posted in the approvals channel. A suite's ``bot``
    brings the warehouse it proposes from."""
    assert bot.slack.command("winback").status_code == 200
    [posted] = bot.api.wait_for("chat.postMessage")
    assert posted.answer["ok"], posted.answer
    actions = next(b for b in posted.args["blocks"] if b["type"] == "actions")
    bot.api.wait_for("response_url")
    return Proposal(actions["elements"][0]["value"], posted.answer["channel"], posted.answer["ts"])
