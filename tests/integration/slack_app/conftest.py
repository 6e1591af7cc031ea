"""The Slack app's tests: the real app over signed HTTP against the fake Slack Web API, with the
signing secret and bot token the fake expects."""

from __future__ import annotations

from collections.abc import Iterator
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
