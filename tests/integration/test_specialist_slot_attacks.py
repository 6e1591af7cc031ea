"""The specialists' own prose through slots, attacked through the real ``openai`` client against
the scripted OpenAI-compatible server over HTTP: the finance section, the marketing channel
summary, campaign copy and the insights report.

Each attack is a text a model could write: a figure of its own ("revenue was $94,264", "30% off"
in copy no offer was given for), a number word ("doubled"), a unit written beside a slot. Each is
refused and re-asked once; refused twice, the report is the offline text, word for word, and says
``written_by="offline"``. A clean slot text is used, with every figure rendered by code and
checked here against SQL written for the test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

import prompts
from agents.finance.agent import FinanceAgent
from agents.insights.agent import InsightsAgent
from agents.marketing.agent import MarketingAgent
from agents.specialist import Report
from integrations.llm import LanguageModel, OfflineWriter, OpenAICompatibleModel
from integrations.warehouse import Warehouse
from policies import load_policies
from tests.fakes.openai_server import FakeOpenAIServer, completion_reply
from tests.integration._ask import LAST_WEEK, WEEK_BEFORE, change, dollars, revenue, scalar, whole

PROMPTS = prompts.load_prompts(Path(prompts.__file__).parent)
POLICIES = load_policies(Path(prompts.__file__).parent.parent / "policies")
THEME = "rain & wind shells"
COPY_REQUEST = f"short instagram caption for {THEME}"

Write = Callable[[Warehouse, LanguageModel], Report]


def _finance(warehouse: Warehouse, model: LanguageModel) -> Report:
    agent = FinanceAgent(warehouse=warehouse, model=model, prompts=PROMPTS["finance"])
    return agent.weekly_section()


def _marketing(warehouse: Warehouse, model: LanguageModel) -> MarketingAgent:
    return MarketingAgent(warehouse=warehouse, model=model, prompts=PROMPTS["marketing"])


def _channels(warehouse: Warehouse, model: LanguageModel) -> Report:
    return _marketing(warehouse, model).weekly_section()


def _copy(warehouse: Warehouse, model: LanguageModel) -> Report:
    return _marketing(warehouse, model).copy("instagram_caption", THEME, COPY_REQUEST)


def _insights(warehouse: Warehouse, model: LanguageModel) -> Report:
    agent = InsightsAgent(
        warehouse=warehouse, model=model, prompts=PROMPTS["insights"], policy=POLICIES.rfm
    )
    return agent.report(["segments", "churn", "cohorts"])


@dataclass(frozen=True)
class Case:
    """A specialist's text: how to write it, a slot it may cite, and its own-figure attack."""

    write: Write
    agent: str
    slot: str
    own_figure: str


CASES = {
    "the finance section": Case(_finance, "finance", "revenue", "Revenue was $94,264."),
    "the marketing summary": Case(
        _channels, "marketing", "channel_email_revenue", "Email revenue was $94,264."
    ),
    # Copy has no figures of its own: no offer was given, so "30% off" is invented.
    "a copy request": Case(_copy, "marketing", "theme", "{theme_title}: 30% off everything."),
    "the insights report": Case(_insights, "insights", "customers", "We have 5,000 customers."),
}


ATTACKS = ("a figure of its own", "a number word", "a unit beside a slot")
# What the re-ask tells the model about each attack (the slot check's own words).
WHY = {
    "a figure of its own": "a digit outside a slot",
    "a number word": "a number word",
    "a unit beside a slot": "a unit or sign written by hand",
}
MINUS = "\u2212"


def _attack(case: Case, attack: str) -> str:
    """The text of ``attack`` on ``case``'s specialist."""
    if attack == "a figure of its own":
        return case.own_figure
    if attack == "a number word":
        return f"{{{case.slot}}} doubled on the week before."
    return f"Up {{{case.slot}}}% this week."


@pytest.mark.parametrize("attack", ATTACKS)
@pytest.mark.parametrize("case", CASES)
def test_an_attack_written_twice_is_refused_and_the_report_is_the_offline_text(
    sample_warehouse: Warehouse,
    server: FakeOpenAIServer,
    model: OpenAICompatibleModel,
    case: str,
    attack: str,
) -> None:
    chosen = CASES[case]
    text = _attack(chosen, attack)
    server.script(completion_reply(text), completion_reply(text))

    report = chosen.write(sample_warehouse, model)

    offline = chosen.write(sample_warehouse, OfflineWriter())
    assert (report.written_by, report.text) == ("offline", offline.text)
    first, reask = server.chat_requests  # the text and one re-ask, no more
    assert "never write one yourself" in first["messages"][0]["content"]
    assert f"- {{{chosen.slot}}}: " in first["messages"][1]["content"]
    asked_again = reask["messages"][1]["content"]
    assert "Your previous text was refused" in asked_again and text in asked_again
    assert WHY[attack] in asked_again
    (fallback,) = model.meter.fallbacks()
    assert (fallback.agent, fallback.kind) == (chosen.agent, "refused")
    assert fallback.reason == "the model's text broke the slot rules twice"


@pytest.mark.parametrize("case", CASES)
def test_an_attack_then_a_clean_slot_text_uses_the_model_text(
    sample_warehouse: Warehouse, server: FakeOpenAIServer, model: OpenAICompatibleModel, case: str
) -> None:
    chosen = CASES[case]
    clean = f"Worth a look: {{{chosen.slot}}}."
    server.script(completion_reply(chosen.own_figure), completion_reply(clean))

    report = chosen.write(sample_warehouse, model)

    assert report.written_by == "model"
    assert report.text.startswith("Worth a look: ") and "{" not in report.text
    assert len(server.chat_requests) == 2
    assert model.meter.fallbacks() == ()


def test_the_finance_sections_slot_text_is_rendered_with_the_warehouses_figures(
    sample_warehouse: Warehouse, server: FakeOpenAIServer, model: OpenAICompatibleModel
) -> None:
    server.script(
        completion_reply(
            "Revenue was {revenue} in {week}, {revenue_change} on the week before, from "
            "{orders} orders; repeat rate moved {repeat_rate_change}."
        )
    )

    report = _finance(sample_warehouse, model)

    now, before = revenue(sample_warehouse, *LAST_WEEK), revenue(sample_warehouse, *WEEK_BEFORE)
    orders = scalar(
        sample_warehouse, "SELECT count(*) FROM orders WHERE order_date BETWEEN ? AND ?", *LAST_WEEK
    )
    repeat = report.facts["repeat_rate"]
    points = (repeat["value"] - repeat["previous"]) * 100
    assert report.written_by == "model"
    assert report.text == (
        f"Revenue was {dollars(now)} in the week of 16 Nov 2026, {change(now, before)} on the "
        f"week before, from {whole(orders)} orders; repeat rate moved "
        f"{'+' if points > 0 else MINUS}{abs(points):.1f} pp."
    )


def test_the_marketing_summarys_slot_text_is_rendered_with_each_channels_figures(
    sample_warehouse: Warehouse, server: FakeOpenAIServer, model: OpenAICompatibleModel
) -> None:
    server.script(
        completion_reply(
            "{channel_email_name} brought {channel_email_revenue} from {channel_email_orders} "
            "orders; {best_channel} had the best return."
        )
    )

    report = _channels(sample_warehouse, model)

    orders = scalar(
        sample_warehouse,
        "SELECT count(*) FROM orders WHERE order_date BETWEEN ? AND ? AND channel = 'email'",
        *LAST_WEEK,
    )
    best = max(
        (c for c in report.facts["channels"].items() if c[1]["roas"] is not None),
        key=lambda item: item[1]["roas"],
    )[0]
    assert report.written_by == "model"
    assert report.text == (
        f"Email brought {dollars(revenue(sample_warehouse, *LAST_WEEK, 'email'))} from "
        f"{whole(orders)} orders; {best.replace('_', ' ')} had the best return."
    )


def test_copy_is_plain_text_with_the_theme_as_asked(
    sample_warehouse: Warehouse, server: FakeOpenAIServer, model: OpenAICompatibleModel
) -> None:
    server.script(completion_reply("{theme_title} are in at {brand}. #{hashtag}"))

    report = _copy(sample_warehouse, model)

    # Plain text: ``ask`` and the digest escape it where they show it.
    assert (report.written_by, report.text) == (
        "model",
        "Rain & wind shells are in at Two Peaks. #RainWind",
    )
    (sent,) = server.chat_requests
    assert sent["messages"][1]["content"].startswith(f"Request from the team: {COPY_REQUEST}")


def test_the_insights_reports_slot_text_is_rendered_with_the_tools_figures(
    sample_warehouse: Warehouse, server: FakeOpenAIServer, model: OpenAICompatibleModel
) -> None:
    server.script(
        completion_reply(
            "{customers} customers as of now; {churn_at_risk} of the {churn_recent_customers} "
            "recent ones are at risk ({churn_model} model)."
        )
    )

    report = _insights(sample_warehouse, model)

    customers = scalar(
        sample_warehouse,
        "SELECT count(DISTINCT customer_id) FROM orders WHERE order_date <= ?",
        LAST_WEEK[1],
    )
    churn = report.facts["churn"]
    assert report.written_by == "model"
    assert report.text == (
        f"{whole(customers)} customers as of now; {whole(churn['at_risk_customers'])} of the "
        f"{whole(churn['recent_customers'])} recent ones are at risk (MBG/NBD model)."
    )
