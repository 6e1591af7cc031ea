"""Slack retries through the real Bolt app over signed HTTP: an event Slack sends again (the same
``event_id``, with ``X-Slack-Retry-Num``), to the same web replica or another, is acknowledged
and answered once.

The app's workflow calls run in one thread here, in the order the requests came, so a later
"sentinel" event answered means every earlier delivery was answered (or dropped) before it.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from slack_bolt.request.async_request import AsyncBoltRequest

from bot import ids
from bot.runner import ThreadRunner
from controlroom.services import Services, build_services
from controlroom.settings import Settings
from sandbox import CallLog, Workspace
from tests.integration.slack_app._support import CONFIDENT, ESCALATIONS, UNSURE, mention
from tests.slack_sandbox import RunningBot, running_bot


@contextmanager
def replica(
    services: Services, workspace: Workspace, *, beside: RunningBot | None = None
) -> Iterator[RunningBot]:
    """One web replica: the real app on its own server, its workflows in one thread (in the
    order the requests came), talking to the sandbox (``beside``'s, when given)."""
    runner = ThreadRunner(services, threads=1)
    try:
        with running_bot(services, workspace, beside=beside, runner=runner) as running:
            yield running
    finally:
        runner.close()


@pytest.fixture
def replicas(
    settings: Settings, services: Services, workspace: Workspace, ingested_kb: Path
) -> Iterator[tuple[RunningBot, RunningBot]]:
    """Two web replicas behind one load balancer: two apps with their own services over the
    same state database, and one Slack."""
    with ExitStack() as stack:
        other = build_services(settings)
        stack.callback(other.close)
        first = stack.enter_context(replica(services, workspace))
        second = stack.enter_context(replica(other, workspace, beside=first))
        yield first, second


def in_thread(bot: RunningBot, thread_ts: str, count: int = 1) -> int:
    """How many messages the app posted in the thread ``thread_ts`` of #gtm, once at least
    ``count`` are there."""
    deadline = time.monotonic() + 60
    while True:
        found = [
            call
            for call in bot.api.calls_to("chat.postMessage")
            if call.args.get("channel") == "C0GTM" and call.args.get("thread_ts") == thread_ts
        ]
        if len(found) >= count or time.monotonic() > deadline:
            return len(found)
        time.sleep(0.05)


def test_a_mention_sent_three_times_to_two_replicas_is_answered_once(
    replicas: tuple[RunningBot, RunningBot], services: Services
) -> None:
    first, second = replicas
    asked = mention(first, CONFIDENT)
    original = first.slack.event_body(asked)
    assert first.slack.deliver(original).status_code == 200
    assert second.slack.deliver(original, retry=1).status_code == 200
    assert second.slack.deliver(original, retry=2).status_code == 200
    # A later question, answered after whatever the retries set going on that replica.
    later = mention(second, CONFIDENT)
    assert second.slack.event(later).status_code == 200
    assert in_thread(second, later["ts"]) == 1
    assert in_thread(first, asked["ts"]) == 1
    assert len(services.state.recent_runs(workflow="support")) == 2


def test_an_escalating_question_delivered_twice_makes_one_approval_run(
    replicas: tuple[RunningBot, RunningBot], services: Services
) -> None:
    bot, _ = replicas
    asked = mention(bot, UNSURE)
    original = bot.slack.event_body(asked)
    assert bot.slack.deliver(original).status_code == 200
    # The same event id again, even without the retry headers, is taken already.
    assert bot.slack.deliver(original).status_code == 200
    later = mention(bot, UNSURE)
    assert bot.slack.event(later).status_code == 200
    assert in_thread(bot, later["ts"]) == 1
    assert in_thread(bot, asked["ts"]) == 1
    assert len(services.state.approvals()) == 2  # the original's and the later question's
    escalations = [
        c for c in bot.api.calls_to("chat.postMessage") if c.args.get("channel") == ESCALATIONS
    ]
    assert len(escalations) == 2
    approve_values = {
        element["value"]
        for call in escalations
        for block in call.args["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == ids.APPROVE
    }
    assert approve_values == {a.run_id for a in services.state.approvals()}


def test_a_retried_home_event_publishes_the_home_tab_once(
    replicas: tuple[RunningBot, RunningBot],
) -> None:
    bot, _ = replicas
    opened = bot.slack.event_body(bot.slack.home_opened("U0MARKETER"))
    assert bot.slack.deliver(opened).status_code == 200
    assert bot.slack.deliver(opened, retry=1).status_code == 200
    assert bot.slack.event(bot.slack.home_opened("U0APPROVER")).status_code == 200
    deadline = time.monotonic() + 60
    while "U0APPROVER" not in (users := published_to(bot)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert users == ["U0MARKETER", "U0APPROVER"]


def published_to(bot: RunningBot) -> list[str]:
    """Whose Home tab the app published, in order."""
    return published_to_api(bot.api)


def test_an_event_redelivered_over_socket_mode_is_answered_once(
    services: Services, workspace: Workspace
) -> None:
    """Socket Mode redelivers an event with ``retry_attempt`` in a new envelope, the same
    ``event_id`` inside: the app (dispatched as the Socket Mode adapter does) answers once."""
    with replica(services, workspace) as bot:
        app, api = bot.app, bot.api
        opened = json.loads(bot.slack.event_body(bot.slack.home_opened("U0MARKETER")))
        later = json.loads(bot.slack.event_body(bot.slack.home_opened("U0APPROVER")))

        async def deliver_all() -> list[int]:
            statuses = []
            for payload in (opened, opened, later):
                request = AsyncBoltRequest(body=payload, mode="socket_mode")
                statuses.append((await app.async_dispatch(request)).status)
            while "U0APPROVER" not in published_to_api(api):
                await asyncio.sleep(0.05)
            return statuses

        assert asyncio.run(asyncio.wait_for(deliver_all(), 60)) == [200, 200, 200]
        assert published_to_api(api) == ["U0MARKETER", "U0APPROVER"]


def published_to_api(api: CallLog) -> list[str]:
    return [call.args["user_id"] for call in api.calls_to("views.publish")]
