"""The one way the app tells the person who clicked: ephemerally through the response URL when
the request has one, else in a direct message; never by replacing the clicked message."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from slack_bolt.async_app import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.listeners.replies import tell_clicker


class Recorder:
    """Stands in for Bolt's ``respond`` and the Web API client, recording what each was sent."""

    def __init__(self) -> None:
        self.responded: list[dict[str, Any]] = []
        self.posted: list[dict[str, Any]] = []

    async def __call__(self, **kwargs: Any) -> None:
        self.responded.append(kwargs)

    async def chat_postMessage(self, **kwargs: Any) -> None:  # noqa: N802 (Slack's name)
        self.posted.append(kwargs)


def tell(body: dict[str, Any], *, with_respond: bool = True) -> Recorder:
    recorder = Recorder()
    respond = cast(AsyncRespond, recorder) if with_respond else None
    asyncio.run(tell_clicker(body, respond, cast(AsyncWebClient, recorder))("Not yours to decide."))
    return recorder


def test_a_click_on_a_message_is_answered_ephemerally_leaving_the_message() -> None:
    told = tell({"user": {"id": "U0CLICKER"}, "response_url": "https://hooks.example/1"})
    assert told.posted == []
    (reply,) = told.responded
    assert (reply["response_type"], reply["replace_original"]) == ("ephemeral", False)
    assert reply["text"] == "Not yours to decide." and reply["blocks"]


def test_a_click_on_app_home_or_a_modal_is_answered_in_a_direct_message() -> None:
    for told in (
        tell({"user": {"id": "U0CLICKER"}, "view": {"type": "home"}}),
        tell({"user": {"id": "U0CLICKER"}, "response_url": "https://x"}, with_respond=False),
    ):
        assert told.responded == []
        assert [p["channel"] for p in told.posted] == ["U0CLICKER"]


def test_a_slash_command_is_answered_through_its_response_url() -> None:
    told = tell({"user_id": "U0TYPER", "response_url": "https://hooks.example/2"})
    assert len(told.responded) == 1 and told.posted == []
