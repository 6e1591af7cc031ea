"""``/healthz`` through the real web-role app on uvicorn: 200 when the state store (and the
broker, when one is configured) answer; 503 naming the failing check when one does not, within
its bound, with a short reason and never a traceback."""

from __future__ import annotations

import dataclasses
import os
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from bot.app import build_app, http_app
from bot.health import CHECK_SECONDS
from controlroom.services import Services
from controlroom.settings import Settings
from integrations.statestore import StateStore
from sandbox import Served

# Read before the autouse fixture clears the environment for each test.
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _health(services: Services) -> httpx.Response:
    with (
        Served(http_app(build_app(services), services=services)) as server,
        httpx.Client(base_url=server.url, timeout=10) as client,
    ):
        return client.get("/healthz")


@pytest.fixture
def silent_database() -> Iterator[str]:
    """A PostgreSQL URL whose server accepts the connection and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    port = listener.getsockname()[1]
    yield f"postgresql+psycopg://nobody@127.0.0.1:{port}/none"
    stop.set()
    thread.join(timeout=5)
    for connection in accepted:
        connection.close()
    listener.close()


def test_without_a_broker_the_database_alone_is_checked_and_passes(services: Services) -> None:
    answer = _health(services)
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "ok" and body["failing"] == []
    assert set(body["checks"]) == {"database"}
    assert body["checks"]["database"]["status"] == "ok"
    assert answer.headers["cache-control"] == "no-store"


def test_with_the_real_redis_both_checks_pass(
    settings: Settings, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    brokered = dataclasses.replace(services, settings=Settings())
    answer = _health(brokered)
    assert answer.status_code == 200, answer.text
    checks = answer.json()["checks"]
    assert {name: check["status"] for name, check in checks.items()} == {
        "database": "ok",
        "broker": "ok",
    }


def test_a_broker_on_a_closed_port_is_a_503_naming_the_broker(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", f"redis://:hunter2@127.0.0.1:{_closed_port()}/0")
    brokered = dataclasses.replace(services, settings=Settings())
    answer = _health(brokered)
    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "failing" and body["failing"] == ["broker"]
    assert body["checks"]["broker"] == {
        "status": "failing",
        "ms": body["checks"]["broker"]["ms"],
        "reason": "unavailable",
    }
    assert body["checks"]["database"]["status"] == "ok"
    assert "Traceback" not in answer.text and "hunter2" not in answer.text


def test_an_unreachable_database_is_a_503_naming_the_database(services: Services) -> None:
    broken = StateStore("postgresql+psycopg://nobody@127.0.0.1:1/none")
    try:
        answer = _health(dataclasses.replace(services, state=broken))
    finally:
        broken.close()
    assert answer.status_code == 503
    assert answer.json()["failing"] == ["database"]
    assert "Traceback" not in answer.text and "127.0.0.1" not in answer.text


def test_a_database_that_never_answers_fails_its_check_within_the_bound(
    services: Services, silent_database: str
) -> None:
    silent = StateStore(silent_database)
    try:
        began = time.monotonic()
        answer = _health(dataclasses.replace(services, state=silent))
        took = time.monotonic() - began
    finally:
        silent.close()
    assert answer.status_code == 503
    database = answer.json()["checks"]["database"]
    assert database["reason"] == f"no answer within {CHECK_SECONDS:g} s"
    assert CHECK_SECONDS <= database["ms"] / 1000 < CHECK_SECONDS + 1
    assert took < CHECK_SECONDS + 3  # the server's start and stop included
