"""The sandbox's exceptions::

SandboxError
├── ApiError        a Web API call was wrong: Slack's error code ("channel_not_found")
└── DeliveryError   the app did not take a request: "operation_timeout" (no answer in 3 s)
                    or "dispatch_failed" (an error status), as Slack reports them
"""

from __future__ import annotations


class SandboxError(Exception):
    """Something the local Slack could not do."""


class ApiError(SandboxError):
    """A Slack error code (``channel_not_found``) with optional detail messages."""

    def __init__(self, code: str, *messages: str) -> None:
        super().__init__(code)
        self.code = code
        self.messages = list(messages)


class DeliveryError(SandboxError):
    """The app did not acknowledge a request; ``code`` is the error Slack shows the person."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
