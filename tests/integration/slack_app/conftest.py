"""The Slack app's tests: the real app over signed HTTP against the fake Slack Web API, with the
signing secret and bot token the fake expects; and a win-back proposal posted by
``/controlroom winback`` (``proposal``), where the approval tests click."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from controlroom.services import Services
from controlroom.settings import Settings
from tests.fakes.slack_api import BOT_TOKEN, SIGNING_SECRET, RunningBot, running_bot


@pytest.fixture
def settings(isolated_environment: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    return Settings()


@pytest.fixture
def bot(services: Services) -> Iterator[RunningBot]:
    """The real app served over HTTP, its Web API client pointed at the fake Slack."""
    with running_bot(services) as running:
        yield running


@dataclass(frozen=True)
class Proposal:
    """A proposal's run and the message it was posted as (the fake's channel and ts)."""

    run_id: str
    channel: str
    ts: str


@pytest.fixture
def proposal(bot: RunningBot) -> Proposal:
    """``/controlroom winback``: the proposal posted in the approvals channel. A suite's ``bot``
    brings the warehouse it proposes from."""
    assert bot.slack.command("winback").status_code == 200
    [posted] = bot.api.wait_for("chat.postMessage")
    actions = next(b for b in posted.args["blocks"] if b["type"] == "actions")
    bot.api.wait_for("response_url")
    return Proposal(actions["elements"][0]["value"], "C0APPROVALS", "1764000000.000001")
