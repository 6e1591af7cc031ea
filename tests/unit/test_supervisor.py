"""The supervisor graph: routing by model or rules, parallel specialists, help, failures."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pytest

import prompts
from agents.router import Example, Router, Specialist
from agents.specialist import Report
from agents.supervisor import build_supervisor
from integrations.llm import OfflineWriter, OpenAICompatibleModel
from tests.fakes.openai_server import (
    FAST_RETRY,
    FakeOpenAIServer,
    completion_reply,
    connect_model,
    error_reply,
    models_policy,
)

PROMPTS = prompts.load_prompts(Path(prompts.__file__).parent)["supervisor"]


@dataclass
class ScriptedSpecialist:
    name: Specialist
    job: str = "answers questions"
    barrier: threading.Barrier | None = None
    fails: bool = False
    requests: list[str] = field(default_factory=list)

    def answer(self, request: str) -> Report:
        self.requests.append(request)
        if self.barrier is not None:
            self.barrier.wait()  # raises BrokenBarrierError if the others never arrive
        if self.fails:
            raise RuntimeError("warehouse on fire")
        return Report(agent=self.name, title=self.name.title(), text=f"{self.name} says hi")


def _team(**overrides: ScriptedSpecialist) -> dict[Specialist, ScriptedSpecialist]:
    team: dict[Specialist, ScriptedSpecialist] = {
        name: ScriptedSpecialist(name) for name in ("marketing", "finance", "insights", "support")
    }
    team.update(overrides)  # type: ignore[arg-type]
    return team


def _run(team, model, request: str) -> dict:
    graph = build_supervisor(team, model=model, prompts=PROMPTS).compile()
    return graph.invoke({"request": request})


def test_without_a_model_the_rules_route_and_only_the_chosen_specialists_run() -> None:
    team = _team()
    state = _run(team, OfflineWriter(), "who is about to churn?")
    assert state["routed_by"] == "rules"
    assert state["agents"] == ["insights"]
    assert state["answer"] == "*Insights*\ninsights says hi"
    assert team["insights"].requests == ["who is about to churn?"]
    assert team["finance"].requests == []


def test_several_specialists_run_in_parallel_and_answer_as_one_message() -> None:
    barrier = threading.Barrier(2, timeout=10)
    team = _team(
        marketing=ScriptedSpecialist("marketing", barrier=barrier),
        insights=ScriptedSpecialist("insights", barrier=barrier),
    )
    state = _run(team, OfflineWriter(), "how did email do last week and who is about to churn?")
    assert [r.agent for r in state["reports"]] in (
        ["marketing", "insights"],
        ["insights", "marketing"],
    )
    assert state["answer"] == "*Marketing*\nmarketing says hi\n\n*Insights*\ninsights says hi"


@pytest.mark.parametrize("request_text", ["", "   ", "what's the weather in Denver", "hello"])
def test_a_request_no_specialist_fits_gets_help_not_a_guess(request_text: str) -> None:
    team = _team()
    state = _run(team, OfflineWriter(), request_text)
    assert state["agents"] == []
    assert state["answer"].startswith("I couldn't tell which specialist should answer that.")
    assert "*Finance*: answers questions" in state["answer"]
    assert all(not specialist.requests for specialist in team.values())


def test_a_failing_specialist_is_marked_unavailable_and_the_others_still_answer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    team = _team(finance=ScriptedSpecialist("finance", fails=True))
    state = _run(team, OfflineWriter(), "revenue forecast and which segments are shrinking")
    by_agent = {report.agent: report for report in state["reports"]}
    assert by_agent["finance"].status == "unavailable"
    assert "warehouse on fire" not in state["answer"]
    assert "The finance specialist is unavailable right now." in state["answer"]
    assert by_agent["insights"].text == "insights says hi"
    assert "specialist finance failed" in caplog.text


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as fake:
        yield fake


def _model(server: FakeOpenAIServer) -> OpenAICompatibleModel:
    return connect_model(server, retry=replace(FAST_RETRY, attempts=1))


def test_a_configured_model_routes_with_structured_output(server: FakeOpenAIServer) -> None:
    server.script(completion_reply('{"agents": ["support", "finance"]}'))
    team = _team()
    model = _model(server)
    try:
        state = _run(team, model, "refunds are up: what do we tell customers, what does it cost?")
    finally:
        model.close()
    assert state["routed_by"] == "model"
    assert state["agents"] == ["finance", "support"]
    (sent,) = server.chat_requests
    assert "refunds are up" in sent["messages"][-1]["content"]
    assert sent["model"] == models_policy().agents["supervisor"].model


def test_when_the_model_fails_the_rules_route_instead(server: FakeOpenAIServer) -> None:
    server.script(*[error_reply(503)] * 3)
    team = _team()
    model = _model(server)
    try:
        state = _run(team, model, "weekly KPIs please")
    finally:
        model.close()
    assert state["routed_by"] == "rules"
    assert state["agents"] == ["finance"]
    assert team["finance"].requests == ["weekly KPIs please"]


def _embed_by_words(texts):  # type: ignore[no-untyped-def]
    """A stand-in sentence embedding: which of a few words the text holds, normalised."""
    words = ("lose", "buyers", "weather", "jacket")
    vectors = np.array([[float(w in t.lower()) for w in words] + [0.01] for t in texts])
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def test_a_request_without_cues_is_routed_like_its_nearest_example() -> None:
    router = Router([Example("are we losing buyers", ("insights",))], _embed_by_words)
    route = router.route("which buyers might we lose")
    assert route.agents == ("insights",)
    assert route.cues[0].startswith("like 'are we losing buyers'")


def test_a_request_like_no_example_still_gets_help() -> None:
    router = Router([Example("are we losing buyers", ("insights",))], _embed_by_words)
    assert router.route("what's the weather").agents == ()


def test_cues_win_over_examples_and_the_examples_are_embedded_once() -> None:
    calls: list[int] = []

    def counting(texts):  # type: ignore[no-untyped-def]
        calls.append(len(texts))
        return _embed_by_words(texts)

    router = Router([Example("are we losing buyers", ("insights",))], counting)
    assert router.route("weekly KPIs please").agents == ("finance",)
    assert calls == []
    router.route("which buyers might we lose")
    router.route("buyers we lose")
    assert calls == [1, 1, 1]  # the examples once, then each request
