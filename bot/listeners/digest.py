"""The digest's buttons: "Start win-back for At Risk" on a posted digest, and "Run weekly digest
now" (App Home), which publishes a digest exactly as ``/controlroom gtm`` does.

Each acks at once, does the work as the person who clicked, and tells them the outcome: in an
ephemeral reply when the click has a response URL (a message's button), else in a direct
message from the app (App Home has none).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import ids, work
from bot.blocks import home as home_blocks
from bot.blocks import messages
from bot.blocks.kit import user_mention
from bot.digest import DigestChannelError, publish_digest
from bot.listeners.commands import post_winback_proposal, posted_where
from bot.listeners.home import publish_home
from bot.runner import WorkflowRunner
from controlroom.services import Services
from workflows.winback import WinbackTargetError

logger = logging.getLogger(__name__)

Reply = Callable[[str], Awaitable[None]]


def register(app: AsyncApp, services: Services, runner: WorkflowRunner) -> None:
    """Answer the digest's buttons on ``app``, running the workflows with ``runner``."""

    async def start_winback(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        user, segment = body["user"]["id"], _clicked_value(body)
        logger.info("win-back for %s started by %s from a button", segment, user)
        try:
            aim = work.winback_targeting(services, segment, None)
        except WinbackTargetError as problem:
            await _reply(body, respond, client)(str(problem))
            return
        await _show_started(body, client, f"Preparing a win-back for {segment}… started by")
        try:
            told = await post_winback_proposal(services, runner, client, user, aim=aim)
        finally:
            await _refresh_home(body, runner, client)
        await _reply(body, respond, client)(told)

    async def run_digest(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        user = body["user"]["id"]
        logger.info("weekly digest run by %s from a button", user)
        reply = _reply(body, respond, client)
        await _show_started(body, client, "Running the weekly digest… started by")
        try:
            published = await publish_digest(client, services, user, runner=runner)
        except DigestChannelError as problem:
            await reply(str(problem))
            return
        finally:
            await _refresh_home(body, runner, client)
        await reply(posted_where(published))

    app.action(ids.START_WINBACK)(start_winback)
    app.action(ids.RUN_DIGEST)(run_digest)


def _home_view(body: dict[str, Any]) -> dict[str, Any] | None:
    view = body.get("view")
    return view if isinstance(view, dict) and view.get("type") == "home" else None


async def _show_started(body: dict[str, Any], client: AsyncWebClient, started: str) -> None:
    """A click on App Home shows at once, under the buttons, what it started and by whom."""
    view = _home_view(body)
    if view is None:
        return
    note = f":hourglass_flowing_sand: {started} {user_mention(body['user']['id'])}"
    await client.views_update(view_id=str(view["id"]), view=home_blocks.noted_view(view, note))


async def _refresh_home(
    body: dict[str, Any], runner: WorkflowRunner, client: AsyncWebClient
) -> None:
    """After the work, App Home shows the control room again, the new run in it."""
    if _home_view(body) is not None:
        await publish_home(runner, client, body["user"]["id"])


def _clicked_value(body: dict[str, Any]) -> str:
    actions = body.get("actions") or [{}]
    return str(actions[0].get("value") or "")


def _reply(body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient) -> Reply:
    """Tell the person who clicked: ephemerally where the click came with a response URL (Bolt's
    ``respond`` raises without one), else in a direct message."""
    user = body["user"]["id"]
    has_response_url = bool(body.get("response_url"))

    async def reply(text: str) -> None:
        if has_response_url:
            # Not replace_original: the clicked message is the digest, which stays.
            await respond(
                text=text,
                blocks=messages.notice_blocks(text),
                response_type="ephemeral",
                replace_original=False,
            )
        else:
            await client.chat_postMessage(
                channel=user, text=text, blocks=messages.notice_blocks(text)
            )

    return reply
