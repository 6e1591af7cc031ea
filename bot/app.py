"""Build the Slack app from the services: no globals, nothing connects until a request comes.

``build_app`` gives the ``AsyncApp`` (measured: the sync ``App`` misses Slack's 3 s ack under
modest load); ``http_app`` wraps it for uvicorn behind ``/slack/events``. Listeners ack at once and
run the (blocking, seconds-long) workflows in a worker thread with ``asyncio.to_thread`` inside
the listener rather than in a lazy listener: Bolt only logs a lazy listener's exception, while a
listener's own reaches the one ``@app.error`` handler below.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.blocks import messages
from bot.listeners import approvals, commands
from controlroom.services import Services

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
SORRY = "Something went wrong on our side; it is in the log. Please try again in a minute."

Authorize = Callable[..., Awaitable[AuthorizeResult]]


class BotConfigError(RuntimeError):
    """The Slack settings are missing: the message names the variable to set."""


def build_app(
    services: Services,
    *,
    client: AsyncWebClient | None = None,
    authorize: Authorize | None = None,
) -> AsyncApp:
    """The Slack app with every listener registered.

    The signing secret and bot token come from ``services.settings``; ``client`` replaces the Web
    API client (tests point one at a local fake) and ``authorize`` the single-workspace token.
    """
    settings = services.settings
    if settings.slack_signing_secret is None:
        raise BotConfigError("SLACK_SIGNING_SECRET is not set: copy it from the app's Basic Info")
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    if client is None and authorize is None:
        if token is None:
            raise BotConfigError("SLACK_BOT_TOKEN is not set: copy the app's xoxb- token")
        client = AsyncWebClient(token=token, base_url=settings.slack_api_url)
    app = AsyncApp(
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        client=client,
        authorize=authorize,
        logger=logging.getLogger("bot.bolt"),
    )
    app.error(_report_error)
    commands.register(app, services)
    approvals.register(app, services)
    return app


async def _report_error(
    error: Exception, body: dict[str, Any], respond: AsyncRespond | None
) -> None:
    """Log the failure with its traceback; tell the person plainly, never the exception text."""
    logger.exception(
        "Slack request failed (%s)", body.get("type") or body.get("command"), exc_info=error
    )
    if respond is not None:
        await respond(
            text=SORRY,
            blocks=messages.notice_blocks(SORRY),
            response_type="ephemeral",
            replace_original=False,
        )


def http_app(app: AsyncApp) -> Starlette:
    """The ASGI app serving Slack's requests (commands, buttons, modals) at ``/slack/events``,
    and ``/healthz`` for the load balancer."""
    handler = AsyncSlackRequestHandler(app)

    async def events(request: Request) -> Response:
        return await handler.handle(request)

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True})

    return Starlette(
        routes=[
            Route(EVENTS_PATH, events, methods=["POST"]),
            Route(HEALTH_PATH, health, methods=["GET"]),
        ]
    )
