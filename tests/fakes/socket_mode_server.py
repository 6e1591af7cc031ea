"""A fake of Slack's Socket Mode endpoint: a websocket server on 127.0.0.1 that greets the app
with ``hello``, delivers envelopes to it and records what it sends back (the acks).

Point ``FakeSlackAPI.socket_mode_url`` at ``url``: the app's ``apps.connections.open`` call then
hands it this server, as Slack hands out a ``wss://wss-primary.slack.com/link/?ticket=…`` URL.
Message shapes follow python-slack-sdk's ``tests/slack_sdk/socket_mode/mock_socket_mode_server.py``
(envelope: ``envelope_id``, ``type``, ``payload``, ``accepts_response_payload``; the app answers
``{"envelope_id": …, "payload": …}``). Served by aiohttp, which the app depends on already.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import uuid
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.slack_sender import command_payload

HELLO = {
    "type": "hello",
    "num_connections": 1,
    "debug_info": {"host": "applink-fake", "approximate_connection_time": 18060},
    "connection_info": {"app_id": "A0CONTROLROOM"},
}


class FakeSocketMode:
    """The Socket Mode server, run on its own event loop in a thread; use as a context manager.

    ``deliver`` sends an envelope to the connected app; ``wait_for_ack`` blocks until the app
    answered that envelope."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self._connections: list[web.WebSocketResponse] = []
        self._changed = threading.Condition()
        self.received: list[dict[str, Any]] = []

    @property
    def url(self) -> str:
        host, port = self._socket.getsockname()[:2]
        return f"ws://{host}:{port}/link/?ticket=fake-ticket&app_id=A0CONTROLROOM"

    def __enter__(self) -> FakeSocketMode:
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

    def deliver(self, envelope: dict[str, Any]) -> str:
        """Send ``envelope`` to the connected app; returns its envelope id."""
        with self._changed:
            if not self._connections:
                raise AssertionError("no app is connected to deliver to")
            connection = self._connections[-1]
        sent = asyncio.run_coroutine_threadsafe(connection.send_json(envelope), self._loop)
        sent.result(timeout=10)
        return str(envelope["envelope_id"])

    def wait_for_ack(self, envelope_id: str, timeout: float = 30.0) -> dict[str, Any]:
        """The app's answer to the envelope ``envelope_id``."""

        def answered() -> dict[str, Any] | None:
            return next((m for m in self.received if m.get("envelope_id") == envelope_id), None)

        self._wait(lambda: answered() is not None, timeout, f"no ack of {envelope_id}")
        found = answered()
        assert found is not None
        return found

    def _wait(self, done: Any, timeout: float, failure: str) -> None:
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
        await connection.send_json(HELLO)
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


def slash_command(text: str, *, user_id: str, response_url: str) -> dict[str, Any]:
    """A ``/controlroom <text>`` envelope, as Socket Mode delivers slash commands."""
    payload = command_payload(text, user_id=user_id, response_url=response_url)
    return {
        "envelope_id": str(uuid.uuid4()),
        "payload": payload,
        "type": "slash_commands",
        "accepts_response_payload": True,
    }


def events_api(callback: dict[str, Any]) -> dict[str, Any]:
    """An Events API envelope around an ``event_callback`` (see ``slack_api.event_callback``)."""
    return {
        "envelope_id": str(uuid.uuid4()),
        "payload": callback,
        "type": "events_api",
        "accepts_response_payload": False,
        "retry_attempt": 0,
        "retry_reason": "",
    }
