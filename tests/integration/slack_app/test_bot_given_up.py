"""A workflow call the task queue gave up on (its workers kept dying: BROKER_MAX_DELIVERIES)
reaches the person through the app's one error handler, as a plain sentence: never the
exception's text, never the generic "something went wrong"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.app import GIVEN_UP, SORRY, build_app, http_app
from bot.runner import TaskGivenUpError
from controlroom.services import Services
from tests.fakes.slack_api import BOT_TOKEN, SIGNING_SECRET, BotServer, FakeSlackAPI
from tests.fakes.slack_sender import SlackSender

REASON = "given up after 3 deliveries"


class GivingUpRunner:
    """A workflow runner whose every call comes back given up, as ``QueueRunner``'s does when
    a worker refuses a task delivered once too often."""

    busy = False

    async def call(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        raise TaskGivenUpError(REASON)

    def start(self) -> None:
        return

    def close(self) -> None:
        return


def test_a_given_up_command_tells_the_person_plainly_that_it_was_stopped(
    services: Services,
) -> None:
    with FakeSlackAPI() as api:
        client = AsyncWebClient(token=BOT_TOKEN, base_url=api.api_url)
        app = build_app(services, client=client, runner=GivingUpRunner())
        with BotServer(http_app(app)) as server:
            slack = SlackSender(server.url, SIGNING_SECRET, api.response_url)
            assert slack.command("ask what was revenue last week?").status_code == 200
            [told] = api.wait_for("response_url", timeout=30)

    assert told.args["text"] == GIVEN_UP != SORRY
    assert told.args["response_type"] == "ephemeral"
    assert REASON not in str(told.args) and "TaskGivenUpError" not in str(told.args)
