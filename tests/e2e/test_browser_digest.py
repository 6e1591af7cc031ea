"""The weekly digest in the browser: ``/controlroom gtm`` posts it in the digest channel with its
charts in the thread, App Home shows its KPIs, and Home's "Run weekly digest now" posts another."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import APPROVER, RunningControlRoom, Steps
from tests.e2e.sandbox_page import SLOW_MS, SandboxPage

pytestmark = [pytest.mark.slow, pytest.mark.browser]

LOADED_IMAGES = "(images) => images.filter((i) => i.complete && i.naturalWidth > 0).length"


def test_the_digest_is_posted_with_its_charts_and_can_be_run_again_from_app_home(
    control_room: RunningControlRoom, browser_page, steps: Steps
) -> None:
    sandbox = SandboxPage(browser_page, control_room.url)
    sandbox.open(user=APPROVER, channel="gtm-digest")
    sandbox.send("/controlroom gtm")

    digest = sandbox.message("Start win-back for At Risk")
    # The "Working on it…" note the command showed is replaced by where the digest went.
    sandbox.message("Weekly GTM digest posted in")
    expect(browser_page.get_by_text("Working on it")).to_have_count(0)
    expect(digest.locator("[data-type=header]").first).to_contain_text("Weekly GTM digest")
    expect(digest).to_contain_text("Revenue")
    expect(digest.locator(".replies")).to_have_text(re.compile(r"\d+ repl(y|ies)"), timeout=SLOW_MS)
    steps.shoot(browser_page, "digest-in-channel")

    thread = sandbox.open_thread(digest)
    charts = thread.locator(".files img")
    expect(charts.first).to_be_visible(timeout=SLOW_MS)
    expect(thread.locator(".file-title").first).to_contain_text("revenue", ignore_case=True)
    assert charts.evaluate_all(LOADED_IMAGES) == charts.count() >= 1
    charts.last.scroll_into_view_if_needed()
    steps.shoot(browser_page, "charts-in-thread")

    (digest_channel,) = [
        c for c in control_room.workspace.channels() if c.get("name") == "gtm-digest"
    ]
    stored = control_room.workspace.history(digest_channel["id"])
    assert not any(m.get("files") for m in stored), "charts belong in the thread"
    uploads = [
        f
        for m in control_room.workspace.replies(
            digest_channel["id"], digest.get_attribute("data-ts")
        )
        for f in m.get("files") or []
    ]
    assert uploads and {f["mimetype"] for f in uploads} == {"image/png"}

    sandbox.open_app_home()
    home = browser_page.locator("#home")
    expect(home).to_contain_text("Revenue", timeout=30_000)
    # Every emoji as a character (":double_vertical_bar:" was shown as text).
    expect(home).not_to_contain_text(re.compile(r":[a-z][a-z0-9_+-]*:"))
    steps.shoot(browser_page, "app-home")
    digests_before = _digests(control_room, digest_channel["id"])
    home.get_by_role("button", name="Run weekly digest now").click()
    # At once, under the buttons: what the click started and who started it; a run shorter
    # than the page's refresh is seen finished instead, a second run by the clicker in Home.
    started_or_done = re.compile(
        r"Running the weekly digest… started by"
        r"|(weekly_gtm succeeded · @Avery Approver.*){2}"
    )
    expect(home).to_contain_text(started_or_done, timeout=10_000)
    steps.shoot(browser_page, "app-home-run-started")
    sandbox.go_to("gtm-digest")
    expect(
        browser_page.locator("#messages .message", has_text="Start win-back for At Risk")
    ).to_have_count(digests_before + 1, timeout=SLOW_MS)
    steps.shoot(browser_page, "second-digest-from-home")


def _digests(control_room: RunningControlRoom, channel: str) -> int:
    return sum(
        1
        for message in control_room.workspace.history(channel)
        if "Start win-back for At Risk" in str(message.get("blocks"))
    )
