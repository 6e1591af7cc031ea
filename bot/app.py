"""Build the Slack app from the services: no globals, nothing connects until a request comes.

``build_app`` gives the ``AsyncApp`` (measured: the sync ``App`` misses Slack's 3 s ack under
modest load); ``http_app`` wraps it for uvicorn behind ``/slack/events``. Listeners ack at once and
run the (blocking, seconds-long) workflows in a worker thread with ``asyncio.to_thread`` inside
the listener rather than in a lazy listener: Bolt only logs a lazy listener's exception, while a
listener's own reaches the one ``@app.error`` handler below.

Those worker threads are few (``WORKFLOW_THREADS``): the workflows are CPU-bound Python holding
the GIL, so more threads finish no more work and only make acks wait (bench/slack_ack.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.blocks import messages
from bot.listeners import approvals, commands, digest, home, support
from controlroom.services import Services

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
# Threads running workflows for the listeners (``asyncio.to_thread``). Measured with
# bench/slack_ack.py on 2 cores, 20 requests at a time: Python's default pool (6 threads here)
# gives ack p99 ~480 ms, 2 threads ~195 ms, for the same number of workflows finished.
WORKFLOW_THREADS = 2
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
    digest.register(app, services)
    home.register(app, services)
    support.register(app, services)
    return app


async def _report_error(
    error: Exception, body: dict[str, Any], respond: AsyncRespond | None, client: AsyncWebClient
) -> None:
    """Log the failure with its traceback; tell the person plainly, never the exception text:
    through the response URL when the request has one, else in a direct message (App Home
    buttons, modals and events have none)."""
    logger.exception(
        "Slack request failed (%s)", body.get("type") or body.get("command"), exc_info=error
    )
    try:
        if respond is not None and _response_url(body):
            await respond(
                text=SORRY,
                blocks=messages.notice_blocks(SORRY),
                response_type="ephemeral",
                replace_original=False,
            )
        elif user := _user_id(body):
            await client.chat_postMessage(
                channel=user, text=SORRY, blocks=messages.notice_blocks(SORRY)
            )
    except SlackClientError:
        logger.warning("could not tell the person about the failure", exc_info=True)


def _response_url(body: dict[str, Any]) -> str | None:
    urls = body.get("response_urls") or [{}]
    return body.get("response_url") or urls[0].get("response_url")


def _user_id(body: dict[str, Any]) -> str | None:
    """Who made the request: a command's ``user_id``, an interaction's user, an event's user."""
    user = body.get("user")
    if isinstance(user, dict):
        return user.get("id")
    event = body.get("event") or {}
    found = body.get("user_id") or event.get("user")
    return str(found) if found else None


def http_app(app: AsyncApp, *, workflow_threads: int = WORKFLOW_THREADS) -> Starlette:
    """The ASGI app serving Slack's requests (commands, buttons, modals) at ``/slack/events``,
    and ``/healthz`` for the load balancer; its workflows run in ``workflow_threads`` threads."""
    handler = AsyncSlackRequestHandler(app)

    async def events(request: Request) -> Response:
        return await handler.handle(request)

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True})

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        use_workflow_threads(workflow_threads)
        yield

    return Starlette(
        routes=[
            Route(EVENTS_PATH, events, methods=["POST"]),
            Route(HEALTH_PATH, health, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


async def run_socket_mode(app: AsyncApp, app_token: str) -> None:
    """Serve ``app`` over Socket Mode until stopped. The handler is built inside the running
    event loop: aiohttp refuses to create its session outside one."""
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    use_workflow_threads(WORKFLOW_THREADS)
    await AsyncSocketModeHandler(app, app_token).start_async()


def use_workflow_threads(count: int) -> None:
    """Run this event loop's ``asyncio.to_thread`` calls (the workflows) in ``count`` threads."""
    pool = ThreadPoolExecutor(max_workers=count, thread_name_prefix="workflow")
    asyncio.get_running_loop().set_default_executor(pool)
