"""A run's status tells the truth: a digest or an answer missing a part is "partial", one with
nothing to give is "failed", the reason names what is missing, and the CLI exits accordingly.

An ``ask`` part is made unavailable the way it happens in life: a table its SQL reads is broken
(``support_tickets`` loses a column), so the tickets figure fails and nothing else does."""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import pytest
from typer.testing import CliRunner

from agents.specialist import Report, Specialist, SpecialistAgent
from bot.blocks.home import runs_blocks
from controlroom import team as team_module
from controlroom.cli import app
from controlroom.services import Services
from integrations.llm import LanguageModel, OfflineWriter
from integrations.statestore import StateStore
from integrations.warehouse import Warehouse
from tests.integration._ask import ask, on_team_day
from workflows.control_room import read_control_room
from workflows.runtime import recorded_run
from workflows.weekly_gtm import run_weekly_gtm

runner = CliRunner()
WIDE = {"COLUMNS": "250"}

# What `support_tickets` lacks once its column is renamed: support's queries fail, nobody else's.
TICKETS_BROKEN = 'does not have a column named "created_at"'


class _Raising:
    """A specialist whose every answer raises."""

    def __init__(self, name: Specialist) -> None:
        self.name: Specialist = name
        self.job = "fails"

    def answer(self, request: str) -> Report:
        raise RuntimeError(f"{self.name} is down")

    def warm_up(self) -> None:
        """Nothing to load."""

    def weekly_section(self) -> Report:
        raise RuntimeError(f"{self.name} is down")


def _all_raising(model: LanguageModel) -> Mapping[Specialist, SpecialistAgent]:
    return {name: _Raising(name) for name in ("marketing", "finance", "insights", "support")}


def _break_support_tickets(warehouse: Warehouse) -> None:
    with duckdb.connect(str(warehouse.path)) as connection:
        connection.execute("ALTER TABLE support_tickets RENAME COLUMN created_at TO opened_at")


def test_a_recorded_run_that_degrades_ends_partial_with_every_reason(store: StateStore) -> None:
    with recorded_run(
        store, "weekly_gtm", model=OfflineWriter(), started_by="U1", trigger="cli"
    ) as run:
        run.degrade("finance unavailable (RuntimeError: boom\n  LINE 2: SELECT)")
        run.degrade("digest rows not written")

    record = store.get_run(run.run_id)
    assert record.status == "partial"
    assert record.error == (
        "finance unavailable (RuntimeError: boom LINE 2: SELECT); digest rows not written"
    )
    assert record.finished_at is not None


def test_a_recorded_run_that_fails_without_raising_ends_failed(store: StateStore) -> None:
    with recorded_run(store, "ask", model=OfflineWriter(), started_by="U1", trigger="cli") as run:
        run.degrade("one part missing")
        run.fail("nothing could be written")

    record = store.get_run(run.run_id)
    assert (record.status, record.error) == ("failed", "nothing could be written")


def test_a_recorded_run_writes_each_model_fallback_to_its_audit_log(store: StateStore) -> None:
    with recorded_run(store, "ask", model=OfflineWriter(), started_by="U1", trigger="cli") as run:
        run.model.meter.record_fallback("supervisor", "refused", "not a valid RoutingChoice")
        run.model.meter.record_fallback("finance", "unavailable", "timed out")

    entries = store.audit_entries(run_id=run.run_id)
    assert [(e.action, e.actor, e.detail) for e in entries] == [
        (
            "model_reply_refused",
            "controlroom",
            {"agent": "supervisor", "reason": "not a valid RoutingChoice"},
        ),
        ("model_unavailable", "controlroom", {"agent": "finance", "reason": "timed out"}),
    ]
    # The answer was complete: the fallbacks alone do not make the run partial.
    assert store.get_run(run.run_id).status == "succeeded"


def test_a_digest_with_every_section_unavailable_is_a_failed_run_naming_each_one(
    sample_warehouse: Warehouse, services: Services
) -> None:
    digest = run_weekly_gtm(
        state=services.state,
        model=services.llm,
        team=_all_raising,
        database_url=services.settings.effective_database_url,
        charts_dir=services.settings.var_dir / "charts",
        started_by="U0MARKETER",
        trigger="command",
    )

    assert [u.section for u in digest.unavailable] == [
        "marketing",
        "finance",
        "insights",
        "support",
    ]
    run = services.state.get_run(digest.run_id)
    assert run.status == "failed"
    assert run.error == (
        "every section unavailable: marketing (RuntimeError: marketing is down); "
        "finance (RuntimeError: finance is down); insights (RuntimeError: insights is down); "
        "support (RuntimeError: support is down)"
    )


def test_run_weekly_gtm_with_a_broken_table_is_partial_exits_3_and_is_listed_so(
    sample_warehouse: Warehouse, services: Services
) -> None:
    _break_support_tickets(sample_warehouse)

    result = runner.invoke(app, ["run", "weekly-gtm"], env=WIDE)

    assert result.exit_code == 3, result.output
    assert "# Weekly GTM digest — week of 16 Nov 2026" in result.output
    assert "- Support: unavailable (BinderException" in result.output
    assert "run partial: 1 of 4 sections unavailable: support (BinderException" in result.output
    assert "Traceback" not in result.output
    (run,) = services.state.recent_runs(5)
    assert (run.workflow, run.status) == ("weekly_gtm", "partial")
    assert run.error is not None and run.error.startswith("1 of 4 sections unavailable: support")
    assert TICKETS_BROKEN in run.error

    listed = runner.invoke(app, ["runs", "list"], env=WIDE)
    assert listed.exit_code == 0, listed.output
    (line,) = [row for row in listed.output.splitlines() if run.run_id[:8] in row]
    assert "weekly_gtm" in line and "partial" in line

    shown = runner.invoke(app, ["runs", "show", run.run_id[:8]], env=WIDE)
    assert shown.exit_code == 0, shown.output
    assert "status      partial" in shown.output
    assert "reason      1 of 4 sections unavailable: support (BinderException" in shown.output
    assert "section_unavailable" in shown.output

    # App Home still shows the partial digest's figures, and the run with its warning.
    room = read_control_room(services.state, services.settings.effective_database_url)
    assert room.digest is not None and room.digest.run.run_id == run.run_id
    (recent,) = runs_blocks(room.recent)[1:]
    text = recent["text"]["text"]
    assert f":warning: `{run.run_id[:8]}` *weekly_gtm* partial" in text
    assert f"\n      why: `controlroom runs show {run.run_id[:8]}`" in text
    assert "BinderException" not in text  # exception text stays in the run log


def test_run_weekly_gtm_with_no_section_available_exits_1_with_the_digest_printed(
    sample_warehouse: Warehouse, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The composition root's team, with every specialist failing (the graphs take factories;
    # the command imports the factory when it runs).
    monkeypatch.setattr(team_module, "team_factory", lambda built, kb: _all_raising)

    result = runner.invoke(app, ["run", "weekly-gtm"], env=WIDE)

    assert result.exit_code == 1, result.output
    assert "- Finance: unavailable (RuntimeError: finance is down)" in result.output
    assert "run failed: every section unavailable: marketing (RuntimeError" in result.output
    (run,) = services.state.recent_runs(5)
    assert run.status == "failed"


def test_an_answer_missing_one_part_is_partial_and_missing_all_is_failed(
    sample_warehouse: Warehouse, ingested_kb: object, services: Services
) -> None:
    _break_support_tickets(sample_warehouse)

    with on_team_day():
        both = ask(
            services, "how many support tickets last week, and what would a 20% win-back return?"
        )
        alone = ask(services, "how many support tickets did we get last week?")

    assert [(p.plan.kind, p.status) for p in both.parts] == [
        ("metrics", "unavailable"),
        ("winback_what_if", "ok"),
    ]
    assert both.parts[0].text == "This part could not be answered right now."
    partial = services.state.get_run(both.run_id)
    assert partial.status == "partial"
    assert partial.error is not None
    assert partial.error.startswith("1 of 2 parts unavailable: metrics (BinderException")
    assert 'column named "created_at"' in partial.error
    failed = services.state.get_run(alone.run_id)
    assert failed.status == "failed"
    assert failed.error is not None
    assert failed.error.startswith("no part could be answered: metrics (BinderException")
    (answered,) = [
        e for e in services.state.audit_entries(run_id=both.run_id) if e.action == "answered"
    ]
    assert [(p["kind"], p["status"]) for p in answered.detail["parts"]] == [
        ("metrics", "unavailable"),
        ("winback_what_if", "ok"),
    ]


def test_controlroom_ask_exits_3_when_a_part_it_needed_was_unavailable(
    sample_warehouse: Warehouse, ingested_kb: object, services: Services
) -> None:
    _break_support_tickets(sample_warehouse)

    with on_team_day():
        partial = runner.invoke(
            app,
            ["ask", "how many support tickets last week, and what would a 20% win-back return?"],
            env=WIDE,
        )
        failed = runner.invoke(
            app, ["ask", "how many support tickets did we get last week?"], env=WIDE
        )

    assert partial.exit_code == 3, partial.output
    assert "Win-back what-if · policy segments · 20% off" in partial.output
    assert "This part could not be answered right now." in partial.output
    assert "run partial: 1 of 2 parts unavailable: metrics (BinderException" in partial.output
    assert failed.exit_code == 1, failed.output
    assert "run failed: no part could be answered: metrics (BinderException" in failed.output
    assert "Traceback" not in partial.output + failed.output
    statuses = [run.status for run in services.state.recent_runs(5, workflow="ask")]
    assert statuses == ["failed", "partial"]
