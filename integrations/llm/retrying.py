"""How one call to a model server is retried: which faults, how long to wait, when to stop.

Shared by every backend call in ``openai_compatible``; kept apart so the policy reads in one place.
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tenacity import RetryCallState
from tenacity.stop import stop_base
from tenacity.wait import wait_exponential_jitter

logger = logging.getLogger(__name__)

# Below this, an attempt could not get an answer back: give up instead of sending it.
MIN_ATTEMPT_SECONDS = 0.05


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard one call tries; the defaults suit a hosted API, tests pass shorter waits."""

    attempts: int = 4
    first_wait_seconds: float = 0.5
    max_wait_seconds: float = 8.0
    jitter_seconds: float = 0.5
    breaker_failures: int = 5
    breaker_reset_seconds: float = 30.0


def is_transient(error: BaseException) -> bool:
    """Worth another try: rate limits, server faults, timeouts and lost connections."""
    import openai  # here, not at the top: the offline writer never loads the client

    if isinstance(error, openai.APIStatusError):
        return error.status_code == 429 or error.status_code >= 500
    return isinstance(error, openai.APIConnectionError)  # includes APITimeoutError


class Backoff:
    """Exponential backoff with jitter, or the server's ``Retry-After`` when it gives one."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._max = policy.max_wait_seconds
        self._exponential = wait_exponential_jitter(
            multiplier=policy.first_wait_seconds,
            max=policy.max_wait_seconds,
            jitter=policy.jitter_seconds,
        )

    def __call__(self, state: RetryCallState) -> float:
        import openai

        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, openai.APIStatusError):
            hinted = _retry_after_seconds(error.response.headers)
            if hinted is not None:
                return min(hinted, self._max)
        return float(self._exponential(state))


def _retry_after_seconds(headers: Any) -> float | None:
    """``retry-after-ms`` (OpenAI), else ``Retry-After`` in seconds or as an HTTP date."""
    milliseconds = headers.get("retry-after-ms")
    if milliseconds is not None:
        try:
            return max(0.0, float(milliseconds) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class StopAt(stop_base):
    """Stop when the next attempt would start too late to finish before the call's deadline."""

    def __init__(self, deadline: float) -> None:
        self._deadline = deadline

    def __call__(self, retry_state: RetryCallState) -> bool:
        wake = time.monotonic() + retry_state.upcoming_sleep
        return wake + MIN_ATTEMPT_SECONDS >= self._deadline


def log_retry(agent: str) -> Callable[[RetryCallState], None]:
    def log(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        logger.warning(
            "%s: language model attempt %d failed (%s); retrying in %.2f s",
            agent,
            state.attempt_number,
            type(error).__name__,
            state.upcoming_sleep,
        )

    return log
