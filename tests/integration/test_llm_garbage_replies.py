"""A model that answers garbage never costs an answer: through the real ``openai`` client against
the scripted server, every unusable reply falls back (the offline writer's words, the rules'
plans), the run still succeeds, and its audit log says which replies were refused."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import cycle
from pathlib import Path
from threading import Lock

import pytest
from pydantic import BaseModel, ConfigDict
from typer.testing import CliRunner

from controlroom.cli import app
from controlroom.services import Services, build_services
from controlroom.settings import Settings
from controlroom.team import team_factory
from integrations.llm import (
    Fact,
    LanguageModel,
    LanguageModelOutputError,
    ModelFallback,
    OpenAICompatibleModel,
    SlotText,
)
from integrations.llm.structured_output import StructuredMode
from integrations.warehouse import Warehouse
from tests.fakes.openai_server import (
    FAST_RETRY,
    Body,
    FakeOpenAIServer,
    Reply,
    completion_reply,
    connect_model,
    models_policy,
)
from tests.integration._ask import ask, on_team_day
from workflows.ask import Answer
from workflows.digest import Digest
from workflows.weekly_gtm import run_weekly_gtm

runner = CliRunner()
FACTS = (Fact(name="revenue", unit="currency", value=1204.3, label="revenue"),)
OFFLINE = SlotText("Revenue was {revenue}.")
OFFLINE_TEXT = "Revenue was $1,204."


def _completion_with(**changes: object) -> Reply:
    body = completion_reply("unused").body
    return Reply(body={**body, **changes})


def _bad_tool_call() -> Reply:
    call = {"id": "c", "type": "function", "function": {"name": "Route", "arguments": "{agents:"}}
    return completion_reply(None, tool_calls=[call], finish_reason="tool_calls")


# Replies no caller can use, for prose and structured requests alike.
UNUSABLE: dict[str, Callable[[], Reply]] = {
    "JSON failing the schema": lambda: completion_reply('{"agents": ["nobody"], "n": 1}'),
    "an empty reply": lambda: completion_reply(""),
    "a 200 with no choices": lambda: _completion_with(choices=[]),
    "a tool call with bad arguments": _bad_tool_call,
    "a choice with no message": lambda: _completion_with(
        choices=[{"index": 0, "finish_reason": "stop"}]
    ),
    "a number for content": lambda: _completion_with(
        choices=[{"index": 0, "message": {"role": "assistant", "content": 7}}]
    ),
    "a list for a body": lambda: Reply(raw=b"[1, 2]"),
    "a body that is not JSON": lambda: Reply(raw=b"<html>502 Bad Gateway</html>"),
}
# The output mode each case is read in: a tool call only where tool calls are the mode.
MODES: dict[str, StructuredMode] = {"a tool call with bad arguments": "tool_call"}


class Route(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agents: list[str]


def _answering(server: FakeOpenAIServer, *replies: Callable[[], Reply]) -> None:
    """Every request from now on gets the next of ``replies``, round and round (the sections
    of a digest ask in parallel, so which gets which is not fixed)."""
    turns, lock = cycle(replies), Lock()

    def answer(body: Body) -> Reply:
        with lock:
            return next(turns)()

    server.default = answer


@pytest.mark.parametrize("case", [*UNUSABLE, "plain text"])
def test_a_structured_request_answered_with_garbage_raises_an_output_error_and_is_noted(
    server: FakeOpenAIServer, case: str
) -> None:
    reply = UNUSABLE.get(case, lambda: completion_reply("Sure! Finance should answer that."))
    _answering(server, reply)
    model = OpenAICompatibleModel(
        api_key="k",
        base_url=server.base_url,
        models=models_policy(),
        retry=FAST_RETRY,
        structured_mode=MODES.get(case, "json_schema"),
    )

    with pytest.raises(LanguageModelOutputError) as raised:
        model.structured("supervisor", "Route.", "How was revenue?", Route)
    model.close()

    assert model.meter.fallbacks() == (
        ModelFallback(agent="supervisor", kind="refused", reason=str(raised.value)),
    )
    assert model.meter.total().calls == (0 if case == "a body that is not JSON" else 1)


@pytest.mark.parametrize("case", UNUSABLE)
def test_a_prose_request_answered_with_garbage_gives_the_offline_text_and_is_noted(
    server: FakeOpenAIServer, case: str
) -> None:
    _answering(server, UNUSABLE[case])
    model = connect_model(server)

    written = model.write_slots("finance", "You are finance.", "Write.", FACTS, offline=OFFLINE)
    model.close()

    assert (written.text, written.source) == (OFFLINE_TEXT, "offline")
    assert written.reason
    assert model.meter.fallbacks() == (
        ModelFallback(agent="finance", kind="refused", reason=written.reason),
    )


def test_a_reply_with_unreadable_usage_is_still_used_and_counted(
    server: FakeOpenAIServer,
) -> None:
    reply = completion_reply("Revenue was {revenue}.").body
    server.script(Reply(body={**reply, "usage": "lots"}))
    model = connect_model(server)

    written = model.write_slots("finance", "s", "p", FACTS, offline=SlotText("{revenue}"))
    model.close()

    assert (written.text, written.source) == (OFFLINE_TEXT, "model")
    assert model.meter.total().calls == 1 and model.meter.fallbacks() == ()


# Two parts, each worded by the finance writer through slots: a figure and a what-if.
TWO_PARTS = "revenue last week, and what would a 20% win-back offer return?"


@contextmanager
def _asking_the_server(
    server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Services]:
    """Services whose language model is ``server`` (over HTTP), on the team's day."""
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    built = build_services(Settings())
    try:
        with on_team_day():
            yield built
    finally:
        built.close()


def _refused_agents(services: Services, answer: Answer) -> list[str]:
    return sorted(
        entry.detail["agent"]
        for entry in services.state.audit_entries(run_id=answer.run_id)
        if entry.action == "model_reply_refused"
    )


@pytest.mark.parametrize(
    "case",
    [
        "JSON failing the schema",
        "an empty reply",
        "a 200 with no choices",
        "a tool call with bad arguments",
        "a choice with no message",
        "a body that is not JSON",
    ],
)
def test_ask_with_a_model_answering_garbage_is_answered_offline_and_succeeds(
    sample_warehouse: Warehouse,
    ingested_kb: Path,
    services: Services,
    server: FakeOpenAIServer,
    monkeypatch: pytest.MonkeyPatch,
    case: str,
) -> None:
    with on_team_day():
        offline = ask(services, TWO_PARTS)
    _answering(server, UNUSABLE[case])

    with _asking_the_server(server, monkeypatch) as modelled:
        answer = ask(modelled, TWO_PARTS)

    assert answer.planned_by == "rules"
    assert [p.plan for p in answer.parts] == [p.plan for p in offline.parts]
    assert [p.written_by for p in answer.parts] == ["offline", "offline"]
    assert answer.text == offline.text
    run = services.state.get_run(answer.run_id)
    assert (run.status, run.error) == ("succeeded", None)
    # The planner's reply and each part's words, refused and recorded.
    assert _refused_agents(services, answer) == ["finance", "finance", "supervisor"]


def test_ask_with_a_model_answering_plain_text_plans_by_rules_and_keeps_the_prose(
    sample_warehouse: Warehouse,
    ingested_kb: Path,
    services: Services,
    server: FakeOpenAIServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Plain text is no plan (refused), but it is slot text with no figure of its own: kept.
    _answering(server, lambda: completion_reply("Email did well; revenue rose."))

    with _asking_the_server(server, monkeypatch) as modelled:
        answer = ask(modelled, TWO_PARTS)

    assert answer.planned_by == "rules"
    assert [p.written_by for p in answer.parts] == ["model", "model"]
    assert answer.text.count("Email did well; revenue rose.") == 2
    assert services.state.get_run(answer.run_id).status == "succeeded"
    (entry,) = [
        e
        for e in services.state.audit_entries(run_id=answer.run_id)
        if e.action == "model_reply_refused"
    ]
    assert entry.detail["agent"] == "supervisor"
    assert "not a valid Plans" in entry.detail["reason"]


def _digest(services: Services, model: LanguageModel) -> Digest:
    return run_weekly_gtm(
        state=services.state,
        model=model,
        team=team_factory(services, None),
        database_url=services.settings.effective_database_url,
        charts_dir=services.settings.var_dir / "charts",
        started_by="U0MARKETER",
        trigger="command",
    )


@pytest.mark.parametrize(
    "cases",
    [
        ("JSON failing the schema", "an empty reply", "a 200 with no choices"),
        ("a tool call with bad arguments", "a choice with no message", "a list for a body"),
    ],
    ids=["json-empty-no-choices", "tool-call-no-message-list"],
)
def test_a_digest_from_a_model_answering_garbage_has_every_section_in_offline_words(
    sample_warehouse: Warehouse,
    services: Services,
    server: FakeOpenAIServer,
    cases: tuple[str, ...],
) -> None:
    offline = _digest(services, services.llm)
    _answering(server, *(UNUSABLE[case] for case in cases))
    model = connect_model(server)

    digest = _digest(services, model)
    model.close()

    assert digest.unavailable == []
    assert set(digest.prose) == {"marketing", "finance", "insights", "support"}
    assert digest.prose == offline.prose
    assert digest.headline == offline.headline
    run = services.state.get_run(digest.run_id)
    assert (run.status, run.error) == ("succeeded", None)
    entries = services.state.audit_entries(run_id=digest.run_id)
    assert sorted((e.action, e.detail["agent"]) for e in entries) == [
        ("model_reply_refused", "finance"),
        ("model_reply_refused", "insights"),
        ("model_reply_refused", "marketing"),
    ]


def test_controlroom_run_weekly_gtm_against_a_garbage_server_exits_0_and_shows_the_refusals(
    sample_warehouse: Warehouse,
    services: Services,
    server: FakeOpenAIServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    offline = _digest(services, services.llm)
    _answering(server, UNUSABLE["a body that is not JSON"])
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)

    result = runner.invoke(app, ["run", "weekly-gtm", "--json"], env={"COLUMNS": "250"})

    assert result.exit_code == 0, result.output
    digest = Digest.model_validate(json.loads(result.output))
    assert digest.unavailable == [] and digest.prose == offline.prose
    assert digest.cost.calls == 0  # no reply could be read, so no tokens to count
    shown = runner.invoke(app, ["runs", "show", digest.run_id], env={"COLUMNS": "250"})
    assert "status      succeeded" in shown.output
    assert shown.output.count("model_reply_refused") == 3
    assert "the server's reply is not JSON (JSONDecodeError)" in shown.output


def test_controlroom_ask_a_customer_question_against_a_garbage_server_answers_offline(
    sample_warehouse: Warehouse,
    ingested_kb: Path,
    services: Services,
    server: FakeOpenAIServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    question = ["ask", "do gift cards expire?"]
    offline = runner.invoke(app, question, env={"COLUMNS": "250"})
    _answering(server, UNUSABLE["JSON failing the schema"])
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)

    result = runner.invoke(app, question, env={"COLUMNS": "250"})

    assert (offline.exit_code, result.exit_code) == (0, 0), result.output
    answer = result.output.split("\nPlanned by")[0]
    assert answer == offline.output.split("\nPlanned by")[0]
    assert "Support" in answer
    assert "Planned by rules" in result.output
    (run, _) = services.state.recent_runs(2, workflow="ask")
    assert run.status == "succeeded"
    refused = {
        entry.detail["agent"]
        for entry in services.state.audit_entries(run_id=run.run_id)
        if entry.action == "model_reply_refused"
    }
    assert refused == {"supervisor", "support"}
