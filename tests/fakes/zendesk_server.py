"""A local fake of Zendesk's Tickets API: tickets in memory, API-token auth, Zendesk's errors."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.local_http import json_reply


@dataclass
class FakeZendesk:
    """``route`` for ``LocalHTTPServer``; only ``email``/token:``token`` is let in."""

    email: str = "agent@twopeaks.example.com"
    token: str = "zd-test-token"
    tickets: list[dict[str, Any]] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)

    def route(self, method: str, path: str, headers: dict[str, str], body: bytes):
        expected = base64.b64encode(f"{self.email}/token:{self.token}".encode()).decode()
        if headers.get("Authorization") != f"Basic {expected}":
            return json_reply(401, {"error": "Couldn't authenticate you"})
        if self.fail_next:
            return json_reply(self.fail_next.pop(0), {"error": "fake failure"})
        parts = urlsplit(path)
        if parts.path != "/api/v2/tickets.json":
            return json_reply(404, {"error": "InvalidEndpoint"})
        if method == "GET":
            wanted = parse_qs(parts.query).get("external_id", [None])[0]
            found = [t for t in self.tickets if t["external_id"] == wanted]
            return json_reply(200, {"tickets": found, "count": len(found)})
        ticket = json.loads(body)["ticket"]
        if not ticket.get("subject"):
            return json_reply(422, {"error": "RecordInvalid", "details": {"subject": ["blank"]}})
        stored = {"id": 1000 + len(self.tickets), **ticket}
        self.tickets.append(stored)
        return json_reply(201, {"ticket": stored})
