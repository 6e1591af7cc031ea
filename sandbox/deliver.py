"""Sending a request to the app as Slack does: signed with the signing secret (``v0=`` HMAC of
``v0:timestamp:body``), with Slack's headers, answered within 3 seconds or reported as
``operation_timeout``."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.signature import SignatureVerifier

from sandbox.errors import DeliveryError

logger = logging.getLogger(__name__)

# Slack waits this long for an app's acknowledgement.
ACK_TIMEOUT_SECONDS = 3.0
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


@dataclass(frozen=True, slots=True)
class Ack:
    """The app's answer to one request: its status and body (JSON when it sent JSON)."""

    status: int
    body: Any

    @property
    def payload(self) -> dict[str, Any]:
        """The JSON object the app answered with, or ``{}`` (an empty ack)."""
        return self.body if isinstance(self.body, dict) else {}


@dataclass(frozen=True, slots=True)
class AppEndpoint:
    """Where the app takes Slack's requests (``…/slack/events``) and the secret they share."""

    request_url: str
    signing_secret: str
    timeout: float = ACK_TIMEOUT_SECONDS

    async def send(self, body: str, content_type: str = FORM) -> Ack:
        """POST ``body`` signed; raises ``DeliveryError`` when the app does not take it."""
        headers = signed_headers(self.signing_secret, body, content_type)
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout)) as http,
                http.post(self.request_url, data=body.encode(), headers=headers) as reply,
            ):
                text = await reply.text()
                status = reply.status
        except TimeoutError:
            raise DeliveryError("operation_timeout", f"no answer in {self.timeout:g} s") from None
        except aiohttp.ClientError as error:
            raise DeliveryError("dispatch_failed", f"the app is not reachable: {error}") from None
        if status != 200:
            logger.warning("the app answered %s with HTTP %d: %s", self.request_url, status, text)
            raise DeliveryError("dispatch_failed", f"HTTP {status}")
        return Ack(status, _parsed(text))

    async def send_json(self, payload: dict[str, Any]) -> Ack:
        return await self.send(json.dumps(payload), JSON)


def signed_headers(
    signing_secret: str, body: str, content_type: str = FORM, *, timestamp: int | None = None
) -> dict[str, str]:
    """Slack's headers for ``body``: its signature with ``signing_secret`` at ``timestamp``
    (now when not given)."""
    when = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(signing_secret).generate_signature(timestamp=when, body=body)
    assert signature is not None  # None only without a secret
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": when,
        "X-Slack-Signature": signature,
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
    }


def _parsed(text: str) -> Any:
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text
