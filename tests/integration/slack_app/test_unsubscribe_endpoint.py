"""One-click unsubscribe (RFC 8058) through the real web-role app on uvicorn: a POST suppresses
(once, audited), a GET never does, a forged link is a 4xx, and no Slack signature is asked for."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.app import build_app, http_app
from controlroom.services import Services
from controlroom.settings import Settings
from integrations.email.unsubscribe import UnsubscribeLinks
from integrations.statestore import StateStore
from sandbox import Served, Workspace
from tests.slack_sandbox import slack_environment

PUBLIC = "https://controlroom.example.com/unsubscribe"
SECRET = "unsubscribe-test-secret-0123456789abcdef"
ONE_CLICK = {"List-Unsubscribe": "One-Click"}


@pytest.fixture
def settings(
    isolated_environment: Path,
    workspace: Workspace,
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
) -> Settings:
    for name, value in slack_environment(workspace).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("UNSUBSCRIBE_URL", PUBLIC)
    monkeypatch.setenv("UNSUBSCRIBE_SECRET", SECRET)
    return Settings()


def _serve(services: Services, served: Services | None = None) -> Iterator[httpx.Client]:
    app = http_app(build_app(services), services=served or services)
    with Served(app) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


@pytest.fixture
def web(services: Services) -> Iterator[httpx.Client]:
    """The web role's HTTP app (Slack events, health, unsubscribe) served on 127.0.0.1."""
    yield from _serve(services)


@pytest.fixture
def links(services: Services) -> UnsubscribeLinks:
    assert services.unsubscribe is not None  # built once, in the composition root
    return services.unsubscribe


def _path(links: UnsubscribeLinks, email: str, customer_id: int | None) -> str:
    return links.url_for(email, customer_id).removeprefix("https://controlroom.example.com")


def test_a_one_click_post_suppresses_the_person_and_a_later_campaign_skips_them(
    web: httpx.Client, links: UnsubscribeLinks, services: Services
) -> None:
    path = _path(links, "Ana.Lima@Example.com", 4217)
    answer = web.post(path, data=ONE_CLICK)  # no cookie, no Slack signature, no confirmation
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert "ana.lima@example.com will get no more marketing email" in answer.text
    state = services.state
    # What the win-back reads when it picks its audience and again at send time:
    assert state.suppressed(["ANA.LIMA@example.com", "someone@example.com"]) == {
        "ana.lima@example.com"
    }
    entry = state.suppression("ana.lima@example.com")
    assert entry is not None
    assert (entry.reason, entry.customer_id) == ("one-click unsubscribe", 4217)
    (audited,) = [e for e in state.audit_entries() if e.action == "suppressed"]
    assert audited.detail["customer_id"] == 4217


def test_a_second_post_is_200_and_audits_nothing_more(
    web: httpx.Client, links: UnsubscribeLinks, services: Services
) -> None:
    path = _path(links, "twice@example.com", 1)
    assert web.post(path, data=ONE_CLICK).status_code == 200
    again = web.post(path, data=ONE_CLICK)
    assert again.status_code == 200
    assert "twice@example.com will get no more" in again.text
    assert len([e for e in services.state.audit_entries() if e.action == "suppressed"]) == 1


@pytest.mark.parametrize(
    "body",
    [
        {"content": b""},
        {"content": b"List-Unsubscribe=One-Click"},
        {"files": {"List-Unsubscribe": (None, "One-Click")}},  # multipart/form-data
        {"content": b"\xff\xfe not a form", "headers": {"Content-Type": "text/plain"}},
    ],
)
def test_the_post_works_whatever_form_encoding_the_mail_client_uses(
    web: httpx.Client, links: UnsubscribeLinks, services: Services, body: dict
) -> None:
    answer = web.post(_path(links, "client@example.com", 5), **body)
    assert answer.status_code == 200
    assert services.state.suppressed(["Client@Example.com"])


def test_a_get_shows_a_button_that_posts_and_unsubscribes_nobody(
    web: httpx.Client, links: UnsubscribeLinks, services: Services
) -> None:
    path = _path(links, "scanner@example.com", 9)
    for _ in range(3):  # a mail client's prefetch, a link scanner, the person opening it
        page = web.get(path)
        assert page.status_code == 200
        assert web.head(path).status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<form method="post">' in page.text
    assert 'name="List-Unsubscribe" value="One-Click"' in page.text
    assert "scanner@example.com" in page.text
    assert "no-store" in page.headers["cache-control"]
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert not services.state.suppressed(["scanner@example.com"])
    assert services.state.suppression_count() == 0


def test_the_page_escapes_the_address_it_shows(web: httpx.Client, links: UnsubscribeLinks) -> None:
    page = web.get(_path(links, '"<b>x</b>"@example.com', None))
    assert page.status_code == 200
    assert "<b>x</b>" not in page.text
    assert "&lt;b&gt;x&lt;/b&gt;" in page.text


def test_forged_and_altered_links_are_refused_with_a_plain_4xx_and_no_error_logged(
    web: httpx.Client, links: UnsubscribeLinks, services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    genuine = _path(links, "victim@example.com", 7)
    forger = UnsubscribeLinks(PUBLIC, b"a" * 32)
    bad_paths = [
        _path(forger, "victim@example.com", 7),  # the right format, the wrong secret
        genuine[:-1] + ("A" if genuine[-1] != "A" else "B"),  # one character changed
        genuine.replace("/1.", "/2.", 1),  # another version
        "/unsubscribe/not-a-token",
        "/unsubscribe/" + "A" * 3000,
        "/unsubscribe/1.%00%ff.x",
        "/unsubscribe/%E2%80%AE1.YQ.YQ",
    ]
    caplog.set_level(logging.INFO)
    for path in bad_paths:
        for method in ("GET", "POST"):
            answer = web.request(method, path, data=ONE_CLICK if method == "POST" else None)
            assert 400 <= answer.status_code < 500, (method, path, answer.status_code)
            assert "not valid" in answer.text or answer.status_code == 404
            assert "<" not in answer.text  # plain words, no page, no traceback
    assert web.post("/unsubscribe/", data=ONE_CLICK).status_code == 404
    assert web.post("/unsubscribe", data=ONE_CLICK).status_code == 404
    assert services.state.suppression_count() == 0
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert any("unsubscribe link refused" in r.getMessage() for r in caplog.records)


def test_slack_events_still_need_a_signature_beside_the_unsubscribe_route(
    web: httpx.Client,
) -> None:
    assert web.post("/slack/events", content=b"command=/controlroom").status_code == 401
    health = web.get("/healthz")
    assert health.status_code == 200
    assert health.json()["checks"]["database"]["status"] == "ok"


def test_an_unreachable_state_store_is_a_retryable_503_not_a_crash(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    broken = StateStore("postgresql+psycopg://nobody@127.0.0.1:1/none")
    served = dataclasses.replace(services, state=broken)
    assert services.unsubscribe is not None
    path = _path(services.unsubscribe, "later@example.com", 3)
    for client in _serve(services, served):
        answer = client.post(path, data=ONE_CLICK)
        assert answer.status_code == 503
        assert answer.headers["retry-after"] == "300"
        assert "please try again in a few minutes" in answer.text
        # The load balancer hears it too: the web role's health check names the database.
        health = client.get("/healthz")
        assert (health.status_code, health.json()["failing"]) == (503, ["database"])
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    broken.close()


def test_without_an_unsubscribe_url_the_app_serves_no_unsubscribe_route(
    isolated_environment: Path, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from controlroom.services import build_services

    for name, value in slack_environment(workspace).items():
        monkeypatch.setenv(name, value)
    plain = build_services(Settings())
    try:
        assert plain.unsubscribe is None
        for client in _serve(plain):
            assert client.get("/unsubscribe/1.YQ.YQ").status_code == 404
    finally:
        plain.close()
