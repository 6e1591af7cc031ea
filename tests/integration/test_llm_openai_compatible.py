"""The OpenAI-compatible backend, driven through the real ``openai`` client against a local
scripted server: output modes, retries, the breaker, timeouts, the meter and refused slot text."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from pydantic import BaseModel

from integrations.llm import (
    CostMeter,
    Fact,
    LanguageModelOutputError,
    LanguageModelUnavailable,
    OpenAICompatibleModel,
    RetryPolicy,
    SlotText,
    Written,
)
from policies.schema import AgentName
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

FACTS = (
    Fact(name="revenue", unit="currency", value=1204.3, label="revenue"),
    Fact(name="growth", unit="ratio", value=0.125, signed=True, label="revenue growth"),
)
OFFLINE = SlotText("Revenue grew {growth} to {revenue}.")
OFFLINE_TEXT = "Revenue grew +12.5% to $1,204."
GOOD = "Revenue grew {growth}."


class Route(BaseModel):
    agents: list[str]
    reason: str


ROUTE = {"agents": ["finance"], "reason": "a revenue question"}


def write(model: OpenAICompatibleModel, agent: AgentName = "finance") -> Written:
    return model.write_slots(agent, "s", "p", FACTS, offline=OFFLINE)


def test_model_prose_is_sent_with_the_agents_settings_and_its_tokens_are_priced(
    server: FakeOpenAIServer, model: OpenAICompatibleModel
) -> None:
    server.script(
        completion_reply(
            "Revenue grew {growth} to {revenue}.", prompt_tokens=1000, completion_tokens=500
        )
    )
    written = model.write_slots(
        "finance", "You are finance.", "Write it.", FACTS, offline=SlotText("{revenue}")
    )

    assert (written.text, written.source, written.reason) == (OFFLINE_TEXT, "model", None)
    (sent,) = server.chat_requests
    assert sent["model"] == "gpt-4o-mini"
    assert sent["temperature"] == 0.2
    assert sent["max_tokens"] == 700
    system, user = sent["messages"]
    assert system["role"] == "system" and system["content"].startswith("You are finance.\n\n")
    assert user["role"] == "user" and user["content"].startswith("Write it.\n\n")
    total = model.meter.total()
    assert (total.calls, total.input_tokens, total.output_tokens) == (1, 1000, 500)
    # gpt-4o-mini at $0.00015 in and $0.0006 out per 1K tokens.
    assert total.usd == pytest.approx(0.00015 + 0.0003)
    assert total.usd_text == "<$0.001"


def test_each_run_meters_its_own_calls_through_a_metered_view(
    server: FakeOpenAIServer, model: OpenAICompatibleModel
) -> None:
    digest, winback = CostMeter(), CostMeter()
    server.default = lambda body: completion_reply(GOOD)
    write(model.metered(digest), "marketing")
    write(model.metered(digest), "insights")
    write(model.metered(winback), "finance")

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
        completion_reply(GOOD),
    )
    model = connect_model(server, retry=RetryPolicy(attempts=3, first_wait_seconds=0.01))
    try:
        started = time.monotonic()
        written = write(model)
        elapsed = time.monotonic() - started
    finally:
        model.close()

    assert (written.text, written.source) == ("Revenue grew +12.5%.", "model")
    assert len(server.chat_requests) == 2
    assert elapsed >= 0.3


def test_server_errors_are_retried_with_backoff_until_the_attempts_run_out(
    server: FakeOpenAIServer, model: OpenAICompatibleModel, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="integrations.llm")
    server.default = lambda body: error_reply(503, "overloaded")

    written = write(model)

    assert (written.text, written.source) == (OFFLINE_TEXT, "offline")
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
        first = write(model)
        assert len(server.chat_requests) == 2
        second = write(model)
        assert len(server.chat_requests) == 3  # the third consecutive failure opened it
        later = write(model)
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
        written = write(model)
        write_elapsed = time.monotonic() - started

        started = time.monotonic()
        with pytest.raises(LanguageModelUnavailable) as structured:
            model.structured("supervisor", "Route.", "p", Route)
        structured_elapsed = time.monotonic() - started
    finally:
        model.close()

    assert (written.text, written.source) == (OFFLINE_TEXT, "offline")
    assert written.reason is not None and "timed out" in written.reason
    assert structured.value.cause == "timeout"
    assert write_elapsed < 1.0 + 2
    assert structured_elapsed < 1.0 + 2
    assert len(server.chat_requests) == 2  # no time left in the budget for a retry


def test_request_the_server_refuses_is_not_retried(
    server: FakeOpenAIServer, model: OpenAICompatibleModel
) -> None:
    server.default = lambda body: error_reply(401, "bad key")

    written = write(model)
    with pytest.raises(LanguageModelUnavailable) as structured:
        model.structured("supervisor", "Route.", "p", Route)

    assert written.source == "offline"
    assert written.reason is not None and "HTTP 401" in written.reason
    assert structured.value.cause == "rejected"
    # One write, then one probe per output mode; no retries.
    assert len(server.chat_requests) == 1 + 3


def test_slot_text_that_smuggles_a_figure_is_re_asked_and_every_ask_is_paid_for(
    server: FakeOpenAIServer, model: OpenAICompatibleModel, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="integrations.llm")
    smuggled = "Revenue grew {growth} to {revenue}; expect 20% more next week."
    server.script(completion_reply(smuggled), completion_reply(smuggled))

    written = write(model)

    assert (written.text, written.source) == (OFFLINE_TEXT, "offline")
    assert [{(p.kind, p.found) for p in r.problems} for r in written.refused] == [
        {("digit", "20%"), ("unit", "%")}
    ] * 2
    assert "'20%': a digit outside a slot" in caplog.text
    assert model.meter.total().calls == 2  # the refused texts were still paid for


def test_prose_cut_at_max_tokens_falls_back_to_the_offline_text(
    server: FakeOpenAIServer, model: OpenAICompatibleModel
) -> None:
    server.script(completion_reply("Revenue grew {growth} and", finish_reason="length"))

    written = write(model)

    assert (written.text, written.source) == (OFFLINE_TEXT, "offline")
    assert written.reason == "the reply was cut at max_tokens"


def test_agents_calling_at_once_are_not_serialised_by_the_breaker(
    server: FakeOpenAIServer, model: OpenAICompatibleModel
) -> None:
    server.default = lambda body: completion_reply(GOOD, delay=0.4)
    results: list[str] = []

    def call() -> None:
        results.append(write(model).source)

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
