"""App Home: the control room, published (``views.publish``) each time someone opens the tab.

Links to pending approvals come from ``chat.getPermalink`` rather than a URL built from the
channel and ts: it needs no workspace domain (``auth.test``'s URL, another call and a cache),
and gives the right link on Enterprise Grid and for thread replies. One call per listed
approval, made at once; an approval whose link Slack refuses still shows, without the link.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import handoff, work
from bot.blocks import home as home_blocks
from bot.envelopes import AppHomeOpened
from bot.runner import WorkflowRunner
from controlroom.services import Services
from integrations.statestore import ApprovalRecord

logger = logging.getLogger(__name__)


def register(app: AsyncApp, services: Services, runner: WorkflowRunner) -> None:
    """Publish the control room on ``app`` whenever a person opens the app's Home tab."""

    async def home_opened(event: dict[str, Any], client: AsyncWebClient) -> None:
        opened = AppHomeOpened.model_validate(event)
        # The event also fires for the Messages and About tabs.
        if opened.tab != "home":
            return
        await publish_home(runner, client, opened.user)

    handoff.listen(app.event("app_home_opened"), home_opened)


async def publish_home(runner: WorkflowRunner, client: AsyncWebClient, user_id: str) -> None:
    """Read the control room and publish it as ``user_id``'s Home tab (also after a change)."""
    room = await runner.call(work.control_room)
    listed = room.pending[: home_blocks.HOME_APPROVALS]
    links = await _permalinks(client, listed)
    await client.views_publish(user_id=user_id, view=home_blocks.home_view(room, links=links))


async def _permalinks(
    client: AsyncWebClient, approvals: tuple[ApprovalRecord, ...]
) -> dict[str, str]:
    posted = [a for a in approvals if a.channel_id and a.message_ts]
    found = await asyncio.gather(*(_permalink(client, a) for a in posted))
    return {a.run_id: url for a, url in zip(posted, found, strict=True) if url}


async def _permalink(client: AsyncWebClient, approval: ApprovalRecord) -> str | None:
    try:
        reply = await client.chat_getPermalink(
            channel=str(approval.channel_id), message_ts=str(approval.message_ts)
        )
    except SlackApiError as error:
        logger.warning("no permalink for run %s: %s", approval.run_id, error.response.get("error"))
        return None
    url = reply.get("permalink")
    return url if isinstance(url, str) else None
