"""A scriptable OpenAI-compatible server on 127.0.0.1, for driving the real ``openai`` client.

Each POST to ``/v1/chat/completions`` takes the next scripted reply (a ``Reply``, or a function
of the request body returning one); when the script is empty, ``default`` answers. Every request
is recorded, so a test can assert what the client sent and how many requests reached the server.
Slow replies wait on an event that ``stop()`` sets, so shutting down never waits for them.

    with FakeOpenAIServer() as server:
        server.script(error_reply(429), completion_reply("Hello"))
        client = OpenAI(base_url=server.base_url, api_key="test", max_retries=0)
"""

from __future__ import annotations

import json
import sys
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml

import policies
from integrations.llm import OpenAICompatibleModel, RetryPolicy
from policies.schema import ModelsPolicy

Body = dict[str, Any]


@dataclass(frozen=True)
class Reply:
    """One scripted HTTP answer; ``delay`` seconds pass before it is sent. ``raw`` is sent as
    the body instead of ``body`` as JSON (a server answering garbage)."""

    status: int = 200
    body: Body = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    raw: bytes | None = None


Responder = Callable[[Body], Reply]


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    body: Body


def completion_reply(
    content: str | None = "Hello from the fake server.",
    *,
    prompt_tokens: int = 12,
    completion_tokens: int = 7,
    finish_reason: str = "stop",
    tool_calls: list[Body] | None = None,
    delay: float = 0.0,
) -> Reply:
    """A ``chat.completion`` with usage, as OpenAI returns it."""
    message: Body = {"role": "assistant", "content": content}
    if tool_calls is not None:
        message["tool_calls"] = tool_calls
    return Reply(
        body={
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": 1_764_000_000,
            "model": "fake-model",
            "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        },
        delay=delay,
    )


def tool_call_reply(name: str, arguments: Body, **usage: int) -> Reply:
    """The model calling function ``name`` with ``arguments``."""
    call = {
        "id": "call_fake",
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments)},
    }
    return completion_reply(None, tool_calls=[call], finish_reason="tool_calls", **usage)


def error_reply(status: int, message: str = "scripted failure", **headers: str) -> Reply:
    """An error in OpenAI's shape; keyword arguments become headers (``retry_after="1"``)."""
    return Reply(
        status=status,
        body={"error": {"message": message, "type": "server_error", "code": None}},
        headers={name.replace("_", "-"): value for name, value in headers.items()},
    )


class FakeOpenAIServer:
    """See the module docstring; use as a context manager or call ``start``/``stop``."""

    def __init__(self, default: Responder | None = None) -> None:
        self.default: Responder = default or (lambda body: completion_reply())
        self.requests: list[RecordedRequest] = []
        self._script: deque[Reply | Responder] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    @property
    def chat_requests(self) -> list[Body]:
        """The bodies of the chat-completion requests received so far."""
        with self._lock:
            return [r.body for r in self.requests if r.path.endswith("/chat/completions")]

    def script(self, *replies: Reply | Responder) -> None:
        """Queue replies for the next requests, in order."""
        with self._lock:
            self._script.extend(replies)

    def start(self) -> FakeOpenAIServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-openai-server",
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Wake slow replies, stop serving, join every thread and close the socket."""
        self._stopping.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _answer(self, method: str, path: str, body: Body) -> Reply:
        with self._lock:
            self.requests.append(RecordedRequest(method, path, body))
            if path.rstrip("/").endswith("/models"):
                return Reply(
                    body={"object": "list", "data": [{"id": "fake-model", "object": "model"}]}
                )
            step = self._script.popleft() if self._script else self.default
        return step if isinstance(step, Reply) else step(body)

    def _wait(self, seconds: float) -> None:
        self._stopping.wait(seconds)


class _Server(ThreadingHTTPServer):
    fake: FakeOpenAIServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out has hung up; writing to it fails, which is the point.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    # HTTP/1.0: one request per connection, so no idle keep-alive thread outlives a test.
    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:
        self._respond(self.server.fake._answer("GET", self.path, {}))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b"{}"
        self._respond(self.server.fake._answer("POST", self.path, json.loads(raw)))

    def _respond(self, reply: Reply) -> None:
        if reply.delay:
            self.server.fake._wait(reply.delay)
        payload = reply.raw if reply.raw is not None else json.dumps(reply.body).encode()
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests assert on ``requests`` instead."""


# Retries fast enough for tests: three attempts, waits of hundredths of a second.
FAST_RETRY = RetryPolicy(
    attempts=3,
    first_wait_seconds=0.01,
    max_wait_seconds=0.05,
    jitter_seconds=0.01,
    breaker_failures=5,
    breaker_reset_seconds=60,
)


def models_policy(timeout_seconds: float = 5.0) -> ModelsPolicy:
    """The project's own ``models.yaml``, with a test-sized timeout."""
    path = Path(policies.__file__).parent / "models.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return ModelsPolicy.model_validate({**data, "timeout_seconds": timeout_seconds})


def connect_model(
    server: FakeOpenAIServer, *, retry: RetryPolicy = FAST_RETRY, timeout_seconds: float = 5.0
) -> OpenAICompatibleModel:
    """The real OpenAI-compatible backend pointed at ``server``."""
    return OpenAICompatibleModel(
        api_key="test-key",
        base_url=server.base_url,
        models=models_policy(timeout_seconds),
        retry=retry,
    )
