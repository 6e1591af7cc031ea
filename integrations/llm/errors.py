"""What can go wrong when a language model is asked; the tree is drawn in the package docstring."""

from __future__ import annotations

from typing import Literal

UnavailableCause = Literal[
    "not_configured", "breaker_open", "timeout", "retries_exhausted", "rejected"
]


class LanguageModelError(Exception):
    """Base of every error this package raises; callers catch this one and fall back."""


class LanguageModelUnavailable(LanguageModelError):
    """No usable answer came back: the model was not asked, did not answer, or refused the request.

    ``cause`` says which, so the run log and Slack can say "unavailable (timeout)" without parsing
    the message.
    """

    def __init__(self, message: str, *, cause: UnavailableCause) -> None:
        super().__init__(message)
        self.cause: UnavailableCause = cause


class LanguageModelNotConfigured(LanguageModelUnavailable):
    """The offline writer has no model to ask; expected on the embedded defaults, not a fault."""

    def __init__(self, message: str = "no language model is configured") -> None:
        super().__init__(message, cause="not_configured")


class LanguageModelOutputError(LanguageModelError):
    """The model answered, but not with something usable: invalid JSON, a schema mismatch, a
    reply cut at ``max_tokens`` or an empty reply."""
