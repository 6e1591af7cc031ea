"""The one interface every language-model backend implements, and what ``write_slots`` returns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, TypeVar

from pydantic import BaseModel

from integrations.llm.meter import CostMeter
from integrations.llm.slots import Fact, RefusedText, SlotText
from policies.schema import AgentName

SchemaT = TypeVar("SchemaT", bound=BaseModel)

WrittenSource = Literal["model", "offline"]


@dataclass(frozen=True, slots=True)
class Written:
    """Prose for a person, and where it came from.

    ``source="offline"`` means the caller's own offline text was used; ``reason`` then says why
    (no model configured, the model unavailable, or its slot text refused twice), so the digest
    and the run log can say so. ``refused`` holds the slot texts ``write_slots`` refused, with
    their problems, whichever text was used in the end.
    """

    text: str
    source: WrittenSource
    reason: str | None = None
    refused: tuple[RefusedText, ...] = ()


class LanguageModel(Protocol):
    """Writes prose from computed facts and fills typed answers; never computes a figure itself."""

    @property
    def meter(self) -> CostMeter:
        """Where this view records tokens and dollars."""
        ...

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
        """Prose whose every figure is a fact rendered by code, as Slack mrkdwn (escaped), or as
        plain text with ``mrkdwn=False`` (for a caller that escapes where it shows it).

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
