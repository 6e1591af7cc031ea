"""The one interface every language-model backend implements, and what ``write`` returns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeAlias, TypeVar

from pydantic import BaseModel

from integrations.llm.meter import CostMeter
from integrations.llm.slots import Fact, RefusedText, SlotText
from policies.schema import AgentName

# The computed facts a text is written from: nested mappings and lists of numbers, strings and
# dates, pydantic models or dataclasses. The number guard reads every figure in them.
Facts: TypeAlias = Mapping[str, Any] | Sequence[Any] | BaseModel

SchemaT = TypeVar("SchemaT", bound=BaseModel)

WrittenSource = Literal["model", "offline"]


@dataclass(frozen=True, slots=True)
class Written:
    """Prose for a person, and where it came from.

    ``source="offline"`` means the caller's own offline text was used; ``reason`` then says why
    (no model configured, the model unavailable, or the guard refused figures — listed in
    ``refused_figures``), so the digest and the run log can say so. ``refused`` holds the slot
    texts ``write_slots`` refused, with their problems, whichever text was used in the end.
    """

    text: str
    source: WrittenSource
    reason: str | None = None
    refused_figures: tuple[str, ...] = ()
    refused: tuple[RefusedText, ...] = ()


class LanguageModel(Protocol):
    """Writes prose from computed facts and fills typed answers; never computes a figure itself."""

    @property
    def meter(self) -> CostMeter:
        """Where this view records tokens and dollars."""
        ...

    def write(
        self, agent: AgentName, system: str, prompt: str, facts: Facts, *, offline_text: str
    ) -> Written:
        """Prose for ``prompt``, checked against ``facts`` by the number guard.

        Never raises for an unavailable model or a refused text: ``offline_text`` (the agent's
        template rendered over the same facts) is returned instead, marked ``source="offline"``.
        """
        ...

    def write_slots(
        self,
        agent: AgentName,
        system: str,
        prompt: str,
        facts: Sequence[Fact],
        *,
        offline: SlotText,
    ) -> Written:
        """Prose whose every figure is a fact rendered by code, as Slack mrkdwn (escaped).

        The model is told the slots and asked for slot text; a text breaking the slot rules is
        re-asked once with its problems, then ``offline`` (rendered over the same facts) is used,
        as it is when no model is configured or the model is unavailable. Never raises for the
        model; raises ``SlotTextError`` when ``offline`` itself breaks the rules.
        """
        ...

    def structured(
        self, agent: AgentName, system: str, prompt: str, schema: type[SchemaT]
    ) -> SchemaT:
        """An instance of ``schema`` filled by the model.

        Raises ``LanguageModelError`` (``LanguageModelNotConfigured`` on the offline writer): the
        caller owns the deterministic fallback, the same one whether no model is configured or
        the configured one is down.
        """
        ...

    def metered(self, meter: CostMeter) -> LanguageModel:
        """The same model (connection, breaker, learned output mode) recording into ``meter``."""
        ...

    def close(self) -> None:
        """Release connections; the composition root calls it once, at shutdown."""
        ...
