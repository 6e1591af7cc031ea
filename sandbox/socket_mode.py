"""Slack's Socket Mode endpoint for the sandbox: a websocket server on 127.0.0.1 that greets the
app with ``hello``, delivers envelopes to it and records what it sends back (the acks).

Set ``WebApi.socket_mode_url`` to ``url``: the app's ``apps.connections.open`` call (with the
workspace's app-level token) then hands it this server, as Slack hands out a
``wss://wss-primary.slack.com/link/?ticket=…`` URL. Message shapes follow python-slack-sdk's
``tests/slack_sdk/socket_mode/mock_socket_mode_server.py`` (envelope: ``envelope_id``, ``type``,
``payload``, ``accepts_response_payload``; the app answers ``{"envelope_id": …, "payload": …}``).
Served by aiohttp, which the app depends on already.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

from sandbox.served import listen, url_of

Envelope = dict[str, Any]


def hello(app_id: str) -> Envelope:
    """What the server first says on a new connection."""
    return {
        "type": "hello",
        "num_connections": 1,
        "debug_info": {"host": "applink-sandbox", "approximate_connection_time": 18060},
        "connection_info": {"app_id": app_id},
    }


def slash_commands(command_body: str) -> Envelope:
    """A slash command's envelope: its form body (``ScriptedSlack.command_body``) as fields."""
    return {
        "envelope_id": str(uuid.uuid4()),
        "payload": dict(parse_qsl(command_body, keep_blank_values=True)),
        "type": "slash_commands",
        "accepts_response_payload": True,
    }


def events_api(event_body: str) -> Envelope:
    """An Events API envelope around an ``event_callback`` (``ScriptedSlack.event_body``)."""
    return {
        "envelope_id": str(uuid.uuid4()),
        "payload": json.loads(event_body),
        "type": "events_api",
        "accepts_response_payload": False,
        "retry_attempt": 0,
        "retry_reason": "",
    }


class SocketMode:
    """The Socket Mode server of the app ``app_id``, run on its own event loop in a thread; use
    as a context manager.

    ``deliver`` sends an envelope to the connected app; ``wait_for_ack`` blocks until the app
    answered that envelope."""

    def __init__(self, app_id: str) -> None:
        self.app_id = app_id
        self._socket = listen()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self._connections: list[web.WebSocketResponse] = []
        self._changed = threading.Condition()
        self.received: list[Envelope] = []

    @property
    def url(self) -> str:
        ws_root = url_of(self._socket).replace("http://", "ws://", 1)
        return f"{ws_root}/link/?ticket=sandbox-ticket&app_id={self.app_id}"

    def __enter__(self) -> SocketMode:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._runner is not None:
            cleanup = asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop)
            cleanup.result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
        self._socket.close()

    def wait_connected(self, timeout: float = 60.0) -> None:
        """Block until an app holds a connection (it has been sent ``hello``)."""
        self._wait(lambda: bool(self._connections), timeout, "no app connected")

    def deliver(self, envelope: Envelope) -> str:
        """Send ``envelope`` to the connected app; returns its envelope id."""
        with self._changed:
            if not self._connections:
                raise AssertionError("no app is connected to deliver to")
            connection = self._connections[-1]
        sent = asyncio.run_coroutine_threadsafe(connection.send_json(envelope), self._loop)
        sent.result(timeout=10)
        return str(envelope["envelope_id"])

    def wait_for_ack(self, envelope_id: str, timeout: float = 30.0) -> Envelope:
        """The app's answer to the envelope ``envelope_id``."""

        def answered() -> Envelope | None:
            return next((m for m in self.received if m.get("envelope_id") == envelope_id), None)

        self._wait(lambda: answered() is not None, timeout, f"no ack of {envelope_id}")
        found = answered()
        assert found is not None
        return found

    def _wait(self, done: Callable[[], bool], timeout: float, failure: str) -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not done():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{failure} within {timeout}s; got {self.received}")
                self._changed.wait(left)

    async def _start(self) -> None:
        application = web.Application()
        application.router.add_get("/link/", self._link)
        self._runner = web.AppRunner(application, handle_signals=False)
        await self._runner.setup()
        await web.SockSite(self._runner, self._socket).start()

    async def _link(self, request: web.Request) -> web.WebSocketResponse:
        connection = web.WebSocketResponse(autoping=True)
        await connection.prepare(request)
        await connection.send_json(hello(self.app_id))
        with self._changed:
            self._connections.append(connection)
            self._changed.notify_all()
        try:
            async for message in connection:
                if message.type == WSMsgType.TEXT:
                    with self._changed:
                        self.received.append(json.loads(message.data))
                        self._changed.notify_all()
        finally:
            with self._changed:
                self._connections.remove(connection)
        return connection
