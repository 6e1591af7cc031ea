"""Tokens and dollars spent by a run, so Slack can say "this digest cost $0.004", and the calls
whose reply was not used, so the run's audit log can say the offline writer stood in.

One ``CostMeter`` per run; the workflow hands ``llm.metered(meter)`` to its agents, which may call
the model from several threads at once, so recording is guarded by a lock.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal

from policies.schema import ModelChoice

_TOKENS_PER_PRICE_UNIT = 1_000

# refused: the model answered, but with something unusable (not JSON, a schema mismatch, no text,
# slot text refused twice); unavailable: no answer at all (timeout, breaker open, HTTP error).
FallbackKind = Literal["refused", "unavailable"]


@dataclass(frozen=True, slots=True)
class ModelFallback:
    """One call whose reply was not used: the caller's offline text or rules answered instead."""

    agent: str
    kind: FallbackKind
    reason: str


@dataclass(frozen=True, slots=True)
class Cost:
    """Calls, tokens and US dollars, for one call, one agent or a whole run."""

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    usd: float = 0.0

    def __add__(self, other: Cost) -> Cost:
        return Cost(
            calls=self.calls + other.calls,
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            usd=self.usd + other.usd,
        )

    @property
    def usd_text(self) -> str:
        """The dollars as a person reads them: ``$0.004``, ``$0.12``, ``$3.40``."""
        return format_usd(self.usd)

    def describe(self) -> str:
        """One line for Slack: ``$0.004 (1,234 tokens in, 321 out, 3 calls)``."""
        calls = "call" if self.calls == 1 else "calls"
        return (
            f"{self.usd_text} ({self.input_tokens:,} tokens in, {self.output_tokens:,} out, "
            f"{self.calls:,} {calls})"
        )


def format_usd(usd: float) -> str:
    """Cents for a dollar or more; three decimals below a cent, where model costs usually are."""
    if usd == 0:
        return "$0.00"
    if usd < 0.001:
        return "<$0.001"
    if usd < 0.01:
        return f"${usd:.3f}"
    return f"${usd:,.2f}"


def cost_of(choice: ModelChoice, input_tokens: int, output_tokens: int) -> Cost:
    """The price of one call at the agent's rates in ``models.yaml`` (USD per 1K tokens)."""
    usd = (
        input_tokens * choice.usd_per_1k_input_tokens
        + output_tokens * choice.usd_per_1k_output_tokens
    ) / _TOKENS_PER_PRICE_UNIT
    return Cost(calls=1, input_tokens=input_tokens, output_tokens=output_tokens, usd=usd)


class CostMeter:
    """Adds up what a run spent, per agent, and notes each fallback; safe to share between
    threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_agent: dict[str, Cost] = {}
        self._fallbacks: list[ModelFallback] = []

    def record(
        self, agent: str, choice: ModelChoice, input_tokens: int, output_tokens: int
    ) -> Cost:
        """Add one call's tokens at ``choice``'s prices; returns that call's cost."""
        cost = cost_of(choice, input_tokens, output_tokens)
        with self._lock:
            self._by_agent[agent] = self._by_agent.get(agent, Cost()) + cost
        return cost

    def total(self) -> Cost:
        """Everything recorded so far."""
        with self._lock:
            return sum(self._by_agent.values(), Cost())

    def by_agent(self) -> dict[str, Cost]:
        """A copy of the totals per agent."""
        with self._lock:
            return dict(self._by_agent)

    def record_fallback(self, agent: str, kind: FallbackKind, reason: str) -> None:
        """Note that ``agent``'s call fell back (the offline text or the rules answered)."""
        with self._lock:
            self._fallbacks.append(ModelFallback(agent=agent, kind=kind, reason=reason))

    def fallbacks(self) -> tuple[ModelFallback, ...]:
        """The fallbacks noted so far, in the order they happened."""
        with self._lock:
            return tuple(self._fallbacks)
