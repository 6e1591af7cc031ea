"""The HTTP edge: what a request from outside must be before Bolt reads a byte of it.

Bolt parses the body before it checks the signature, so a non-numeric timestamp or a malformed
body from anyone became a 500 with a traceback (OFFLINE-NOTES). Here, in order: the timestamp
(digits, within Slack's five minutes), the signature (``SignatureVerifier``, as Slack signs),
then the body, parsed as Bolt will parse it (``parse_body``) and checked against the shapes the
listeners read (``envelopes``). An unsigned, badly signed or stale request gets 401; a signed
one that is malformed gets 400; neither logs more than one line at INFO.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from pydantic import ValidationError
from slack_bolt.request.internals import parse_body
from slack_sdk.signature import SignatureVerifier

from bot.envelopes import ENVELOPES

logger = logging.getLogger(__name__)

# Slack's own bound (and Bolt's, and SignatureVerifier's): older requests may be replays.
MAX_AGE_SECONDS = 60 * 5
# A Unix time in seconds has 10 digits until 2286; more is not a timestamp (and Python refuses
# to read an integer of over 4,300 digits: a ValueError inside Bolt).
TIMESTAMP = re.compile(r"[0-9]{1,12}")
SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a request is not handed to Bolt, and the HTTP status that says so."""

    status: int
    reason: str


@dataclass(frozen=True, slots=True)
class SlackRequest:
    """A request that passed the edge: its body as text, as Bolt is to take it, and the
    signature that goes with that text (Slack's, or the edge's for a body it re-encoded)."""

    text: str
    signature: str = ""
    ssl_check: bool = False


class SlackEdge:
    """Checks each request with the app's signing secret; ``clock`` gives Unix seconds."""

    def __init__(self, signing_secret: str, *, clock: Callable[[], float] = time.time) -> None:
        self._verifier = SignatureVerifier(signing_secret)
        self._clock = clock

    def check(self, body: bytes, headers: Mapping[str, str]) -> SlackRequest | Refusal:
        """The request as Bolt may read it, or why it is refused (401 or 400). Slack's
        certificate check of a command's URL is unsigned; it is answered 200 as Bolt does."""
        if _is_ssl_check(body):
            return SlackRequest("", ssl_check=True)
        timestamp = headers.get("x-slack-request-timestamp", "")
        signature = headers.get("x-slack-signature", "")
        if not TIMESTAMP.fullmatch(timestamp):
            return Refusal(401, "no numeric X-Slack-Request-Timestamp")
        if abs(self._clock() - int(timestamp)) > MAX_AGE_SECONDS:
            return Refusal(401, "stale X-Slack-Request-Timestamp")
        if not SIGNATURE.fullmatch(signature):
            return Refusal(401, "no X-Slack-Signature")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return Refusal(401, "a body that is not UTF-8 cannot carry Slack's signature")
        if not self._verifier.is_valid(body=text, timestamp=timestamp, signature=signature):
            return Refusal(401, "bad signature")
        content_type = headers.get("content-type")
        content_type = content_type.split(";")[0] if content_type else None
        if _misread_as_payload(text, content_type):
            text = text.replace("payload", "%70ayload")  # the same fields, read right
            signature = self._verifier.generate_signature(timestamp=timestamp, body=text) or ""
        return _readable(text, content_type, signature)


def _readable(text: str, content_type: str | None, signature: str) -> SlackRequest | Refusal:
    """A signed body that Bolt can read into one of the shapes the listeners expect."""
    try:
        parsed = parse_body(text, content_type)
    except (ValueError, RecursionError):  # json.JSONDecodeError is a ValueError
        return Refusal(400, "the body is not JSON or form fields as Slack sends them")
    if not isinstance(parsed, dict):
        return Refusal(400, "the body is not a JSON object")
    problem = envelope_problem(parsed)
    if problem is not None:
        return Refusal(400, problem)
    return SlackRequest(text, signature)


def envelope_problem(body: Mapping[str, Any]) -> str | None:
    """What is missing from a parsed body for the kind of request it says it is; None when it
    has what its listeners read."""
    kind = "command" if "command" in body else body.get("type")
    if not isinstance(kind, str):
        return "the body says neither its type nor a command"
    envelope = ENVELOPES.get(kind)
    if envelope is None:
        return None  # a kind the app has no listener for: Bolt answers it (404)
    try:
        envelope.model_validate(body)
    except (ValidationError, RecursionError) as error:
        where = _first_error(error)
        return f"a {kind} request without {where}"
    return None


def _first_error(error: ValidationError | RecursionError) -> str:
    if isinstance(error, RecursionError):
        return "a readable shape"
    first = error.errors(include_url=False, include_input=False)[0]
    return ".".join(str(part) for part in first["loc"]) or "its fields"


def _misread_as_payload(text: str, content_type: str | None) -> bool:
    """Form fields that Bolt would read as an empty body: it takes any form body containing the
    word "payload" (``/controlroom ask why did the payload fail?``) for an interaction, finds
    no ``payload`` field and reads nothing. Percent-encoding the word's first letter keeps
    every field as it is and out of that trap."""
    if content_type == "application/json" or text.startswith("{") or "payload" not in text:
        return False
    return "payload" not in dict(parse_qsl(text, keep_blank_values=True))


def _is_ssl_check(body: bytes) -> bool:
    """Slack's certificate check of a slash command's URL: form fields with ``ssl_check=1``."""
    if b"ssl_check" not in body or body.startswith(b"{"):
        return False
    fields = parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return dict(fields).get("ssl_check") == "1"


def log_refusal(refusal: Refusal, headers: Mapping[str, str]) -> None:
    """One line per refused request (never the body, never a traceback)."""
    logger.info(
        "refused a request to the Slack endpoint with %s: %s (from %s)",
        refusal.status,
        refusal.reason,
        json.dumps(headers.get("user-agent", "?")[:80]),
    )
