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
from typing import Any

import pytest
import requests
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from bot import ids
from bot.app import build_app, http_app
from bot.runner import ThreadRunner
from controlroom.services import Services, build_services
from controlroom.settings import Settings
from tests.fakes.slack_api import (
    BOT_TOKEN,
    BotServer,
    FakeSlackAPI,
    RunningBot,
    signing_secret,
)
from tests.fakes.slack_sender import BOT_USER_ID, SlackSender, app_home_opened, event_callback

ASKER = "U0CUSTOMER"
CONFIDENT = "how do I reset my password?"
UNSURE = "Can I pay for my order with a goat?"
ESCALATIONS = "#support-escalations"  # policies/approvals.yaml channels.support_escalations


@contextmanager
def replica(services: Services, api: FakeSlackAPI) -> Iterator[RunningBot]:
    """One web replica: the real app on its own server, its workflows in one thread (in the
    order the requests came), talking to the shared fake Slack."""
    runner = ThreadRunner(services, threads=1)
    client = AsyncWebClient(token=BOT_TOKEN, base_url=api.api_url)
    try:
        with BotServer(http_app(build_app(services, client=client, runner=runner))) as server:
            yield RunningBot(
                api, SlackSender(server.url, signing_secret(services), api.response_url)
            )
    finally:
        runner.close()


@pytest.fixture
def replicas(
    settings: Settings, services: Services, ingested_kb: Path
) -> Iterator[tuple[RunningBot, RunningBot]]:
    """Two web replicas behind one load balancer: two apps with their own services over the
    same state database."""
    with ExitStack() as stack:
        api = stack.enter_context(FakeSlackAPI())
        other = build_services(settings)
        stack.callback(other.close)
        first = stack.enter_context(replica(services, api))
        second = stack.enter_context(replica(other, api))
        yield first, second


def deliver(
    bot: RunningBot, envelope: dict[str, Any], *, retry: int | None = None
) -> requests.Response:
    """Post an Events API envelope as Slack does; ``retry`` adds Slack's retry headers."""
    body = json.dumps(envelope)
    ts = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": bot.slack.verifier.generate_signature(timestamp=ts, body=body),
    }
    if retry is not None:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
    return requests.post(bot.slack.url, data=body.encode(), headers=headers, timeout=10)


def mention(text: str, ts: str) -> dict[str, Any]:
    return {
        "type": "app_mention",
        "user": ASKER,
        "text": f"<@{BOT_USER_ID}> {text}",
        "ts": ts,
        "channel": "C0GTM",
        "event_ts": ts,
    }


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
    original = event_callback(mention(CONFIDENT, "1764000100.000100"))
    assert deliver(first, original).status_code == 200
    assert deliver(second, original, retry=1).status_code == 200
    assert deliver(second, original, retry=2).status_code == 200
    # A later question, answered after whatever the retries set going on that replica.
    assert deliver(second, event_callback(mention(CONFIDENT, "1764000200.000100"))).status_code
    assert in_thread(second, "1764000200.000100") == 1
    assert in_thread(first, "1764000100.000100") == 1
    assert len(services.state.recent_runs(workflow="support")) == 2


def test_an_escalating_question_delivered_twice_makes_one_approval_run(
    replicas: tuple[RunningBot, RunningBot], services: Services
) -> None:
    bot, _ = replicas
    original = event_callback(mention(UNSURE, "1764000300.000100"))
    assert deliver(bot, original).status_code == 200
    # The same event id again, even without the retry headers, is taken already.
    assert deliver(bot, original).status_code == 200
    assert deliver(bot, event_callback(mention(UNSURE, "1764000400.000100"))).status_code == 200
    assert in_thread(bot, "1764000400.000100") == 1
    assert in_thread(bot, "1764000300.000100") == 1
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
    opened = event_callback(app_home_opened("U0MARKETER"))
    assert deliver(bot, opened).status_code == 200
    assert deliver(bot, opened, retry=1).status_code == 200
    assert deliver(bot, event_callback(app_home_opened("U0APPROVER"))).status_code == 200
    deadline = time.monotonic() + 60
    while "U0APPROVER" not in (users := published_to(bot)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert users == ["U0MARKETER", "U0APPROVER"]


def published_to(bot: RunningBot) -> list[str]:
    """Whose Home tab the app published, in order."""
    return published_to_api(bot.api)


def test_an_event_redelivered_over_socket_mode_is_answered_once(services: Services) -> None:
    """Socket Mode redelivers an event with ``retry_attempt`` in a new envelope, the same
    ``event_id`` inside: the app (dispatched as the Socket Mode adapter does) answers once."""
    with FakeSlackAPI() as api:
        runner = ThreadRunner(services, threads=1)
        client = AsyncWebClient(token=BOT_TOKEN, base_url=api.api_url)
        app = build_app(services, client=client, runner=runner)
        opened = event_callback(app_home_opened("U0MARKETER"))
        later = event_callback(app_home_opened("U0APPROVER"))

        async def deliver_all() -> list[int]:
            statuses = []
            for payload in (opened, opened, later):
                request = AsyncBoltRequest(body=payload, mode="socket_mode")
                statuses.append((await app.async_dispatch(request)).status)
            while "U0APPROVER" not in published_to_api(api):
                await asyncio.sleep(0.05)
            return statuses

        try:
            assert asyncio.run(asyncio.wait_for(deliver_all(), 60)) == [200, 200, 200]
        finally:
            runner.close()
        assert published_to_api(api) == ["U0MARKETER", "U0APPROVER"]


def published_to_api(api: FakeSlackAPI) -> list[str]:
    return [call.args["user_id"] for call in api.calls_to("views.publish")]
