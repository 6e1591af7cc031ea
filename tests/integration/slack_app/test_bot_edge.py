"""Hostile and malformed requests at the HTTP edge, through the real ASGI app: unsigned, badly
signed or stale ones get 401, signed but malformed ones 400, none a 5xx, and none leaves an
error or a traceback in the log."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from starlette.testclient import TestClient

from bot import ids
from bot.app import build_app, http_app
from controlroom.services import Services
from sandbox import Identity, Workspace, payloads
from tests.slack_sandbox import PEOPLE, served_sandbox

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
# The requests' shapes are Slack's for the sandbox's workspace (its team and app: a workspace's
# own, whatever its secrets); they are signed with the tests' workspace's signing secret.
SHAPES = Identity(
    team_id="T0TWOPEAKS",
    team_name="Two Peaks",
    app_id="A0CONTROLROOM",
    bot_id="B0CONTROLROOM",
    bot_user_id="U0CONTROLROOM",
    bot_token="",
    signing_secret="",
)
APPROVER, _, MARKETER = PEOPLE[:3]


@dataclass(frozen=True)
class Edge:
    """The app's ASGI app under a test client, and the secret Slack signs with."""

    client: TestClient
    signing_secret: str


@pytest.fixture
def client(services: Services, workspace: Workspace) -> Iterator[Edge]:
    with served_sandbox(workspace) as (_, api):
        web = AsyncWebClient(token=workspace.identity.bot_token, base_url=f"{api.base_url}/api/")
        app = http_app(build_app(services, client=web))
        with TestClient(app, raise_server_exceptions=False) as test_client:
            yield Edge(test_client, workspace.identity.signing_secret)


def post(
    edge: Edge,
    body: bytes | str,
    *,
    content_type: str = FORM,
    timestamp: str | None = None,
    signature: str | bytes | None = None,
    signed: bool = True,
) -> int:
    """POST ``body`` to the events endpoint, signed as Slack signs unless told otherwise;
    the status code."""
    raw = body.encode() if isinstance(body, str) else body
    ts = str(int(time.time())) if timestamp is None else timestamp
    headers: dict[str, str | bytes] = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
    }
    if signature is not None:
        headers["X-Slack-Signature"] = signature
    elif signed:
        headers["X-Slack-Signature"] = SignatureVerifier(edge.signing_secret).generate_signature(
            timestamp=ts, body=raw.decode("utf-8")
        )
    return edge.client.post("/slack/events", content=raw, headers=headers).status_code


GTM = {"id": "C0GTM", "name": "gtm"}
APPROVALS = {"id": "C0APPROVALS", "name": "gtm-approvals"}


def command_body(text: str = "help", **changes: str | None) -> str:
    """``/controlroom <text>`` typed by the marketer in #gtm, its fields ``changes``d (None:
    left out)."""
    body = payloads.slash_command(
        SHAPES,
        MARKETER,
        GTM,
        "/controlroom",
        text,
        response_url="https://x.invalid/r",
        trigger_id="1764000000.1.trigger",
    )
    fields = dict(parse_qsl(body))
    for name, value in changes.items():
        if value is None:
            fields.pop(name)
        else:
            fields[name] = value
    return urlencode(fields)


def payload_body(payload: object) -> str:
    return urlencode({"payload": json.dumps(payload)})


def click(**changes: object) -> dict[str, object]:
    """The approver's click on Approve of a proposal, its fields ``changes``d (None: left
    out)."""
    ts = "1764000000.000001"
    action = {"type": "button", "action_id": ids.APPROVE, "block_id": "approval_actions"}
    payload: dict[str, Any] = payloads.block_actions(
        SHAPES,
        APPROVER,
        {**action, "value": "0" * 32},
        trigger_id="1764000000.2.trigger",
        container={"type": "message", "message_ts": ts, "channel_id": APPROVALS["id"]},
        channel=APPROVALS,
        message={"type": "message", "ts": ts, "text": "Win-back proposal"},
        response_url="https://x.invalid/r",
    )
    payload.update(changes)
    return {k: v for k, v in payload.items() if v is not None}


def no_trouble_logged(caplog: pytest.LogCaptureFixture) -> None:
    troubles = [
        f"{r.name}: {r.getMessage()}"
        for r in caplog.records
        if r.levelno >= logging.ERROR or r.exc_info
    ]
    assert troubles == []


def unsigned(now: str) -> dict[str, dict[str, object]]:
    """Each way a request fails Slack's signature check, its times from ``now``, read when the
    test runs: read when the module was collected, the timestamp "from the future" fell inside
    Slack's five-minute window once the suite had run seven minutes."""
    return {
        "no headers at all": {"signed": False, "timestamp": ""},
        "no signature": {"signed": False},
        "a non-numeric timestamp": {"timestamp": "abc"},
        "an empty timestamp": {"timestamp": ""},
        "a timestamp in exponent form": {"timestamp": "1.7e9"},
        "a negative timestamp": {"timestamp": "-1"},
        "a timestamp of 5,000 digits": {"timestamp": "9" * 5000},
        "a timestamp with spaces": {"timestamp": f" {now} "},
        "a stale timestamp": {"timestamp": str(int(now) - 600)},
        "a timestamp from the future": {"timestamp": str(int(now) + 600)},
        "a wrong signature": {"signature": "v0=" + "0" * 64},
        "a signature of the wrong form": {"signature": "sha256=abc"},
        "a signature with non-ASCII letters": {"signature": ("v0=" + "é" * 64).encode("latin-1")},
        "an empty signature": {"signature": ""},
        "a signature by another secret": {
            "timestamp": now,
            "signature": SignatureVerifier("not-the-secret").generate_signature(
                timestamp=now, body=command_body()
            ),
        },
    }


@pytest.mark.parametrize("how", list(unsigned("0")))
def test_a_request_not_signed_by_slack_is_refused_with_401_and_no_traceback(
    client: Edge, caplog: pytest.LogCaptureFixture, how: str
) -> None:
    options = unsigned(str(int(time.time())))[how]
    assert post(client, command_body(), **options) == 401  # type: ignore[arg-type]
    no_trouble_logged(caplog)


def test_bodies_that_are_not_utf8_text_are_refused_with_401(
    client: Edge, caplog: pytest.LogCaptureFixture
) -> None:
    ts = str(int(time.time()))
    headers = {"Content-Type": FORM, "X-Slack-Request-Timestamp": ts}
    for signature in ("v0=" + "0" * 64, "v0=" + "f" * 64):
        headers["X-Slack-Signature"] = signature
        reply = client.client.post("/slack/events", content=b"text=\xff\xfe\x00", headers=headers)
        assert reply.status_code == 401
    no_trouble_logged(caplog)


DEEP = "[" * 100_000 + "]" * 100_000
MALFORMED: dict[str, tuple[str, str]] = {
    "an empty body": ("", FORM),
    "JSON that does not parse": ('{"type": "event_callback", ', JSON),
    "form fields sent as JSON": ("a=b&c=d", JSON),
    "a JSON array": ("[1, 2, 3]", JSON),
    "JSON null": ("null", JSON),
    "a JSON string": ('"event_callback"', JSON),
    "JSON nested 100,000 deep": (DEEP, JSON),
    "an object nested 100,000 deep": ('{"type": ' + DEEP + "}", JSON),
    "a JSON object without a type": ('{"event_id": "Ev1"}', JSON),
    "a type that is a number": ('{"type": 7}', JSON),
    "an event without an id": (json.dumps({"type": "event_callback", "event": {}}), JSON),
    "an event that is a string": (
        json.dumps({"type": "event_callback", "event_id": "Ev1", "event": "app_mention"}),
        JSON,
    ),
    "an event id that is a number": (
        json.dumps({**payloads.event_envelope(SHAPES, {"type": "app_mention"}), "event_id": 12}),
        JSON,
    ),
    "a url verification without its challenge": ('{"type": "url_verification"}', JSON),
    "form fields that are neither a command nor a payload": ("foo=bar&baz=1", FORM),
    "a payload that is not JSON": ("payload=%7Bnot+json", FORM),
    "an empty payload": ("payload=", FORM),
    "a payload that is a list": (payload_body([1, 2]), FORM),
    "a payload nested 100,000 deep": (urlencode({"payload": DEEP}), FORM),
    "a payload without a type": (payload_body({"user": {"id": "U1"}}), FORM),
    "a click without its user": (payload_body(click(user=None)), FORM),
    "a click whose user is a string": (payload_body(click(user="U0APPROVER")), FORM),
    "a click without actions": (payload_body(click(actions=[])), FORM),
    "a click whose action has no id": (payload_body(click(actions=[{"value": "x"}])), FORM),
    "a click whose actions are a string": (payload_body(click(actions="approve")), FORM),
    "a click without a trigger id": (payload_body(click(trigger_id=None)), FORM),
    "a modal submitted without its view": (
        payload_body({"type": "view_submission", "user": {"id": "U0APPROVER"}}),
        FORM,
    ),
    "a modal submitted without private metadata": (
        payload_body(
            {
                "type": "view_submission",
                "user": {"id": "U0APPROVER"},
                "view": {"callback_id": ids.REJECT_MODAL},
            }
        ),
        FORM,
    ),
    "a command without its user": (command_body(user_id=None), FORM),
    "a command without its channel": (command_body(channel_id=None), FORM),
    "a command without its response URL": (command_body(response_url=None), FORM),
    "a command with an empty name": (command_body(command=""), FORM),
}


@pytest.mark.parametrize("what", MALFORMED, ids=list(MALFORMED))
def test_a_signed_but_malformed_request_is_refused_with_400_and_no_traceback(
    client: Edge, caplog: pytest.LogCaptureFixture, what: str
) -> None:
    body, content_type = MALFORMED[what]
    assert post(client, body, content_type=content_type) == 400
    no_trouble_logged(caplog)


def test_slacks_certificate_check_is_answered_200(client: Edge) -> None:
    assert post(client, "ssl_check=1&token=legacy", signed=False) == 200


def test_a_signed_command_still_gets_its_help_in_the_ack(client: Edge) -> None:
    assert post(client, command_body("help")) == 200


def test_a_question_containing_the_word_payload_is_read_as_the_command_it_is(
    client: Edge, caplog: pytest.LogCaptureFixture
) -> None:
    ts = str(int(time.time()))
    body = command_body("payload")  # one unknown word: the help, saying what was wrong
    signature = SignatureVerifier(client.signing_secret).generate_signature(timestamp=ts, body=body)
    assert signature is not None
    headers = {
        "Content-Type": FORM,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature,
    }
    reply = client.client.post("/slack/events", content=body.encode(), headers=headers)
    assert reply.status_code == 200
    assert "`payload` is not a subcommand" in reply.json()["text"]
    no_trouble_logged(caplog)
