"""Build the Slack app from the services: no globals, nothing connects until a request comes.

``build_app`` gives the ``AsyncApp`` (measured: the sync ``App`` misses Slack's 3 s ack under
modest load); ``http_app`` wraps it for uvicorn behind ``/slack/events``. Listeners ack at once and
run the (blocking, seconds-long) workflows through the app's ``WorkflowRunner`` inside the
listener rather than in a lazy listener: Bolt only logs a lazy listener's exception, while a
listener's own reaches the one ``@app.error`` handler below.

The runner is threads of this process unless the caller gives another: ``controlroom serve``
(and the demo, and bench/slack_ack.py) give a ``ProcessRunner``, so the workflows' CPU-bound
Python runs in worker processes and never holds the GIL the acks need (bot/runner.py).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from slack_bolt.adapter.starlette.async_handler import to_starlette_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.blocks import messages
from bot.edge import Refusal, SlackEdge, log_refusal
from bot.health import HealthChecks, HealthReport
from bot.listeners import (
    approvals,
    ask,
    commands,
    digest,
    escalation_replies,
    home,
    replies,
    review,
    support,
)
from bot.retries import AnswerOnce
from bot.runner import TaskGivenUpError, ThreadRunner, WorkersUnavailableError, WorkflowRunner
from bot.unsubscribe import unsubscribe_routes
from controlroom.services import Services
from integrations.statestore import SlackThread

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
SORRY = "Something went wrong on our side; it is in the log. Please try again in a minute."
BUSY = commands.BUSY
GIVEN_UP = (
    "This request was tried several times and stopped each time on our side, so we have "
    "stopped trying; it is in the log. Please try again later, or tell whoever runs the app."
)
# Twice the interval at which Bolt's async listener runner looks for a listener's ack.
ACK_LOOK_SECONDS = 0.02

Authorize = Callable[..., Awaitable[AuthorizeResult]]


class BotConfigError(RuntimeError):
    """The Slack settings are missing: the message names the variable to set."""


def build_app(
    services: Services,
    *,
    client: AsyncWebClient | None = None,
    authorize: Authorize | None = None,
    runner: WorkflowRunner | None = None,
) -> AsyncApp:
    """The Slack app with every listener registered.

    The signing secret and bot token come from ``services.settings``; ``client`` replaces the Web
    API client (tests point one at a local fake) and ``authorize`` the single-workspace token.
    ``runner`` runs the workflows: a ``ThreadRunner`` over ``services`` unless given (the caller
    that gives one starts and closes it).
    """
    settings = services.settings
    if settings.slack_signing_secret is None:
        raise BotConfigError("SLACK_SIGNING_SECRET is not set: copy it from the app's Basic Info")
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    if client is None and authorize is None and token is None:
        raise BotConfigError("SLACK_BOT_TOKEN is not set: copy the app's xoxb- token")
    app = AsyncApp(
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        # Bolt builds its client from the token (given a client too, it warns the token is
        # unused); each request's client copies this one's base URL.
        token=None if client is not None or authorize is not None else token,
        client=client,
        authorize=authorize,
        logger=logging.getLogger("bot.bolt"),
    )
    if client is None:
        app.client.base_url = settings.slack_api_url
    app.error(_report_error)
    # Before every listener: an event Slack delivers again is answered once (bot/retries.py).
    app.middleware(AnswerOnce(services.state))
    runner = runner or ThreadRunner(services)
    commands.register(app, services, runner)
    approvals.register(app, services, runner)
    review.register(app, services, runner)
    digest.register(app, services, runner)
    home.register(app, services, runner)
    # Before support: Bolt runs the first listener that matches, and support's takes every
    # message event; this one only replies in channel threads.
    escalation_replies.register(app, services, runner)
    support.register(app, services, runner)
    ask.register(app, services, runner)
    return app


async def _report_error(
    error: Exception, body: dict[str, Any], respond: AsyncRespond | None, client: AsyncWebClient
) -> None:
    """Log the failure with its traceback; tell the person plainly, never the exception text:
    through the response URL when the request has one, in the thread of a mention or direct
    message, else in a direct message (App Home buttons and modals). Workers that cannot take
    the request (too busy, or stopping) are no fault (the runner logs busy refusals once a
    minute): the person is asked to try again. A call the task queue gave up on (its workers
    kept dying) is said to have been tried several times and stopped."""
    # Bolt's listener runner (slack_bolt/listener/asyncio_runner.py) looks for the ack every
    # 10 ms and, when a listener fails after acking, sets the ack back to None once this
    # handler returns: a failure within 10 ms of the ack (a busy refusal is at once) loses the
    # HTTP response, a 404 after 3 s (140 of them in 20 s of bench/slack_ack.py before this
    # wait). Wait out one look first.
    await asyncio.sleep(ACK_LOOK_SECONDS)
    what = body.get("type") or body.get("command")
    text = SORRY
    if isinstance(error, WorkersUnavailableError):
        logger.debug("Slack request refused (%s): %s", what, error)
        text = BUSY
    elif isinstance(error, TaskGivenUpError):
        logger.error("Slack request given up (%s): %s", what, error)
        text = GIVEN_UP
    else:
        logger.exception("Slack request failed (%s)", what, exc_info=error)
    try:
        # A message event has no response URL: it is told where its answer would have gone.
        if thread := _event_thread(body):
            await replies.poster(client, thread)(text, messages.notice_blocks(text))
        else:
            await replies.tell_clicker(body, respond, client)(text)
    except SlackClientError:
        logger.warning("could not tell the person about the failure", exc_info=True)


def _event_thread(body: dict[str, Any]) -> SlackThread | None:
    """Where a message event's answer goes (a mention, a direct message), if it is one."""
    event = body.get("event") or {}
    if event.get("type") not in ("app_mention", "message"):
        return None
    return replies.event_thread(event)


def http_app(
    app: AsyncApp, *, runner: WorkflowRunner | None = None, services: Services | None = None
) -> Starlette:
    """The ASGI app serving Slack's requests (commands, buttons, modals) at ``/slack/events``,
    and ``/healthz`` for the load balancer (bot/health.py: given ``services``, their database and
    broker are checked; without, nothing is); given ``services`` with ``UNSUBSCRIBE_URL`` set,
    also the one-click unsubscribe links (bot/unsubscribe.py: signed by their token, not Slack).

    ``runner`` (the one given to ``build_app``) is started before the first request and closed
    when the server stops, in the lifespan: uvicorn re-raises SIGTERM once it has shut down, so
    the caller's own ``finally`` never runs then. (Under ``lifespan="off"`` the caller does both,
    and the start-up objects stay unfrozen: see ``freeze_start_up``.)
    """
    # Bolt keeps the secret it was built with; the edge checks with the same one.
    edge = SlackEdge(app._signing_secret)

    async def events(request: Request) -> Response:
        # Checked before Bolt parses anything (bot/edge.py): nothing from outside gets a 5xx.
        body = await request.body()
        checked = edge.check(body, request.headers)
        if isinstance(checked, Refusal):
            log_refusal(checked, request.headers)
            message = "invalid request" if checked.status == 401 else "malformed request"
            return JSONResponse({"error": message}, status_code=checked.status)
        if checked.ssl_check:
            return Response(status_code=200)
        headers: dict[str, str | Sequence[str]] = {
            **request.headers,
            "x-slack-signature": checked.signature,
        }
        bolt_request = AsyncBoltRequest(
            body=checked.text,
            query=request.url.query,
            headers=headers,
        )
        return to_starlette_response(await app.async_dispatch(bolt_request))

    checks = HealthChecks(services.state, services.settings) if services is not None else None

    async def health(request: Request) -> Response:
        report = (
            await checks.report() if checks is not None else HealthReport(status="ok", checks={})
        )
        return JSONResponse(
            report.model_dump(exclude_none=True),
            status_code=200 if report.status == "ok" else 503,
            headers={"Cache-Control": "no-store"},
        )

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        if runner is not None:
            await asyncio.to_thread(runner.start)
        freeze_start_up()
        try:
            yield
        finally:
            if runner is not None:
                await asyncio.to_thread(runner.close)

    return Starlette(
        routes=[
            Route(EVENTS_PATH, events, methods=["POST"]),
            Route(HEALTH_PATH, health, methods=["GET"]),
            *(unsubscribe_routes(services) if services is not None else []),
        ],
        lifespan=lifespan,
    )


async def run_socket_mode(
    app: AsyncApp, app_token: str, *, runner: WorkflowRunner | None = None
) -> None:
    """Serve ``app`` over Socket Mode until SIGTERM or SIGINT, then disconnect and close
    ``runner`` (the one given to ``build_app``). The handler is built inside the running event
    loop: aiohttp refuses to create its session outside one."""
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for stopping in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(stopping, stop.set)
    handler = AsyncSocketModeHandler(app, app_token)
    try:
        await handler.connect_async()
        freeze_start_up()
        logger.info("connected to Slack in Socket Mode")
        await stop.wait()
    finally:
        for stopping in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(stopping)
        await handler.close_async()
        if runner is not None:
            await asyncio.to_thread(runner.close)


def freeze_start_up() -> None:
    """Keep what start-up built (the imports, the app: ~300,000 objects) out of the garbage
    collector's full passes, in a process about to serve: they live as long as it does anyway.
    Left in, every full pass walks them all, stalling every ack in flight (~120 ms a pass here
    under bench/slack_ack.py; none over 30 ms with them frozen)."""
    gc.collect()
    gc.freeze()
