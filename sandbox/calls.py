"""What the app asked of the sandbox, kept for a script or a test to look at: every Web API call
and ``response_url`` post with its arguments and the sandbox's answer, in order; and failures to
answer instead, as Slack would on a bad day (``ratelimited``, ``not_in_channel``).

The app works asynchronously (it acks, then posts), so ``wait_for`` blocks until the calls a
test expects have arrived.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# The name a response_url post is logged under, beside the Web API's method names.
RESPONSE_URL = "response_url"


@dataclass(frozen=True, slots=True)
class Call:
    """One request of the app: a Web API method (``chat.update``) or ``response_url``, the
    arguments as the app sent them, what the sandbox answered, and (for ``response_url``) the
    response URL it was posted to."""

    method: str
    args: dict[str, Any]
    answer: dict[str, Any]
    url: str = ""


class CallLog:
    """The calls in order, and the failures to give instead of an answer."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._changed = threading.Condition()
        self._failures: dict[tuple[str, str | None], str] = {}

    def fail(self, method: str, error: str, *, channel: str | None = None) -> None:
        """Answer ``method`` (in ``channel`` only, by ID, when given) with Slack's ``error``."""
        with self._changed:
            self._failures[(method, channel)] = error

    def failure(self, method: str, channel: str | None) -> str | None:
        """The error to answer ``method`` with in ``channel``, if one was set."""
        with self._changed:
            return self._failures.get((method, channel)) or self._failures.get((method, None))

    def record(
        self, method: str, args: Mapping[str, Any], answer: Mapping[str, Any], url: str = ""
    ) -> None:
        with self._changed:
            self.calls.append(Call(method, dict(args), dict(answer), url))
            self._changed.notify_all()

    def calls_to(self, method: str) -> list[Call]:
        with self._changed:
            return [call for call in self.calls if call.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 120.0) -> list[Call]:
        """The calls to ``method`` once there are at least ``count``, waiting up to ``timeout``
        seconds; raises ``AssertionError`` naming the calls made when they do not come."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [call for call in self.calls if call.method == method]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    made = [call.method for call in self.calls]
                    raise AssertionError(f"no {count} {method} call(s) in {timeout}s; got {made}")
                self._changed.wait(left)
