"""The weekly digest's rows in Google Sheets (real gspread against the fake Sheets API), and
`controlroom run weekly-gtm` / `controlroom runs list|show` from the terminal."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import gspread
import pytest
import typer
from typer.testing import CliRunner

from controlroom.cli import run, runs
from controlroom.services import Services
from controlroom.team import team_factory
from integrations.sheets import SheetsUnavailableError
from integrations.sheets.google import GoogleDigestSheet
from integrations.warehouse import Warehouse
from tests.fakes.sheets_server import FakeSheetsServer
from workflows.digest import Digest, Kpi
from workflows.digest_render import SHEET_HEADER
from workflows.weekly_gtm import run_weekly_gtm

SPREADSHEET_ID = "1TwoPeaksDigestFakeSheetId0123456789abcdef"
runner = CliRunner()


def _digest(run_id: str) -> Digest:
    revenue = Kpi(
        name="revenue",
        label="Revenue",
        unit="money",
        value=94263.59,
        previous=69877.84,
        change_ratio=0.349,
    )
    return Digest(run_id=run_id, week_start=date(2026, 11, 16), week_end=None, headline=[revenue])


def test_digest_rows_go_to_a_new_worksheet_with_a_header_then_below_it(
    fake_sheets: FakeSheetsServer, sheets_client: gspread.Client
) -> None:
    fake_sheets.add_spreadsheet(SPREADSHEET_ID, {"Notes": [["hello"]]})
    sheet = GoogleDigestSheet(sheets_client, SPREADSHEET_ID)
    from workflows.digest_render import digest_rows

    assert sheet.append_rows(SHEET_HEADER, digest_rows(_digest("run-1"))) == 1
    assert sheet.append_rows(SHEET_HEADER, digest_rows(_digest("run-2"))) == 1

    assert fake_sheets.spreadsheets[SPREADSHEET_ID].worksheets["Weekly digest"] == [
        list(SHEET_HEADER),
        ["2026-11-16", "kpi", "revenue", "94263.59", "69877.84", "0.349", "run-1"],
        ["2026-11-16", "kpi", "revenue", "94263.59", "69877.84", "0.349", "run-2"],
    ]
    posts = [r.split("?")[0] for r in fake_sheets.received if r.startswith("POST")]
    assert posts == [
        f"POST /v4/spreadsheets/{SPREADSHEET_ID}:batchUpdate",
        f"POST /v4/spreadsheets/{SPREADSHEET_ID}/values/%27Weekly%20digest%27:append",
        f"POST /v4/spreadsheets/{SPREADSHEET_ID}/values/%27Weekly%20digest%27:append",
    ]


def test_a_spreadsheet_not_shared_with_the_service_account_is_reported_in_words(
    fake_sheets: FakeSheetsServer, sheets_client: gspread.Client
) -> None:
    fake_sheets.add_spreadsheet(SPREADSHEET_ID, {}, shared=False)

    with pytest.raises(SheetsUnavailableError, match="permission denied"):
        GoogleDigestSheet(sheets_client, SPREADSHEET_ID).append_rows(SHEET_HEADER, [])


def test_the_weekly_run_appends_its_kpi_rows_and_survives_a_missing_spreadsheet(
    sample_warehouse: Warehouse,
    services: Services,
    fake_sheets: FakeSheetsServer,
    sheets_client: gspread.Client,
) -> None:
    fake_sheets.add_spreadsheet(SPREADSHEET_ID, {"Weekly digest": [list(SHEET_HEADER)]})
    real = team_factory(services, None)
    options = {
        "state": services.state,
        "model": services.llm,
        "team": lambda model: {"marketing": real(model)["marketing"]},
        "database_url": services.settings.effective_database_url,
        "charts_dir": services.settings.var_dir / "charts",
        "started_by": "scheduler",
        "trigger": "schedule",
    }

    digest = run_weekly_gtm(sheet=GoogleDigestSheet(sheets_client, SPREADSHEET_ID), **options)
    missing = run_weekly_gtm(sheet=GoogleDigestSheet(sheets_client, "no-such-sheet"), **options)

    rows = fake_sheets.spreadsheets[SPREADSHEET_ID].worksheets["Weekly digest"]
    assert rows[0] == list(SHEET_HEADER)
    assert len(rows) == 1 + 3 * len(digest.channels)
    assert {row[6] for row in rows[1:]} == {digest.run_id}
    # Only marketing in the team, and no spreadsheet: partial, saying both.
    run = services.state.get_run(missing.run_id)
    assert run.status == "partial"
    assert run.error is not None
    assert run.error.startswith("3 of 4 sections unavailable: finance (no finance specialist")
    assert "digest rows not written to the spreadsheet" in run.error
    actions = [e.action for e in services.state.audit_entries(run_id=missing.run_id)]
    assert "sheet_unavailable" in actions


@pytest.fixture
def cli() -> typer.Typer:
    """`controlroom run` and `controlroom runs` as the main app will register them."""
    app = typer.Typer()
    app.add_typer(run.app, name="run")
    app.add_typer(runs.app, name="runs")
    return app


def test_run_weekly_gtm_prints_the_digest_and_writes_its_charts(
    sample_warehouse: Warehouse, cli: typer.Typer, tmp_path: Path
) -> None:
    result = runner.invoke(cli, ["run", "weekly-gtm", "--charts", str(tmp_path / "charts")])

    assert result.exit_code == 0, result.output
    assert "# Weekly GTM digest — week of 16 Nov 2026" in result.output
    assert "## Recommended actions" in result.output
    assert "customers moved into At Risk — start a win-back for the At Risk segment" in (
        result.output
    )
    assert "offline writer, no cost" in result.output
    assert sorted(p.name for p in (tmp_path / "charts").iterdir()) == [
        "finance-weekly-revenue.png",
        "insights-cohort-retention.png",
    ]


def test_run_weekly_gtm_as_json_then_runs_list_and_show_find_the_run(
    sample_warehouse: Warehouse, cli: typer.Typer
) -> None:
    result = runner.invoke(cli, ["run", "weekly-gtm", "--json"])
    assert result.exit_code == 0, result.output
    digest = Digest.model_validate(json.loads(result.output))
    assert digest.unavailable == [] and digest.headline

    listed = runner.invoke(cli, ["runs", "list"])
    assert listed.exit_code == 0, listed.output
    assert digest.run_id[:8] in listed.output and "weekly_gtm" in listed.output

    shown = runner.invoke(cli, ["runs", "show", digest.run_id[:8]])
    assert shown.exit_code == 0, shown.output
    assert f"Run {digest.run_id}" in shown.output
    assert "status      succeeded" in shown.output
    assert "Audit log (0 entries)" in shown.output


def test_runs_show_of_an_unknown_run_says_where_to_look(cli: typer.Typer) -> None:
    result = runner.invoke(cli, ["runs", "show", "nope"])

    assert result.exit_code == 2
    assert "controlroom runs list" in result.output


def test_run_weekly_gtm_before_the_data_is_seeded_says_so_and_records_a_failed_run(
    cli: typer.Typer, services: Services
) -> None:
    result = runner.invoke(cli, ["run", "weekly-gtm"])

    assert result.exit_code == 1
    assert "seed" in result.output
    (failed,) = services.state.recent_runs(workflow="weekly_gtm")
    assert failed.status == "failed"
