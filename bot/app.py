"""Build the Slack app from the services: no globals, nothing connects until a request comes.

``build_app`` gives the ``AsyncApp`` (measured: the sync ``App`` misses Slack's 3 s ack under
modest load); ``http_app`` wraps it for uvicorn behind ``/slack/events``. Each listener is an ack
and a handed-off rest (``bot.handoff``): the rest runs in this process, or, given a queue
runner, in a ``controlroom worker``, which builds this same app (``worker=True``) to run it.
The rest runs the (blocking, seconds-long) workflows through the app's ``WorkflowRunner``.

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
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot import handoff, slack_work
from bot.edge import Refusal, SlackEdge, log_refusal
from bot.failures import report_error
from bot.health import HealthChecks, HealthReport
from bot.listeners import (
    approvals,
    ask,
    commands,
    digest,
    escalation_replies,
    home,
    review,
    support,
)
from bot.retries import AnswerOnce
from bot.runner import TaskSender, ThreadRunner, WorkflowRunner
from bot.unsubscribe import unsubscribe_routes
from controlroom.services import Services

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
Authorize = Callable[..., Awaitable[AuthorizeResult]]


class BotConfigError(RuntimeError):
    """The Slack settings are missing: the message names the variable to set."""


def build_app(
    services: Services,
    *,
    client: AsyncWebClient | None = None,
    authorize: Authorize | None = None,
    runner: WorkflowRunner | None = None,
    worker: bool = False,
) -> AsyncApp:
    """The Slack app with every listener registered.

    The signing secret and bot token come from ``services.settings``; ``client`` replaces the Web
    API client (tests point one at a local fake) and ``authorize`` the single-workspace token.
    ``runner`` runs the workflows: a ``ThreadRunner`` over ``services`` unless given (the caller
    that gives one starts and closes it); a queue runner also takes the listeners' handed-off
    halves (``bot.handoff``). ``worker``: the app a ``controlroom worker`` runs those halves
    with, on requests the web process verified (it trusts the broker, as for every task).
    """
    settings = services.settings
    secret = settings.slack_signing_secret
    if secret is None and not worker:
        raise BotConfigError("SLACK_SIGNING_SECRET is not set: copy it from the app's Basic Info")
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    if client is None and authorize is None and token is None:
        raise BotConfigError("SLACK_BOT_TOKEN is not set: copy the app's xoxb- token")
    app = AsyncApp(
        signing_secret=secret.get_secret_value() if secret is not None else "",
        # Bolt builds its client from the token (given a client too, it warns the token is
        # unused); each request's client copies this one's base URL.
        token=None if client is not None or authorize is not None else token,
        client=client,
        authorize=authorize,
        logger=logging.getLogger("bot.bolt"),
        # The ack function returns before the handed-off half starts: it decides whether there
        # is one (bot/handoff.py).
        process_before_response=True,
        request_verification_enabled=not worker,
    )
    if client is None:
        app.client.base_url = settings.slack_api_url
    app.error(_ack_failed)
    # Before every listener: an event Slack delivers again is answered once (bot/retries.py).
    app.middleware(AnswerOnce(services.state))
    runner = runner or ThreadRunner(services)
    # The listeners' handed-off halves (bot/handoff.py): to the task queue when the runner
    # sends there, else tasks of this process.
    lazy = slack_work.Queued(runner) if isinstance(runner, TaskSender) else handoff.InProcess()
    app.listener_runner.lazy_listener_runner = lazy
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


async def _ack_failed(
    error: Exception, body: dict[str, Any], respond: AsyncRespond | None, client: AsyncWebClient
) -> BoltResponse:
    """An ack function that raised: the person is told (``report_error``), and Slack gets a
    200 (Bolt's default here is a 500, which Slack retries)."""
    await report_error(error, body, respond, client)
    return BoltResponse(status=200, body="")


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
