"""Listeners in two halves: the ack, in the process Slack's request reached, and the rest (the
workflow and its posts to Slack), handed off. These are Bolt's lazy listeners: each listener
is registered as ``ack=`` a short function that answers Slack (and may refuse: a modal's
errors, a busy note), and ``lazy=[…]`` the rest, wrapped by ``handed_off``.

Where the rest runs is the app's lazy listener runner (``bot.app.build_app`` chooses):
- without a broker, a task of this process (``InProcess``), as a listener's tail always ran;
- with one (``REDIS_URL``), a ``controlroom worker`` on any machine (``bot.slack_work.Queued``):
  the request (its body and headers, as Slack sent them) is recorded and sent to the task
  queue *before* Slack gets its ack, so a web process that dies after acking loses nothing.
  The worker dispatches it through the same app, lazy half only, and posts to Slack itself.

The rest is handed off only when the ack accepted the request (``accept``): the app runs with
``process_before_response``, so Bolt starts the lazy half after the ack function has returned,
and reads the queue ``accept`` chose from the request's context. A refused request (a modal's
errors, help text, busy) hands nothing off.

Bolt only logs a lazy function's exception; ``handed_off`` reports it to the person as every
failure is (``bot.failures``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_bolt.kwargs_injection.async_args import AsyncArgs
from slack_bolt.lazy_listener.async_internals import to_runnable_function
from slack_bolt.lazy_listener.async_runner import AsyncLazyListenerRunner
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.util.utils import get_arg_names_of_callable

from bot.failures import report_error

logger = logging.getLogger(__name__)

# The request context's key for the queue ``accept`` chose; absent: nothing is handed off.
HAND_OFF = "controlroom_hand_off"
# The task queues (bot.queue_tasks): short interactive work, and long batch work (a digest, a
# campaign's send) that an answer must never wait behind.
INTERACTIVE = "interactive"
BATCH = "batch"

Listener = Callable[..., Awaitable[None]]


async def accept(
    ack: AsyncAck, context: AsyncBoltContext, /, queue: str = INTERACTIVE, **response: Any
) -> None:
    """Ack with ``response`` and hand the rest of the listener off to ``queue``."""
    context[HAND_OFF] = queue
    await ack(**response)


async def accepted(ack: AsyncAck, context: AsyncBoltContext) -> None:
    """The ack of a listener that always takes its request (buttons, events): at once."""
    await accept(ack, context)


async def accepted_batch(ack: AsyncAck, context: AsyncBoltContext) -> None:
    """``accepted``, the rest to the batch queue (it sends a campaign, or runs the digest)."""
    await accept(ack, context, BATCH)


def handed_off(fn: Listener) -> Listener:
    """``fn`` as a lazy function: given the arguments it names, as a listener is; an exception
    it raises is reported to the person (``bot.failures.report_error``)."""
    names = get_arg_names_of_callable(fn)

    async def lazy(args: AsyncArgs) -> None:
        try:
            await fn(**{name: getattr(args, name) for name in names})
        except Exception as error:
            await report_error(error, args.body, args.respond, args.client)

    # Bolt finds a lazy function by its name, in the worker as in the web process.
    lazy.__name__ = lazy.__qualname__ = fn.__name__
    return lazy


def listen(on: Callable[..., Any], fn: Listener, ack: Listener = accepted) -> None:
    """Register ``fn`` as the handed-off half of a listener (``on``: ``app.action(…)`` and
    the like) whose ack is ``ack``."""
    on(ack=ack, lazy=[handed_off(fn)])


@dataclass
class Background:
    """Coroutines run as tasks of the running event loop, each held until it ends: the loop
    keeps only a weak reference to a task."""

    _running: set[asyncio.Future[None]] = field(default_factory=set)

    def start(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._running.add(task)
        task.add_done_callback(self._running.discard)


@dataclass
class InProcess(AsyncLazyListenerRunner):
    """The rest of an accepted listener as a task of this process's event loop; and, in a
    worker, the handed-off half a lazy-only request runs (``run``)."""

    logger: logging.Logger = field(default_factory=lambda: logger)
    _running: Background = field(default_factory=Background)

    def start(self, function: Listener, request: AsyncBoltRequest) -> None:
        if request.context.get(HAND_OFF) is None:
            return
        self._running.start(to_runnable_function(function, self.logger, request))

    async def run(self, function: Listener, request: AsyncBoltRequest) -> None:
        # Bolt's own (slack_bolt 1.30, lazy_listener/async_runner.py) calls the coroutine
        # ``to_runnable_function`` returns instead of awaiting it: every lazy-only request
        # failed with "'coroutine' object is not callable".
        await to_runnable_function(function, self.logger, request)


def accepted_when(wanted: Callable[[dict[str, Any], AsyncBoltContext], bool]) -> Listener:
    """The ack of an event listener that hands off only the events it ``wanted``: each other
    one would cost a task (every message in every channel the app is in)."""

    async def ack_event(ack: AsyncAck, event: dict[str, Any], context: AsyncBoltContext) -> None:
        if wanted(event, context):
            await accept(ack, context)
        else:
            await ack()

    return ack_event
