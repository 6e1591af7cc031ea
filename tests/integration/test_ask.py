"""`controlroom ask` end to end: the supervisor over the real specialists, recorded as a run."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from controlroom.cli import app
from controlroom.services import Services, ready_knowledge_base
from controlroom.team import team_factory
from integrations.warehouse import Warehouse
from workflows.ask import answer_request

runner = CliRunner()


@pytest.fixture
def control_room(sample_warehouse: Warehouse, ingested_kb: Path, services: Services) -> Services:
    """Services over the sample company and the ingested help centre, in this test's var/."""
    return services


def _ask(services: Services, request: str):
    return answer_request(
        request,
        state=services.state,
        model=services.llm,
        team=team_factory(services, ready_knowledge_base(services)),
        prompts=services.prompts["supervisor"],
        started_by="U0APPROVER",
        trigger="command",
    )


def test_a_churn_question_is_answered_with_figures_and_recorded_as_a_run(
    control_room: Services,
) -> None:
    result = _ask(control_room, "who is at risk of churning?")
    assert result.agents == ("insights",)
    assert result.routed_by == "rules"
    assert "likely to still be buying (MBG/NBD model)" in result.text
    (report,) = result.reports
    churn = report.facts["churn"]
    assert f"{churn['at_risk_customers']:,} of the {churn['recent_customers']:,}" in result.text
    run = control_room.state.get_run(result.run_id)
    assert (run.workflow, run.status, run.started_by, run.trigger) == (
        "ask",
        "succeeded",
        "U0APPROVER",
        "command",
    )
    assert run.cost_usd == 0.0


def test_a_customer_question_goes_to_support_with_its_source(control_room: Services) -> None:
    result = _ask(control_room, "do gift cards expire?")
    assert result.agents == ("support",)
    assert "/help/payments/gift-cards#" in result.text
    assert "Confidence" in result.text


def test_a_two_part_question_gets_both_specialists_in_one_answer(
    control_room: Services,
) -> None:
    result = _ask(control_room, "weekly KPIs and how did email do last week?")
    assert result.agents == ("marketing", "finance")
    assert result.text.index("*Marketing") < result.text.index("*Finance")


def test_the_cli_answers_and_says_who_answered(control_room: Services) -> None:
    result = runner.invoke(app, ["ask", "what's our return window?"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Routed to support by rules" in result.output
    assert "offline writer, no cost" in result.output


def test_the_cli_before_seeding_says_to_seed(ingested_kb: Path) -> None:
    result = runner.invoke(app, ["ask", "weekly kpis"], env={"COLUMNS": "200"})
    assert result.exit_code == 1
    assert "run `controlroom data seed` first" in result.output
    assert "Traceback" not in result.output
