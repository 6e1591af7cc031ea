"""The language-model layer: one interface, an OpenAI-compatible backend and an offline writer.

The model only writes prose from computed facts and fills typed answers; every figure comes from
the agents' tools. ``write_slots`` asks for text with ``{slot}`` placeholders naming ``Fact``
values and renders every figure in code (``slots``), so no figure is ever written by the model;
a text that breaks the slot rules is re-asked once, then the caller's own offline slot text is
used. ``structured`` raises and lets the caller take its deterministic path; ``check_figures``
(``guard``) holds a structured answer's figures to the texts it was written from.
``build_language_model`` picks the backend from the settings: the ``OfflineWriter`` when neither
an API key nor a base URL is set.

Per run, ``llm.metered(CostMeter())`` gives the agents a view that adds up tokens and dollars,
and notes each call that fell back (``ModelFallback``: the reply refused, or no reply), which
the run records in its audit log.

Exceptions::

    LanguageModelError
     ├── LanguageModelUnavailable        no usable answer; .cause says why:
     │    │                              breaker_open, timeout, retries_exhausted, rejected
     │    └── LanguageModelNotConfigured the offline writer has no model to ask (not a fault)
     └── LanguageModelOutputError        an answer, but not usable: invalid or truncated JSON,
                                         a schema mismatch, an empty or truncated reply
    SlotTextError (a ValueError)         a caller's offline slot text breaks the slot rules
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import SecretStr

from integrations.llm.errors import (
    LanguageModelError,
    LanguageModelNotConfigured,
    LanguageModelOutputError,
    LanguageModelUnavailable,
)
from integrations.llm.guard import (
    Figure,
    GuardVerdict,
    check_figures,
    extract_figures,
)
from integrations.llm.meter import Cost, CostMeter, ModelFallback, format_usd
from integrations.llm.offline import OfflineWriter
from integrations.llm.protocol import LanguageModel, Written
from integrations.llm.retrying import RetryPolicy
from integrations.llm.slots import (
    Fact,
    FactUnit,
    RefusedText,
    SlotProblem,
    SlotProblemKind,
    SlotText,
    SlotTextError,
    check_slot_text,
    render_fact,
    render_slot_text,
)
from integrations.llm.structured_output import StructuredMode
from policies.schema import ModelsPolicy

if TYPE_CHECKING:
    from integrations.llm.openai_compatible import OpenAICompatibleModel


def __getattr__(name: str) -> object:
    # The openai client loads when a model is configured, not when a module names the protocol
    # or the offline writer (PEP 562 lazy attribute).
    if name == "OpenAICompatibleModel":
        from integrations.llm.openai_compatible import OpenAICompatibleModel

        return OpenAICompatibleModel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Cost",
    "CostMeter",
    "Fact",
    "FactUnit",
    "Figure",
    "GuardVerdict",
    "LanguageModel",
    "LanguageModelError",
    "LanguageModelNotConfigured",
    "LanguageModelOutputError",
    "LanguageModelUnavailable",
    "ModelFallback",
    "OfflineWriter",
    "OpenAICompatibleModel",
    "RefusedText",
    "RetryPolicy",
    "SlotProblem",
    "SlotProblemKind",
    "SlotText",
    "SlotTextError",
    "StructuredMode",
    "Written",
    "build_language_model",
    "check_figures",
    "check_slot_text",
    "extract_figures",
    "format_usd",
    "render_fact",
    "render_slot_text",
]


def build_language_model(
    api_key: SecretStr | str | None,
    base_url: str | None,
    models_policy: ModelsPolicy,
    *,
    retry: RetryPolicy | None = None,
) -> LanguageModel:
    """The configured model: OpenAI-compatible when a key or a base URL is set (a local server
    needs no key), otherwise the offline writer."""
    key = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
    if not key and not base_url:
        return OfflineWriter()
    from integrations.llm.openai_compatible import OpenAICompatibleModel

    return OpenAICompatibleModel(
        api_key=key, base_url=base_url or None, models=models_policy, retry=retry
    )
