"""The OpenAI-compatible backend, driven through the real ``openai`` client against a local
scripted server: output modes, retries, the breaker, timeouts, the meter and the number guard."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import pytest
from pydantic import BaseModel

from integrations.llm import (
    CostMeter,
    LanguageModelOutputError,
    LanguageModelUnavailable,
    OpenAICompatibleModel,
    RetryPolicy,
)
from tests.fakes.openai_server import (
    FAST_RETRY,
    Body,
    FakeOpenAIServer,
    Reply,
    completion_reply,
    connect_model,
    error_reply,
    tool_call_reply,
)

FACTS = {"revenue": 1204.3, "growth": 0.125}
OFFLINE = "Revenue grew 12.5% to $1,204."


class Route(BaseModel):
    agents: list[str]
    reason: str


ROUTE = {"agents": ["finance"], "reason": "a revenue question"}


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as running:
        yield running


@pytest.fixture
def model(server: FakeOpenAIServer) -> Iterator[OpenAICompatibleModel]:
    built = connect_model(server)
    yield built
    built.close()


def test_model_prose_is_sent_with_the_agents_settings_and_its_tokens_are_priced(
    server: FakeOpenAIServer, model: OpenAICompatibleModel
) -> None:
    server.script(
        completion_reply("Revenue grew 12.5% to $1,204.", prompt_tokens=1000, completion_tokens=500)
    )
    written = model.write("finance", "You are finance.", "Write it.", FACTS, offline_text=OFFLINE)

    assert (written.text, written.source, written.reason) == (
        "Revenue grew 12.5% to $1,204.",
        "model",
        None,
    )
    (sent,) = server.chat_requests
    assert sent["model"] == "gpt-4o-mini"
    assert sent["temperature"] == 0.2
    assert sent["max_tokens"] == 700
    assert sent["messages"] == [
        {"role": "system", "content": "You are finance."},
        {"role": "user", "content": "Write it."},
    ]
    total = model.meter.total()
    assert (total.calls, total.input_tokens, total.output_tokens) == (1, 1000, 500)
    # gpt-4o-mini at $0.00015 in and $0.0006 out per 1K tokens.
    assert total.usd == pytest.approx(0.00015 + 0.0003)
    assert total.usd_text == "<$0.001"


def test_each_run_meters_its_own_calls_through_a_metered_view(
    server: FakeOpenAIServer, model: OpenAICompatibleModel
) -> None:
    digest, winback = CostMeter(), CostMeter()
    model.metered(digest).write("marketing", "s", "p", FACTS, offline_text=OFFLINE)
    model.metered(digest).write("insights", "s", "p", FACTS, offline_text=OFFLINE)
    model.metered(winback).write("finance", "s", "p", FACTS, offline_text=OFFLINE)

    assert set(digest.by_agent()) == {"marketing", "insights"}
    assert digest.total().calls == 2
    assert winback.total().calls == 1
    assert model.meter.total().calls == 0


def test_structured_output_uses_json_schema_when_the_server_takes_it(
    server: FakeOpenAIServer, model: OpenAICompatibleModel
) -> None:
    server.script(completion_reply('{"agents": ["finance"], "reason": "a revenue question"}'))

    route = model.structured("supervisor", "Route.", "How was revenue?", Route)

    assert route == Route.model_validate(ROUTE)
    (sent,) = server.chat_requests
    assert sent["response_format"]["type"] == "json_schema"
    assert sent["response_format"]["json_schema"]["name"] == "Route"
    assert sent["response_format"]["json_schema"]["strict"] is True
    assert model.structured_mode == "json_schema"
    assert model.meter.total().calls == 1


def llama_cpp_like(body: Body) -> Reply:
    """Like llama.cpp's server: HTTP 500 for json_schema, JSON under json_object."""
    if body.get("response_format", {}).get("type") == "json_schema":
        return error_reply(500, "Unrecognized response_format type: json_schema")
    return completion_reply('{"agents": ["finance"], "reason": "a revenue question"}')


def test_server_that_rejects_json_schema_gets_json_object_with_the_schema_and_it_is_remembered(
    server: FakeOpenAIServer, model: OpenAICompatibleModel
) -> None:
    server.default = llama_cpp_like

    first = model.structured("supervisor", "Route.", "How was revenue?", Route)
    second = model.structured("supervisor", "Route.", "And churn?", Route)

    assert first == second == Route.model_validate(ROUTE)
    modes = [body["response_format"]["type"] for body in server.chat_requests]
    assert modes == ["json_schema", "json_object", "json_object"]
    sent_schema = server.chat_requests[1]["response_format"]["schema"]
    assert sent_schema["required"] == ["agents", "reason"]
    assert "JSON schema" in server.chat_requests[1]["messages"][0]["content"]
    assert model.structured_mode == "json_object"
    # A mode the server refused is not a fault: the breaker stays closed, nothing was retried.
    assert len(server.chat_requests) == 3


def tools_only(body: Body) -> Reply:
    """A server that knows tool calls but no response_format at all."""
    if "response_format" in body:
        return error_reply(400, "response_format is not supported")
    return tool_call_reply("Route", ROUTE)


def test_server_without_response_formats_answers_through_a_forced_tool_call(
    server: FakeOpenAIServer, model: OpenAICompatibleModel
) -> None:
    server.default = tools_only

    route = model.structured("supervisor", "Route.", "How was revenue?", Route)

    assert route == Route.model_validate(ROUTE)
    last = server.chat_requests[-1]
    assert last["tool_choice"] == {"type": "function", "function": {"name": "Route"}}
    assert last["tools"][0]["function"]["name"] == "Route"
    assert model.structured_mode == "tool_call"
    assert len(server.chat_requests) == 3


def test_structured_reply_that_does_not_fit_the_schema_is_an_output_error(
    server: FakeOpenAIServer, model: OpenAICompatibleModel
) -> None:
    server.script(completion_reply('{"agents": "finance"}'))

    with pytest.raises(LanguageModelOutputError, match="not a valid Route"):
        model.structured("supervisor", "Route.", "How was revenue?", Route)


def test_structured_reply_cut_at_max_tokens_is_an_output_error(
    server: FakeOpenAIServer, model: OpenAICompatibleModel
) -> None:
    server.script(completion_reply('{"agents": ["fin', finish_reason="length"))

    with pytest.raises(LanguageModelOutputError, match="cut at max_tokens"):
        model.structured("supervisor", "Route.", "How was revenue?", Route)


def test_rate_limit_is_retried_after_the_servers_retry_after_and_then_succeeds(
    server: FakeOpenAIServer,
) -> None:
    server.script(
        error_reply(429, "slow down", retry_after_ms="300"),
        completion_reply("Revenue grew 12.5%."),
    )
    model = connect_model(server, retry=RetryPolicy(attempts=3, first_wait_seconds=0.01))
    try:
        started = time.monotonic()
        written = model.write("finance", "s", "p", FACTS, offline_text=OFFLINE)
        elapsed = time.monotonic() - started
    finally:
        model.close()

    assert (written.text, written.source) == ("Revenue grew 12.5%.", "model")
    assert len(server.chat_requests) == 2
    assert elapsed >= 0.3


def test_server_errors_are_retried_with_backoff_until_the_attempts_run_out(
    server: FakeOpenAIServer, model: OpenAICompatibleModel, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="integrations.llm")
    server.default = lambda body: error_reply(503, "overloaded")

    written = model.write("finance", "s", "p", FACTS, offline_text=OFFLINE)

    assert (written.text, written.source) == (OFFLINE, "offline")
    assert written.reason is not None and "after retries" in written.reason
    assert len(server.chat_requests) == FAST_RETRY.attempts
    assert caplog.text.count("retrying in") == FAST_RETRY.attempts - 1


def test_repeated_server_errors_open_the_breaker_and_later_calls_do_not_reach_the_server(
    server: FakeOpenAIServer,
) -> None:
    server.default = lambda body: error_reply(500, "boom")
    model = connect_model(
        server,
        retry=RetryPolicy(
            attempts=2, first_wait_seconds=0.01, max_wait_seconds=0.02, breaker_failures=3
        ),
    )
    try:
        first = model.write("finance", "s", "p", FACTS, offline_text=OFFLINE)
        assert len(server.chat_requests) == 2
        second = model.write("finance", "s", "p", FACTS, offline_text=OFFLINE)
        assert len(server.chat_requests) == 3  # the third consecutive failure opened it
        later = model.write("finance", "s", "p", FACTS, offline_text=OFFLINE)
        with pytest.raises(LanguageModelUnavailable) as structured:
            model.structured("supervisor", "Route.", "p", Route)
    finally:
        model.close()

    assert len(server.chat_requests) == 3
    assert first.reason is not None and "after retries" in first.reason
    for written in (second, later):
        assert written.source == "offline"
        assert written.reason is not None and "circuit breaker open" in written.reason
    assert structured.value.cause == "breaker_open"


def test_slow_reply_times_out_within_the_configured_budget(server: FakeOpenAIServer) -> None:
    server.default = lambda body: completion_reply("too late", delay=30)
    model = connect_model(server, timeout_seconds=1.0)
    try:
        started = time.monotonic()
        written = model.write("finance", "s", "p", FACTS, offline_text=OFFLINE)
        write_elapsed = time.monotonic() - started

        started = time.monotonic()
        with pytest.raises(LanguageModelUnavailable) as structured:
            model.structured("supervisor", "Route.", "p", Route)
        structured_elapsed = time.monotonic() - started
    finally:
        model.close()

    assert (written.text, written.source) == (OFFLINE, "offline")
    assert written.reason is not None and "timed out" in written.reason
    assert structured.value.cause == "timeout"
    assert write_elapsed < 1.0 + 2
    assert structured_elapsed < 1.0 + 2
    assert len(server.chat_requests) == 2  # no time left in the budget for a retry


def test_request_the_server_refuses_is_not_retried(
    server: FakeOpenAIServer, model: OpenAICompatibleModel
) -> None:
    server.default = lambda body: error_reply(401, "bad key")

    written = model.write("finance", "s", "p", FACTS, offline_text=OFFLINE)
    with pytest.raises(LanguageModelUnavailable) as structured:
        model.structured("supervisor", "Route.", "p", Route)

    assert written.source == "offline"
    assert written.reason is not None and "HTTP 401" in written.reason
    assert structured.value.cause == "rejected"
    # One write, then one probe per output mode; no retries.
    assert len(server.chat_requests) == 1 + 3


def test_model_text_that_smuggles_a_figure_is_refused_and_the_offline_text_is_used(
    server: FakeOpenAIServer, model: OpenAICompatibleModel, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="integrations.llm")
    server.script(completion_reply("Revenue grew 12.5% to $1,204; expect 20% more next week."))

    written = model.write("finance", "s", "p", FACTS, offline_text=OFFLINE)

    assert (written.text, written.source) == (OFFLINE, "offline")
    assert written.refused_figures == ("20%",)
    assert "20%" in caplog.text
    assert model.meter.total().calls == 1  # the refused text was still paid for


def test_prose_cut_at_max_tokens_falls_back_to_the_offline_text(
    server: FakeOpenAIServer, model: OpenAICompatibleModel
) -> None:
    server.script(completion_reply("Revenue grew 12.5% and", finish_reason="length"))

    written = model.write("finance", "s", "p", FACTS, offline_text=OFFLINE)

    assert (written.text, written.source) == (OFFLINE, "offline")
    assert written.reason == "the reply was cut at max_tokens"


def test_agents_calling_at_once_are_not_serialised_by_the_breaker(
    server: FakeOpenAIServer, model: OpenAICompatibleModel
) -> None:
    server.default = lambda body: completion_reply("Revenue grew 12.5%.", delay=0.4)
    results: list[str] = []

    def call() -> None:
        results.append(model.write("finance", "s", "p", FACTS, offline_text=OFFLINE).source)

    threads = [threading.Thread(target=call) for _ in range(4)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started

    assert results == ["model"] * 4
    assert model.meter.total().calls == 4
    assert elapsed < 4 * 0.4  # one after another would take at least 1.6 s
