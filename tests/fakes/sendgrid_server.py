"""A local fake of SendGrid's v3 mail send API: records requests, answers as SendGrid does."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.local_http import json_reply


@dataclass
class FakeSendGrid:
    """``route`` for ``LocalHTTPServer``. ``api_key`` is the only key accepted;
    ``fail_next`` makes the next sends answer with those HTTP statuses."""

    api_key: str = "SG.test-key"
    sent: list[dict[str, Any]] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)

    def route(self, method: str, path: str, headers: dict[str, str], body: bytes):
        if (method, path) != ("POST", "/v3/mail/send"):
            return json_reply(404, {"errors": [{"message": "not found", "field": None}]})
        if headers.get("Authorization") != f"Bearer {self.api_key}":
            return json_reply(
                401,
                {
                    "errors": [
                        {
                            "message": "The provided authorization grant is invalid, expired, "
                            "or revoked",
                            "field": None,
                            "help": None,
                        }
                    ]
                },
            )
        if self.fail_next:
            status = self.fail_next.pop(0)
            return json_reply(status, {"errors": [{"message": "fake failure", "field": None}]})
        payload = json.loads(body)
        recipient = payload["personalizations"][0]["to"][0]["email"]
        if recipient.startswith("bounce@"):  # an address SendGrid's own checks refuse
            return json_reply(
                400,
                {
                    "errors": [
                        {
                            "message": "Does not contain a valid address.",
                            "field": "personalizations.0.to.0.email",
                            "help": None,
                        }
                    ]
                },
            )
        self.sent.append(payload)
        return 202, {"X-Message-Id": f"fake-{len(self.sent)}"}, b""
