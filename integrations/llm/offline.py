"""The embedded default: no key, no network, no model — every caller brings its own text.

Each caller writes its own offline slot text (its template, slots naming its facts) and passes it
to ``write_slots``; the offline writer renders it with the same code as a model's slot text.
Keeping the templates with the agents means the offline prose is written by people who know the
facts, and is the same text a refused model text falls back to.

``structured`` raises ``LanguageModelNotConfigured`` rather than taking a fallback function:
the caller needs the same deterministic path when a configured model is down, so one
``except LanguageModelError`` serves both cases.
"""

from __future__ import annotations

from collections.abc import Sequence

from integrations.llm.errors import LanguageModelNotConfigured
from integrations.llm.meter import CostMeter
from integrations.llm.protocol import SchemaT, Written
from integrations.llm.slots import Fact, SlotText, render_slot_text
from policies.schema import AgentName

OFFLINE_REASON = "no language model is configured"


class OfflineWriter:
    """Deterministic prose from the caller's templates; costs nothing and records no calls."""

    def __init__(self, meter: CostMeter | None = None) -> None:
        self._meter = meter if meter is not None else CostMeter()

    @property
    def meter(self) -> CostMeter:
        """Stays at zero: the offline writer asks nobody."""
        return self._meter

    def write_slots(
        self,
        agent: AgentName,
        system: str,
        prompt: str,
        facts: Sequence[Fact],
        *,
        offline: SlotText,
        mrkdwn: bool = True,
    ) -> Written:
        """``offline`` rendered over ``facts`` by the same code as a model's slot text."""
        return Written(
            text=render_slot_text(offline, facts, mrkdwn=mrkdwn),
            source="offline",
            reason=OFFLINE_REASON,
        )

    def structured(
        self, agent: AgentName, system: str, prompt: str, schema: type[SchemaT]
    ) -> SchemaT:
        """Always raises ``LanguageModelNotConfigured``: the caller's deterministic path answers."""
        raise LanguageModelNotConfigured(
            f"{agent}: {OFFLINE_REASON}, so no {schema.__name__} can be filled by a model"
        )

    def metered(self, meter: CostMeter) -> OfflineWriter:
        """An offline writer recording (nothing) into ``meter``."""
        return OfflineWriter(meter)

    def close(self) -> None:
        """Nothing to release."""
