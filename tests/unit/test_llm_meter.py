"""The cost meter: tokens and dollars per run, at each agent's prices, from many threads."""

from __future__ import annotations

import threading

import pytest

from integrations.llm import Cost, CostMeter, format_usd
from integrations.llm.meter import cost_of
from policies.schema import ModelChoice

GPT_4O = ModelChoice(
    model="gpt-4o",
    temperature=0.3,
    max_tokens=900,
    usd_per_1k_input_tokens=0.0025,
    usd_per_1k_output_tokens=0.01,
)
GPT_4O_MINI = ModelChoice(
    model="gpt-4o-mini",
    temperature=0.2,
    max_tokens=700,
    usd_per_1k_input_tokens=0.00015,
    usd_per_1k_output_tokens=0.0006,
)


def test_a_call_costs_its_tokens_at_the_agents_prices_per_thousand() -> None:
    cost = cost_of(GPT_4O, input_tokens=1_200, output_tokens=300)
    assert (cost.calls, cost.input_tokens, cost.output_tokens) == (1, 1_200, 300)
    assert cost.usd == pytest.approx(1.2 * 0.0025 + 0.3 * 0.01)


def test_the_meter_adds_up_per_agent_and_for_the_whole_run() -> None:
    meter = CostMeter()
    meter.record("insights", GPT_4O, 1_000, 200)
    meter.record("insights", GPT_4O, 500, 100)
    meter.record("finance", GPT_4O_MINI, 2_000, 400)

    by_agent = meter.by_agent()
    assert by_agent["insights"].calls == 2
    assert by_agent["insights"].usd == pytest.approx(1.5 * 0.0025 + 0.3 * 0.01)
    assert by_agent["finance"].usd == pytest.approx(2 * 0.00015 + 0.4 * 0.0006)
    total = meter.total()
    assert (total.calls, total.input_tokens, total.output_tokens) == (3, 3_500, 700)
    assert total.usd == pytest.approx(by_agent["insights"].usd + by_agent["finance"].usd)


def test_the_meter_loses_no_call_when_agents_record_from_many_threads() -> None:
    meter = CostMeter()

    def record_many(agent: str) -> None:
        for _ in range(500):
            meter.record(agent, GPT_4O_MINI, 10, 1)

    threads = [threading.Thread(target=record_many, args=(agent,)) for agent in ["a", "b"] * 4]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    total = meter.total()
    assert (total.calls, total.input_tokens, total.output_tokens) == (4_000, 40_000, 4_000)


@pytest.mark.parametrize(
    ("usd", "shown"),
    [
        (0.0, "$0.00"),
        (0.0004, "<$0.001"),
        (0.004, "$0.004"),
        (0.0042, "$0.004"),
        (0.12, "$0.12"),
        (3.4, "$3.40"),
        (1234.5, "$1,234.50"),
    ],
)
def test_dollars_are_shown_the_way_a_slack_reader_expects(usd: float, shown: str) -> None:
    assert format_usd(usd) == shown


def test_a_run_cost_reads_as_one_line() -> None:
    cost = Cost(calls=3, input_tokens=1_234, output_tokens=321, usd=0.004)
    assert cost.describe() == "$0.004 (1,234 tokens in, 321 out, 3 calls)"
