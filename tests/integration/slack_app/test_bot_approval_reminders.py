"""Pending approvals are reminded in their thread after the policy's delay, once per delay,
through the real slack_sdk client against the sandbox's Slack; and the hourly job does it
with the bot token and Web API URL from the settings."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from slack_sdk.web.async_client import AsyncWebClient

from bot.reminders import remind_pending_approvals
from bot.scheduler import JOB_FUNCTIONS, approval_reminders_job
from controlroom.services import Services
from controlroom.settings import Settings
from integrations.statestore import ApprovalRecord
from sandbox import CallLog, WebApi, Workspace
from tests.proposals import ask_approval as record_approval
from tests.proposals import winback_proposal
from tests.slack_sandbox import served_sandbox, texts

CHANNEL = "C0APPROVALS"
HOURS = timedelta(hours=1)


@pytest.fixture
def slack(workspace: Workspace) -> Iterator[tuple[CallLog, WebApi]]:
    """The sandbox's Slack, served: the calls made of it, and its Web API."""
    with served_sandbox(workspace) as served:
        yield served


@pytest.fixture
def api(slack: tuple[CallLog, WebApi]) -> CallLog:
    return slack[0]


def ask_approval(
    services: Services,
    slack: tuple[CallLog, WebApi],
    *,
    message: bool = True,
    at: datetime | None = None,
) -> ApprovalRecord:
    """A win-back run paused for approval (asked at ``at``), posted in CHANNEL as the app's
    message (unless not ``message``)."""
    with time_machine.travel(at or datetime.now(UTC), tick=False):
        run = services.state.start_run("winback", started_by="U0MARKETER", trigger="command")
        record_approval(services.state, run.run_id, winback_proposal())
    if message:
        web_api = slack[1]
        posted = web_api.workspace.add_message(
            CHANNEL, {**web_api.bot_fields(), "text": "Win-back proposal"}
        )
        services.state.record_approval_message(
            run.run_id, channel_id=CHANNEL, message_ts=posted["ts"]
        )
    return services.state.get_approval(run.run_id)


def remind(slack: tuple[CallLog, WebApi], services: Services, now: datetime) -> int:
    web_api = slack[1]
    client = AsyncWebClient(
        token=web_api.workspace.identity.bot_token, base_url=f"{web_api.base_url}/api/"
    )
    return asyncio.run(remind_pending_approvals(client, services, now=now))


def test_a_pending_approval_is_reminded_in_its_thread_once_per_delay(
    slack: tuple[CallLog, WebApi], api: CallLog, services: Services
) -> None:
    approval = ask_approval(services, slack)
    asked = approval.requested_at
    delay = services.policies.approvals.remind_after_hours * HOURS
    assert remind(slack, services, asked + delay - HOURS) == 0
    assert api.calls_to("chat.postMessage") == []

    assert remind(slack, services, asked + delay + HOURS) == 1
    [reminder] = api.calls_to("chat.postMessage")
    assert (reminder.args["channel"], reminder.args["thread_ts"]) == (CHANNEL, approval.message_ts)
    assert reminder.answer["ok"], reminder.answer
    assert "has waited 25 hours for a decision" in reminder.args["text"]
    assert "<@U0APPROVER>" in texts(reminder.args["blocks"])

    # The job runs hourly: nothing more until another delay has passed.
    for hours in (2, 12, 24):
        assert remind(slack, services, asked + delay + hours * HOURS) == 0
    assert remind(slack, services, asked + 2 * delay + 2 * HOURS) == 1
    assert len(api.calls_to("chat.postMessage")) == 2
    reminded_at = services.state.get_approval(approval.run_id).reminded_at
    assert reminded_at == asked + 2 * delay + 2 * HOURS


def test_decided_approvals_and_approvals_without_a_message_are_not_reminded(
    slack: tuple[CallLog, WebApi], api: CallLog, services: Services
) -> None:
    decided = ask_approval(services, slack)
    services.state.claim_approval(decided.run_id, "approved", actor="U0APPROVER")
    unposted = ask_approval(services, slack, message=False)
    later = unposted.requested_at + 100 * HOURS
    assert remind(slack, services, later) == 0
    assert api.calls_to("chat.postMessage") == []
    assert services.state.get_approval(unposted.run_id).reminded_at is None


def test_a_reminder_slack_refuses_is_logged_and_not_repeated_within_the_delay(
    slack: tuple[CallLog, WebApi],
    api: CallLog,
    services: Services,
    caplog: pytest.LogCaptureFixture,
) -> None:
    approval = ask_approval(services, slack)
    api.fail("chat.postMessage", "channel_not_found")
    due = approval.requested_at + 25 * HOURS
    with caplog.at_level(logging.WARNING, logger="bot.reminders"):
        assert remind(slack, services, due) == 0
    assert "channel_not_found" in caplog.text
    assert remind(slack, services, due + HOURS) == 0
    assert len(api.calls_to("chat.postMessage")) == 1


def test_the_hourly_job_posts_with_the_token_and_web_api_from_the_settings(
    slack: tuple[CallLog, WebApi],
    api: CallLog,
    services: Services,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert JOB_FUNCTIONS["approval_reminders"] == "bot.scheduler:run_approval_reminders"
    approval = ask_approval(services, slack, at=datetime.now(UTC) - 30 * HOURS)
    web_api = slack[1]
    monkeypatch.setenv("SLACK_BOT_TOKEN", web_api.workspace.identity.bot_token)
    monkeypatch.setenv("SLACK_API_URL", f"{web_api.base_url}/api/")
    approval_reminders_job(Settings())
    approval_reminders_job(Settings())
    [reminder] = api.calls_to("chat.postMessage")
    assert (reminder.args["channel"], reminder.args["thread_ts"]) == (CHANNEL, approval.message_ts)
    assert reminder.answer["ok"], reminder.answer
    assert services.state.get_approval(approval.run_id).reminded_at is not None


def test_without_a_bot_token_the_job_warns_once_and_posts_nothing(
    slack: tuple[CallLog, WebApi],
    api: CallLog,
    services: Services,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    approval = ask_approval(services, slack, at=datetime.now(UTC) - 30 * HOURS)
    monkeypatch.setenv("SLACK_API_URL", f"{slack[1].base_url}/api/")
    monkeypatch.delenv("SLACK_BOT_TOKEN")
    with caplog.at_level(logging.WARNING, logger="bot.scheduler"):
        approval_reminders_job(Settings())
    [warning] = [r for r in caplog.records if r.name == "bot.scheduler"]
    assert "SLACK_BOT_TOKEN is not set" in warning.getMessage()
    assert api.calls == []
    assert services.state.get_approval(approval.run_id).reminded_at is None
