"""The digest's buttons: "Start win-back for At Risk" on a posted digest, and "Run weekly digest
now" (App Home), which publishes a digest exactly as ``/controlroom gtm`` does.

Each acks at once, does the work as the person who clicked, and tells them the outcome
(``tell_clicker``: an ephemeral reply to a message's button, a direct message from App Home).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot import handoff, ids, work
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

    async def winback_clicked(
        ack: AsyncAck,
        body: dict[str, Any],
        respond: AsyncRespond,
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        click = BlockActions.model_validate(body)
        try:
            work.winback_targeting(services, click.clicked.value, None)
        except WinbackTargetError as problem:
            await ack()
            await tell_clicker(body, respond, client)(str(problem))
            return
        await handoff.accept(ack, context)
        started = f"Preparing a win-back for {click.clicked.value}… started by"
        await _show_started(body, click.user.id, client, started)

    async def start_winback(
        body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        click = BlockActions.model_validate(body)
        user, segment = click.user.id, click.clicked.value
        logger.info("win-back for %s started by %s from a button", segment, user)
        aim = work.winback_targeting(services, segment, None)
        try:
            told = await post_winback_proposal(services, runner, client, user, aim=aim)
        finally:
            await _refresh_home(body, user, runner, client)
        await tell_clicker(body, respond, client)(told)

    async def digest_clicked(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        await handoff.accept(ack, context, handoff.BATCH)
        user = BlockActions.model_validate(body).user.id
        await _show_started(body, user, client, "Running the weekly digest… started by")

    async def run_digest(
        body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        user = BlockActions.model_validate(body).user.id
        logger.info("weekly digest run by %s from a button", user)
        reply = tell_clicker(body, respond, client)
        try:
            published = await publish_digest(client, services, user, runner=runner)
        except DigestChannelError as problem:
            await reply(str(problem))
            return
        finally:
            await _refresh_home(body, user, runner, client)
        await reply(posted_where(published))

    # Started at once, where it was clicked; the work handed off.
    handoff.listen(app.action(ids.START_WINBACK), start_winback, ack=winback_clicked)
    handoff.listen(app.action(ids.RUN_DIGEST), run_digest, ack=digest_clicked)


def _home_view(body: dict[str, Any]) -> dict[str, Any] | None:
    view = body.get("view")
    return view if isinstance(view, dict) and view.get("type") == "home" else None


async def _show_started(
    body: dict[str, Any], user: str, client: AsyncWebClient, started: str
) -> None:
    """A click on App Home shows at once, under the buttons, what it started and by whom (a
    nicety: the work goes on if Slack refuses it)."""
    view = _home_view(body)
    if view is None:
        return
    note = f":hourglass_flowing_sand: {started} {user_mention(user)}"
    try:
        await client.views_update(
            view_id=str(view.get("id")), view=home_blocks.noted_view(view, note)
        )
    except SlackClientError as error:
        logger.warning("could not show what a Home click started: %s", error)


async def _refresh_home(
    body: dict[str, Any], user: str, runner: WorkflowRunner, client: AsyncWebClient
) -> None:
    """After the work, App Home shows the control room again, the new run in it, to ``user``."""
    if _home_view(body) is not None:
        await publish_home(runner, client, user)
