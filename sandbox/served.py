"""An ASGI app — the sandbox, or the Slack app it talks to — served by uvicorn on 127.0.0.1
from a background thread, for a test or a bench that drives both from its own thread."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

START_TIMEOUT_SECONDS = 10.0


def listen(port: int = 0) -> socket.socket:
    """A socket bound to 127.0.0.1:``port`` (0: any free port), so its URL is known before the
    server starts."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{host}:{port}"


class Served:
    """``asgi`` served on ``sock`` (from ``listen``; a fresh port when none is given); use as a
    context manager."""

    def __init__(self, asgi: Any, sock: socket.socket | None = None) -> None:
        import uvicorn

        self.sock = sock or listen()
        self.url = url_of(self.sock)
        config = uvicorn.Config(asgi, lifespan="off", log_level="warning", ws="none")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> Served:
        self.thread.start()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()
