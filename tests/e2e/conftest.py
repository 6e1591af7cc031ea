"""The whole control room on 127.0.0.1 — the real Slack app (``bot.app.build_app`` over HTTP)
and the local Slack sandbox it talks to, as ``controlroom demo`` serves them — and a real browser
to use it: Debian's Chromium driven by Playwright.

Without Chromium (a laptop) the browser tests skip with the reason; CI sets
``CONTROLROOM_TEST_REQUIRE_BROWSER=1`` so that they fail instead. Each browser test saves a
screenshot of every step under ``var/test-artifacts/e2e/<test name>/`` in the repository.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from controlroom.cli.demo import Demo, demo_environment
from controlroom.services import Services, build_services
from controlroom.settings import Settings
from integrations.warehouse import Warehouse
from sandbox import Person, Served, Workspace, local_slack, populate
from sandbox.served import listen, url_of

CHROMIUM = Path(os.environ.get("CONTROLROOM_TEST_CHROMIUM", "/usr/bin/chromium"))
REQUIRE_BROWSER = os.environ.get("CONTROLROOM_TEST_REQUIRE_BROWSER") == "1"
# Chromium as root in a container, with no network: no sandbox, no GPU, no background calls home.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTEFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "e2e"
T = TypeVar("T")
APPROVER = "U0APPROVER"
MEMBER = "U0MEMBER"


@dataclass
class RunningControlRoom:
    """The app and the sandbox being served, the services behind them and the workspace."""

    demo: Demo
    services: Services
    workspace: Workspace
    var_dir: Path

    @property
    def url(self) -> str:
        return self.demo.url


@pytest.fixture
def control_room(
    sample_warehouse: Warehouse, isolated_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[RunningControlRoom]:
    """``controlroom demo`` without the clock, over a copy of the sample company."""
    workspace = Workspace.open(isolated_environment / "sandbox.db")
    sandbox, app = listen(0), listen(0)
    for name, value in demo_environment(workspace, url_of(sandbox)).items():
        monkeypatch.setenv(name, value)
    services = build_services(Settings())
    try:
        with Demo(services, workspace, sandbox=sandbox, app=app) as demo:
            yield RunningControlRoom(demo, services, workspace, isolated_environment)
    finally:
        services.close()
        workspace.close()


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[tuple[Served, Workspace]]:
    """The sandbox alone (no app behind it: what people do is not delivered), with two channels
    and an approver."""
    workspace = Workspace.open(tmp_path / "sandbox.db")
    populate(
        workspace,
        channels=["#general", "#gtm-digest"],
        people=[Person(APPROVER, "avery", "Avery Approver", "approver")],
    )
    sock = listen(0)
    asgi, _ = local_slack(
        workspace, base_url=url_of(sock), request_url="http://127.0.0.1:9/slack/events"
    )
    with Served(asgi, sock) as served:
        yield served, workspace
    workspace.close()


def client_for(served: Served, workspace: Workspace, token: str | None = None) -> AsyncWebClient:
    """The real Slack client, pointed at the sandbox's Web API."""
    return AsyncWebClient(
        token=token or workspace.identity.bot_token, base_url=f"{served.url}/api/"
    )


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to the end on its own event loop, in a thread: while Playwright's sync
    API is open (a session-wide browser), this thread already has a running loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's Chromium under Playwright, once per test module: Playwright's sync API runs an
    event loop in this thread while it is open, which would break later tests that call
    ``asyncio.run`` if it stayed open for the whole session."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        _unavailable(f"playwright is not installed ({error}): pip install -e '.[dev]'")
    if not CHROMIUM.exists():
        _unavailable(f"no Chromium at {CHROMIUM}: apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _unavailable(message: str) -> None:
    if REQUIRE_BROWSER:
        pytest.fail(f"{message} (CONTROLROOM_TEST_REQUIRE_BROWSER=1)")
    pytest.skip(message)


@pytest.fixture
def browser_page(chromium: Any) -> Iterator[Any]:
    """A fresh browser context and page, 1400×900; what the page logs as an error fails it."""
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    yield page
    context.close()
    assert not problems, f"the page raised: {problems}"


class Steps:
    """Screenshots of each step of one test, numbered, in the test's artefacts folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    def shoot(self, page: Any, name: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=False)
        return path


@pytest.fixture
def steps(request: pytest.FixtureRequest) -> Steps:
    folder = ARTEFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return Steps(folder)
