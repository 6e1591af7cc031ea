"""A Slack request's handed-off half (``bot.handoff``) on the task queue, both sides.

In the web process, ``Queued`` is the app's lazy listener runner when a broker is configured:
an accepted request (its body and headers, as Slack sent them) is recorded and sent to the
queue before Slack gets its ack. In a ``controlroom worker``, ``handle`` dispatches it through
the Slack app the web process runs, built here once per worker process with ``worker=True``,
its lazy half only. The worker posts to Slack itself, through the Web API (``SLACK_BOT_TOKEN``,
``SLACK_API_URL``), progress and result alike, and runs the workflows in this process (a
``ThreadRunner``): it is the worker.

A task the queue gave up on (``bot.queue_tasks.run_work``: its workers kept dying) is not
dispatched: the person is told it was tried several times and stopped.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.lazy_listener.async_runner import AsyncLazyListenerRunner
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.failures import report_error
from bot.handoff import HAND_OFF, Background, Listener
from bot.runner import TaskGivenUpError, TaskSender, ThreadRunner
from controlroom.services import Services

logger = logging.getLogger(__name__)

# Bolt's headers for a request that runs one lazy function and nothing else.
LAZY_ONLY = "x-slack-bolt-lazy-only"
LAZY_FUNCTION = "x-slack-bolt-lazy-function-name"


@dataclass(frozen=True, slots=True)
class HandedOffRequest:
    """A Slack request as it crosses the task queue: what Slack sent (the raw body over HTTP,
    the payload over Socket Mode), its headers, and the lazy function to run."""

    body: str | dict[str, Any]
    headers: dict[str, list[str]]
    mode: str
    function: str

    @classmethod
    def of(cls, request: AsyncBoltRequest) -> HandedOffRequest:
        function = request.lazy_function_name or ""
        headers = {name: list(values) for name, values in request.headers.items()}
        headers |= {LAZY_ONLY: ["1"], LAZY_FUNCTION: [function]}
        body = request.raw_body if request.mode == "http" else request.body
        return cls(body=body, headers=headers, mode=request.mode, function=function)

    def bolt_request(self) -> AsyncBoltRequest:
        """The request as Bolt dispatches it: the lazy function alone."""
        return AsyncBoltRequest(body=self.body, headers=dict(self.headers), mode=self.mode)


@dataclass
class Queued(AsyncLazyListenerRunner):
    """The rest of an accepted listener sent to a ``controlroom worker`` through ``sender``:
    recorded and sent before this returns, so before Slack gets the ack. That takes the event
    loop for a few milliseconds (a database insert, a push to Redis): the price of an ack that
    promises the work will be done. A request that cannot be sent (the broker or the database
    down) is reported to the person."""

    sender: TaskSender
    logger: logging.Logger = field(default_factory=lambda: logger)
    _telling: Background = field(default_factory=Background)

    def start(self, function: Listener, request: AsyncBoltRequest) -> None:
        queue = request.context.get(HAND_OFF)
        if queue is None:
            return
        handed = HandedOffRequest.of(request)
        try:
            self.sender.send(handle, handed, queue=queue, work=f"slack: {handed.function}")
        except Exception as error:
            context = request.context
            self._telling.start(report_error(error, request.body, context.respond, context.client))


@dataclass(frozen=True, slots=True)
class _Held:
    services: Services
    app: AsyncApp
    loop: asyncio.AbstractEventLoop


# This worker process's app and event loop, built by its first handed-off request.
_held: _Held | None = None


def handle(services: Services, request: HandedOffRequest, *, given_up: str | None = None) -> None:
    """Run ``request``'s handed-off half over ``services`` (a ``bot.queue_tasks`` task)."""
    held = _app(services)
    bolt_request = request.bolt_request()
    if given_up is not None:
        respond, client = bolt_request.context.respond, held.app.client
        told = report_error(TaskGivenUpError(given_up), bolt_request.body, respond, client)
        held.loop.run_until_complete(told)
        return
    held.loop.run_until_complete(held.app.async_dispatch(bolt_request))


def _app(services: Services) -> _Held:
    global _held
    if _held is None or _held.services is not services:
        from bot.app import build_app

        runner = ThreadRunner(services, threads=None)
        loop = asyncio.new_event_loop()
        _held = _Held(services, build_app(services, runner=runner, worker=True), loop)
    return _held
