"""Attacks on the words of an ``ask`` answer, through the real ``openai`` client against the
scripted OpenAI-compatible server over HTTP, with the whole control room behind it.

The planner's structured call comes first (scripted with a valid ``Plans``, or with garbage so
the rules plan), then the finance writer's slot text. Each attack is a text a model could write:
a figure of its own, a true figure put where another belongs, a number word, a unit beside a
slot, a change on a base the facts do not hold, a Slack broadcast. Each is refused and re-asked
once; refused twice, the answer is the offline text. The refused texts are in the run's
``answered`` audit entry, and nothing the model wrote or planned reaches Slack unescaped, in the
blocks or in the notification text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from agents.planner.plans import (
    AnalysisPlan,
    ClarifyPlan,
    DeclinePlan,
    MetricsPlan,
    Plan,
    Plans,
    WinbackWhatIfPlan,
)
from bot.blocks import kit, messages
from controlroom.services import Services, build_services
from controlroom.settings import Settings
from integrations.warehouse import Warehouse
from integrations.warehouse.metrics import DateRange, Filter
from tests.fakes.openai_server import FakeOpenAIServer, Reply, completion_reply
from tests.integration._ask import (
    LAST_WEEK,
    WEEK_BEFORE,
    ask,
    change,
    dollars,
    on_team_day,
    revenue,
    scalar,
    whole,
)
from workflows.ask import Answer

REQUEST = "revenue and AOV last week"
WEEK = DateRange(start=LAST_WEEK[0], end=LAST_WEEK[1])
MODEL_PLAN = MetricsPlan(metrics=("revenue", "aov"), period=WEEK)
CLEAN = (
    "Revenue was {revenue} in {period}, {revenue_change} on {comparison};"
    " the average order was {aov}."
)
BROADCAST = "<!channel>"


@dataclass(frozen=True)
class Week:
    """Last week's revenue and orders and the week before's, from SQL written here."""

    revenue: Decimal
    revenue_before: Decimal
    orders: Decimal
    orders_before: Decimal

    @property
    def aov(self) -> Decimal:
        return self.revenue / self.orders

    @property
    def aov_before(self) -> Decimal:
        return self.revenue_before / self.orders_before


@pytest.fixture
def week(sample_warehouse: Warehouse) -> Week:
    orders = "SELECT count(*) FROM orders WHERE order_date BETWEEN ? AND ?"
    return Week(
        revenue=revenue(sample_warehouse, *LAST_WEEK),
        revenue_before=revenue(sample_warehouse, *WEEK_BEFORE),
        orders=scalar(sample_warehouse, orders, *LAST_WEEK),
        orders_before=scalar(sample_warehouse, orders, *WEEK_BEFORE),
    )


# Each attack's text and the problems the slot check must find in it. ORDERS is last week's
# order count, true, written by hand as if it were revenue ("$1,026 revenue").
ATTACKS: dict[str, tuple[str, set[str]]] = {
    "an invented number": ("Revenue was $94,264 in {period}.", {"digit", "unit"}),
    "a true figure misattributed": ("We made $ORDERS in revenue.", {"digit", "unit"}),
    "a number word": ("Revenue was ninety-four thousand dollars.", {"number_word"}),
    "a wrong unit": ("Revenue was {revenue}; the average order was {aov}%.", {"unit"}),
    "a wrong base": (
        "Revenue was {revenue}, 26.6% above the four-week average.",
        {"digit", "unit", "number_word"},
    ),
    "a Slack broadcast": (f"{BROADCAST} revenue was {{revenue}} in {{period}}.", {"slack"}),
}


def _attack(name: str, week: Week) -> tuple[str, set[str]]:
    text, problems = ATTACKS[name]
    return text.replace("ORDERS", whole(week.orders)), problems


@pytest.fixture
def modelled(
    sample_warehouse: Warehouse,
    ingested_kb: Path,
    server: FakeOpenAIServer,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Services]:
    """The control room with its language model at the scripted server, on the team's day."""
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    built = build_services(Settings())
    try:
        with on_team_day():
            yield built
    finally:
        built.close()


def _plans_reply(*plans: Plan) -> Reply:
    """The planner's structured answer: ``Plans`` as JSON (the server's first output mode)."""
    return completion_reply(Plans(plans=plans).model_dump_json())


def _offline_text(week: Week) -> str:
    return (
        f"• Revenue: {dollars(week.revenue)} ({change(week.revenue, week.revenue_before)} "
        f"vs 9–15 Nov 2026: {dollars(week.revenue_before)})\n"
        f"• Average order value: {dollars(week.aov)} ({change(week.aov, week.aov_before)} "
        f"vs 9–15 Nov 2026: {dollars(week.aov_before)})"
    )


def _recorded_parts(services: Services, answer: Answer) -> list[dict[str, Any]]:
    """The parts of the run's ``answered`` audit entry."""
    (entry,) = [
        e for e in services.state.audit_entries(run_id=answer.run_id) if e.action == "answered"
    ]
    parts: list[dict[str, Any]] = entry.detail["parts"]
    return parts


def _assert_nothing_broadcast(answer: Answer) -> None:
    """Neither the blocks nor the notification text carries a Slack special unescaped."""
    blocks = json.dumps(messages.answer_blocks(answer), ensure_ascii=False)
    notification = kit.fallback_text(answer.text)
    assert BROADCAST not in blocks
    assert BROADCAST not in notification
    assert "<!" not in notification and "<@" not in notification


@pytest.mark.parametrize("attack", ATTACKS)
def test_an_attack_written_twice_is_refused_and_the_answer_is_the_offline_text(
    modelled: Services, server: FakeOpenAIServer, week: Week, attack: str
) -> None:
    text, problems = _attack(attack, week)
    server.script(_plans_reply(MODEL_PLAN), completion_reply(text), completion_reply(text))

    answer = ask(modelled, REQUEST)

    assert answer.planned_by == "model"
    (part,) = answer.parts
    assert part.plan == MODEL_PLAN
    assert (part.written_by, part.text) == ("offline", _offline_text(week))
    assert [r.text for r in part.refused] == [text, text]
    assert problems <= {p.kind for p in part.refused[0].problems}
    assert len(server.chat_requests) == 3  # the plan, the text, the one re-ask
    (recorded,) = _recorded_parts(modelled, answer)
    assert recorded["written_by"] == "offline"
    assert [r["text"] for r in recorded["refused"]] == [text, text]
    assert all(r["problems"] for r in recorded["refused"])
    refusals = [
        e.detail["agent"]
        for e in modelled.state.audit_entries(run_id=answer.run_id)
        if e.action == "model_reply_refused"
    ]
    assert refusals == ["finance"]
    assert modelled.state.get_run(answer.run_id).status == "succeeded"
    _assert_nothing_broadcast(answer)


@pytest.mark.parametrize("attack", ATTACKS)
def test_an_attack_then_a_clean_text_uses_the_re_asked_text_with_code_rendered_figures(
    modelled: Services, server: FakeOpenAIServer, week: Week, attack: str
) -> None:
    text, _ = _attack(attack, week)
    # Garbage for the plan: the rules plan the request, then the writer attacks once.
    server.script(
        completion_reply("Sure, finance."), completion_reply(text), completion_reply(CLEAN)
    )

    answer = ask(modelled, REQUEST)

    assert answer.planned_by == "rules"
    (part,) = answer.parts
    assert part.plan == MODEL_PLAN
    assert part.written_by == "model"
    assert part.text == (
        f"Revenue was {dollars(week.revenue)} in 16–22 Nov 2026, "
        f"{change(week.revenue, week.revenue_before)} on 9–15 Nov 2026;"
        f" the average order was {dollars(week.aov)}."
    )
    assert [r.text for r in part.refused] == [text]
    reask = server.chat_requests[2]["messages"][1]["content"]
    assert text in reask and "Your previous text was refused" in reask
    (recorded,) = _recorded_parts(modelled, answer)
    assert (recorded["written_by"], [r["text"] for r in recorded["refused"]]) == ("model", [text])
    _assert_nothing_broadcast(answer)


# What the model plans is shown too: the words it put in a plan are escaped like the rest.
PLANS_WITH_A_BROADCAST: dict[str, Plan] = {
    "a question back": ClarifyPlan(question=f"{BROADCAST} which week do you mean?"),
    "a refusal": DeclinePlan(reason=f"{BROADCAST} I do not book rooms."),
    "a filter value": MetricsPlan(
        metrics=("revenue",),
        period=WEEK,
        filters=(Filter(dimension="channel", values=(BROADCAST,)),),
    ),
    "a what-if segment": WinbackWhatIfPlan(discount=0.2, segment=BROADCAST),
    "an analysis segment": AnalysisPlan(analysis="segments", segment=BROADCAST),
}


@pytest.mark.parametrize("case", PLANS_WITH_A_BROADCAST)
def test_a_broadcast_in_a_model_plan_is_escaped_in_the_blocks_and_the_notification(
    modelled: Services, server: FakeOpenAIServer, case: str
) -> None:
    server.script(_plans_reply(PLANS_WITH_A_BROADCAST[case]))

    answer = ask(modelled, "anything")

    assert answer.planned_by == "model"
    assert [part.plan for part in answer.parts] == [PLANS_WITH_A_BROADCAST[case]]
    _assert_nothing_broadcast(answer)
    assert "&lt;!channel&gt;" in answer.text  # shown, as the words it is
