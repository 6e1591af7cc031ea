"""The offline writer and the factory that picks the backend from the settings."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel, SecretStr

import policies
from integrations.llm import (
    CostMeter,
    Fact,
    LanguageModel,
    LanguageModelNotConfigured,
    LanguageModelUnavailable,
    OfflineWriter,
    OpenAICompatibleModel,
    SlotText,
    build_language_model,
)
from policies.schema import ModelsPolicy

FACTS = (
    Fact(name="revenue", unit="currency", value=1204.3, label="revenue"),
    Fact(name="growth", unit="ratio", value=0.125, signed=True, label="revenue growth"),
    Fact(name="channel", unit="text", text="Paid & <social>", label="the channel"),
)
OFFLINE = SlotText("Revenue grew {growth} to {revenue} through {channel}.")


class Route(BaseModel):
    agents: list[str]


@pytest.fixture
def models() -> ModelsPolicy:
    path = Path(policies.__file__).parent / "models.yaml"
    return ModelsPolicy.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def test_the_offline_writer_renders_the_agents_own_slot_text_marked_offline() -> None:
    written = OfflineWriter().write_slots("finance", "system", "prompt", FACTS, offline=OFFLINE)
    assert (written.text, written.source, written.refused) == (
        "Revenue grew +12.5% to $1,204 through Paid &amp; &lt;social&gt;.",
        "offline",
        (),
    )
    assert written.reason == "no language model is configured"


def test_the_offline_writer_renders_plain_text_for_a_caller_that_escapes_it_itself() -> None:
    written = OfflineWriter().write_slots(
        "finance", "system", "prompt", FACTS, offline=OFFLINE, mrkdwn=False
    )
    assert written.text == "Revenue grew +12.5% to $1,204 through Paid & <social>."


def test_the_offline_writer_leaves_structured_answers_to_the_callers_deterministic_path() -> None:
    with pytest.raises(LanguageModelNotConfigured, match="no Route") as raised:
        OfflineWriter().structured("supervisor", "system", "prompt", Route)
    assert isinstance(raised.value, LanguageModelUnavailable)
    assert raised.value.cause == "not_configured"


def test_the_offline_writer_costs_nothing_in_any_meter() -> None:
    meter = CostMeter()
    OfflineWriter().metered(meter).write_slots("finance", "s", "p", FACTS, offline=OFFLINE)
    assert meter.total().calls == 0
    assert meter.total().usd_text == "$0.00"


def test_without_a_key_or_a_base_url_the_factory_builds_the_offline_writer(
    models: ModelsPolicy,
) -> None:
    assert isinstance(build_language_model(None, None, models), OfflineWriter)
    assert isinstance(build_language_model(SecretStr(""), "", models), OfflineWriter)


@pytest.mark.parametrize(
    ("api_key", "base_url"),
    [
        (SecretStr("sk-test"), None),
        (None, "http://127.0.0.1:8080/v1"),
        ("sk-test", "https://example.openai.azure.com/openai/v1"),
    ],
)
def test_a_key_or_a_base_url_builds_the_openai_compatible_model(
    models: ModelsPolicy, api_key: SecretStr | str | None, base_url: str | None
) -> None:
    built: LanguageModel = build_language_model(api_key, base_url, models)
    try:
        assert isinstance(built, OpenAICompatibleModel)
    finally:
        built.close()
