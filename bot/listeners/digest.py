"""The digest's buttons: "Start win-back for At Risk" on a posted digest, and "Run weekly digest
now" (App Home), which publishes a digest exactly as ``/controlroom gtm`` does.

Each acks at once, does the work as the person who clicked, and tells them the outcome
(``tell_clicker``: an ephemeral reply to a message's button, a direct message from App Home).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import ids, work
from bot.blocks import home as home_blocks
from bot.blocks.kit import user_mention
from bot.digest import DigestChannelError, publish_digest
from bot.envelopes import BlockActions
from bot.listeners.commands import post_winback_proposal, posted_where
from bot.listeners.home import publish_home
from bot.listeners.replies import tell_clicker
from bot.runner import WorkflowRunner
from controlroom.services import Services
from workflows.winback_audience import WinbackTargetError

logger = logging.getLogger(__name__)


def register(app: AsyncApp, services: Services, runner: WorkflowRunner) -> None:
    """Answer the digest's buttons on ``app``, running the workflows with ``runner``."""

    async def start_winback(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        click = BlockActions.model_validate(body)
        user, segment = click.user.id, click.clicked.value
        logger.info("win-back for %s started by %s from a button", segment, user)
        try:
            aim = work.winback_targeting(services, segment, None)
        except WinbackTargetError as problem:
            await tell_clicker(body, respond, client)(str(problem))
            return
        await _show_started(body, user, client, f"Preparing a win-back for {segment}… started by")
        try:
            told = await post_winback_proposal(services, runner, client, user, aim=aim)
        finally:
            await _refresh_home(body, user, runner, client)
        await tell_clicker(body, respond, client)(told)

    async def run_digest(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        user = BlockActions.model_validate(body).user.id
        logger.info("weekly digest run by %s from a button", user)
        reply = tell_clicker(body, respond, client)
        await _show_started(body, user, client, "Running the weekly digest… started by")
        try:
            published = await publish_digest(client, services, user, runner=runner)
        except DigestChannelError as problem:
            await reply(str(problem))
            return
        finally:
            await _refresh_home(body, user, runner, client)
        await reply(posted_where(published))

    app.action(ids.START_WINBACK)(start_winback)
    app.action(ids.RUN_DIGEST)(run_digest)


def _home_view(body: dict[str, Any]) -> dict[str, Any] | None:
    view = body.get("view")
    return view if isinstance(view, dict) and view.get("type") == "home" else None


async def _show_started(
    body: dict[str, Any], user: str, client: AsyncWebClient, started: str
) -> None:
    """A click on App Home shows at once, under the buttons, what it started and by whom."""
    view = _home_view(body)
    if view is None:
        return
    note = f":hourglass_flowing_sand: {started} {user_mention(user)}"
    await client.views_update(view_id=str(view.get("id")), view=home_blocks.noted_view(view, note))


async def _refresh_home(
    body: dict[str, Any], user: str, runner: WorkflowRunner, client: AsyncWebClient
) -> None:
    """After the work, App Home shows the control room again, the new run in it, to ``user``."""
    if _home_view(body) is not None:
        await publish_home(runner, client, user)
