"""The specialists on the sample company: correct figures, prose through slots, model or offline."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

import prompts
from agents.finance.agent import FinanceAgent
from agents.finance.kpis import weekly_kpis
from agents.marketing.agent import MarketingAgent
from integrations.llm import OfflineWriter, OpenAICompatibleModel, check_figures
from integrations.warehouse import Warehouse
from tests.fakes.openai_server import (
    FAST_RETRY,
    FakeOpenAIServer,
    completion_reply,
    connect_model,
)

PROMPTS = prompts.load_prompts(Path(prompts.__file__).parent)


def _finance(warehouse: Warehouse, model=None) -> FinanceAgent:
    return FinanceAgent(
        warehouse=warehouse, model=model or OfflineWriter(), prompts=PROMPTS["finance"]
    )


def _marketing(warehouse: Warehouse, model=None) -> MarketingAgent:
    return MarketingAgent(
        warehouse=warehouse, model=model or OfflineWriter(), prompts=PROMPTS["marketing"]
    )


def test_finance_reports_last_weeks_revenue_as_the_warehouse_counts_it(
    sample_warehouse: Warehouse,
) -> None:
    report = _finance(sample_warehouse).weekly_section()
    with sample_warehouse.connect() as connection:
        (revenue, orders), *_ = connection.execute(
            "SELECT sum(amount)::DOUBLE, count(*) FROM orders "
            "WHERE order_date BETWEEN '2026-11-16' AND '2026-11-22'"
        ).fetchall()
    assert report.title == "Finance — week of 16 Nov 2026"
    assert f"Revenue was ${revenue:,.0f}" in report.text
    assert f"from {orders:,} orders" in report.text
    assert report.written_by == "offline"
    assert check_figures(report.text, report.facts).passed
    assert report.charts[0].png.startswith(b"\x89PNG")


def test_marketing_lists_every_channel_with_roas_from_finances_definition(
    sample_warehouse: Warehouse,
) -> None:
    report = _marketing(sample_warehouse).weekly_section()
    with sample_warehouse.connect() as connection:
        kpis = weekly_kpis(connection)
    email = next(channel for channel in kpis.channels if channel.channel == "email")
    assert f"• Email: ${email.attributed_revenue.value:,.0f}" in report.text
    assert f"ROAS {email.roas.value:,.1f}×" in report.text
    assert "Best return on spend:" in report.text
    assert check_figures(report.text, report.facts).passed


def test_marketing_writes_copy_for_the_theme_it_was_asked_about(
    sample_warehouse: Warehouse,
) -> None:
    report = _marketing(sample_warehouse).copy(
        "subject_lines", "the fall boot sale", "write subject lines for the fall boot sale"
    )
    assert report.title == "Marketing — subject lines for the fall boot sale"
    assert report.text.count("• ") == 3
    assert "• The fall boot sale: gear up for your next trail" in report.text


@pytest.fixture
def model() -> Iterator[tuple[FakeOpenAIServer, OpenAICompatibleModel]]:
    with FakeOpenAIServer() as server:
        client = connect_model(server, retry=replace(FAST_RETRY, attempts=1))
        yield server, client
        client.close()


def test_model_slot_text_is_rendered_with_the_facts_kept_and_metered(
    sample_warehouse: Warehouse, model: tuple[FakeOpenAIServer, OpenAICompatibleModel]
) -> None:
    server, client = model
    with sample_warehouse.connect() as connection:
        revenue = weekly_kpis(connection).revenue.value
    server.script(completion_reply("A strong week: revenue reached {revenue}."))
    report = _finance(sample_warehouse, client).weekly_section()
    assert report.written_by == "model"
    assert report.text == f"A strong week: revenue reached ${revenue:,.0f}."
    assert client.meter.total().calls == 1
    (sent,) = server.chat_requests
    assert sent["model"] == "gpt-4o-mini"


def test_model_prose_with_an_invented_figure_twice_is_replaced_by_the_offline_text(
    sample_warehouse: Warehouse, model: tuple[FakeOpenAIServer, OpenAICompatibleModel]
) -> None:
    server, client = model
    invented = completion_reply("Email revenue grew 73% to $999,999 last week.")
    server.script(invented, invented)  # the text, and the same text when re-asked
    report = _marketing(sample_warehouse, client).weekly_section()
    assert report.written_by == "offline"
    assert report.text == _marketing(sample_warehouse).weekly_section().text
    assert len(server.chat_requests) == 2
