"""The Slack side of a request: payloads signed exactly as Slack signs them, sent over real HTTP
to the app.

Payload shapes follow bolt-python's ``tests/scenario_tests`` (slash commands as form fields,
interactions as a form field ``payload`` holding JSON, events as a JSON ``event_callback``).
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

import requests
from slack_sdk.signature import SignatureVerifier

TEAM_ID = "T0TWOPEAKS"
BOT_USER_ID = "U0CONTROLROOM"


class SlackSender:
    """Sends requests to the app as Slack does: signed with the signing secret."""

    def __init__(self, url: str, signing_secret: str, response_url: str) -> None:
        self.url = url
        self.verifier = SignatureVerifier(signing_secret)
        self.response_url = response_url

    def post(self, body: str, *, timestamp: int | None = None, signature: str | None = None):
        ts = str(int(time.time()) if timestamp is None else timestamp)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature
            or self.verifier.generate_signature(timestamp=ts, body=body),
        }
        return requests.post(self.url, data=body.encode(), headers=headers, timeout=10)

    def command_body(self, text: str, *, user_id: str = "U0MARKETER") -> str:
        return urlencode(command_payload(text, user_id=user_id, response_url=self.response_url))

    def command(self, text: str, *, user_id: str = "U0MARKETER"):
        """``/controlroom <text>`` typed by ``user_id``; returns the HTTP response (the ack)."""
        return self.post(self.command_body(text, user_id=user_id))

    def event(self, event: dict[str, Any]):
        """An Events API delivery of ``event`` (``app_home_opened``, ``app_mention`` …): an
        ``event_callback`` envelope posted as JSON, signed like the rest."""
        envelope = event_callback(event)
        body = json.dumps(envelope)
        ts = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": self.verifier.generate_signature(timestamp=ts, body=body),
        }
        return requests.post(self.url, data=body.encode(), headers=headers, timeout=10)

    def click(
        self,
        action_id: str,
        value: str,
        *,
        user_id: str,
        message_ts: str,
        channel: str,
        blocks: list[dict[str, Any]] | None = None,
    ):
        """A click on a button of the message at (``channel``, ``message_ts``), which shows
        ``blocks`` (Slack sends the clicked message's blocks along)."""
        payload = click_payload(
            action_id,
            value,
            user_id=user_id,
            channel=channel,
            message_ts=message_ts,
            response_url=self.response_url,
        )
        if blocks is not None:
            payload["message"]["blocks"] = blocks
        return self.post(urlencode({"payload": json.dumps(payload)}))

    def submit_view(self, view: dict[str, Any], values: dict[str, Any], *, user_id: str):
        """The submission of ``view`` (as the app opened it) with ``values`` typed in."""
        payload = {
            "type": "view_submission",
            "team": {"id": TEAM_ID, "domain": "twopeaks"},
            "user": {"id": user_id, "username": "someone", "name": "someone", "team_id": TEAM_ID},
            "api_app_id": "A0CONTROLROOM",
            "token": "legacy-verification-token",
            "trigger_id": "1764000000.3.trigger",
            "view": {
                "id": "V0REJECT",
                "team_id": TEAM_ID,
                "type": "modal",
                "callback_id": view["callback_id"],
                "private_metadata": view["private_metadata"],
                "blocks": view["blocks"],
                "state": {"values": values},
                "app_id": "A0CONTROLROOM",
                "bot_id": "B0CONTROLROOM",
            },
        }
        return self.post(urlencode({"payload": json.dumps(payload)}))


def event_callback(event: dict[str, Any]) -> dict[str, Any]:
    """The Events API envelope Slack wraps ``event`` in (over HTTP, or as a Socket Mode
    ``events_api`` payload)."""
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM_ID,
        "api_app_id": "A0CONTROLROOM",
        "event": event,
        "type": "event_callback",
        "event_id": f"Ev{time.monotonic_ns()}",
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }


def app_home_opened(user_id: str) -> dict[str, Any]:
    """The ``app_home_opened`` event of ``user_id`` opening the app's Home tab."""
    return {
        "type": "app_home_opened",
        "user": user_id,
        "channel": "D0HOME",
        "tab": "home",
        "event_ts": f"{time.time():.6f}",
    }


def command_payload(text: str, *, user_id: str, response_url: str) -> dict[str, str]:
    """The form fields of ``/controlroom <text>`` typed by ``user_id`` in #gtm."""
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM_ID,
        "team_domain": "twopeaks",
        "channel_id": "C0GTM",
        "channel_name": "gtm",
        "user_id": user_id,
        "user_name": "someone",
        "command": "/controlroom",
        "text": text,
        "api_app_id": "A0CONTROLROOM",
        "response_url": response_url,
        "trigger_id": "1764000000.1.trigger",
    }


def click_payload(
    action_id: str, value: str, *, user_id: str, channel: str, message_ts: str, response_url: str
) -> dict[str, Any]:
    """The ``block_actions`` payload of a click on a button of the message at (``channel``,
    ``message_ts``)."""
    return {
        "type": "block_actions",
        "user": {"id": user_id, "username": "someone", "name": "someone", "team_id": TEAM_ID},
        "api_app_id": "A0CONTROLROOM",
        "token": "legacy-verification-token",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "trigger_id": "1764000000.2.trigger",
        "team": {"id": TEAM_ID, "domain": "twopeaks"},
        "channel": {"id": channel, "name": "gtm-approvals"},
        "message": {"type": "message", "ts": message_ts, "text": "Win-back proposal"},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": "approval_actions",
                "text": {"type": "plain_text", "text": "Approve"},
                "value": value,
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
