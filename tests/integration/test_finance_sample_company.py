"""The finance tools on the 5,000-customer sample company; ``controlroom finance`` end to end."""

from __future__ import annotations

import json
import struct
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agents.finance import forecast_revenue, revenue_chart, weekly_kpis, weekly_revenue
from controlroom.cli import app
from integrations.warehouse import Warehouse
from tests.conftest import SAMPLE_UNTIL

LAST_MONDAY = date(2026, 11, 16)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG_SIGNATURE)
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_kpis_of_the_last_week_agree_with_the_warehouse(sample_warehouse: Warehouse) -> None:
    with sample_warehouse.connect() as connection:
        kpis = weekly_kpis(connection)
        revenue, orders = connection.execute(
            "SELECT sum(amount)::DOUBLE, count(*) FROM orders "
            "WHERE order_date BETWEEN DATE '2026-11-16' AND DATE '2026-11-22'"
        ).fetchall()[0]

    assert kpis.week_start == LAST_MONDAY and kpis.week_end == SAMPLE_UNTIL
    assert kpis.revenue.value == pytest.approx(revenue)
    assert kpis.orders.value == orders
    new, returning = kpis.new_customers.value, kpis.returning_customers.value
    assert new is not None and returning is not None
    assert new + returning == kpis.customers.value
    assert sum(c.attributed_revenue.value or 0.0 for c in kpis.channels) == pytest.approx(revenue)
    assert sum(c.new_customers.value or 0.0 for c in kpis.channels) == kpis.new_customers.value
    assert sum(c.spend.value or 0.0 for c in kpis.channels) == pytest.approx(
        kpis.marketing_spend.value
    )


def test_three_years_of_history_get_the_seasonal_forecast(sample_warehouse: Warehouse) -> None:
    with sample_warehouse.connect() as connection:
        history = weekly_revenue(connection)

    result = forecast_revenue(history, weeks=13)

    assert history.last == LAST_MONDAY
    assert result.history_weeks == 156
    assert result.model.name == "seasonal_damped_trend"
    assert result.backtest.mape is not None and result.backtest.mape < 0.5
    assert len(result.weeks) == 13


def test_the_revenue_chart_is_a_1200_by_600_png(sample_warehouse: Warehouse) -> None:
    with sample_warehouse.connect() as connection:
        history = weekly_revenue(connection)

    plain = revenue_chart(history, highlight_week=LAST_MONDAY)
    with_forecast = revenue_chart(history, forecast=forecast_revenue(history, weeks=8))

    assert _png_size(plain) == (1200, 600)
    assert _png_size(with_forecast) == (1200, 600)
    assert len(plain) < 1_000_000


def test_cli_kpis_json_parses_and_names_the_week(sample_warehouse: Warehouse) -> None:
    result = CliRunner().invoke(app, ["finance", "kpis", "--week", "2026-11-11", "--json"])

    assert result.exit_code == 0, result.output
    kpis = json.loads(result.stdout)
    assert kpis["week_start"] == "2026-11-09"
    assert set(kpis["revenue"]) == {
        "value",
        "previous",
        "change",
        "change_ratio",
        "four_week_average",
    }
    assert kpis["channels"]


def test_cli_kpis_tables_and_chart(sample_warehouse: Warehouse, tmp_path: Path) -> None:
    chart = tmp_path / "revenue.png"

    result = CliRunner().invoke(app, ["finance", "kpis", "--chart", str(chart)])

    assert result.exit_code == 0, result.output
    assert "Repeat rate" in result.stdout
    assert _png_size(chart.read_bytes()) == (1200, 600)


def test_cli_kpis_outside_the_data_is_one_line_and_exit_1(sample_warehouse: Warehouse) -> None:
    result = CliRunner().invoke(app, ["finance", "kpis", "--week", "2027-01-04"])

    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    assert "is not a complete week of the warehouse" in " ".join(result.stderr.split())


def test_cli_forecast_json_parses_with_the_weeks_asked_for(sample_warehouse: Warehouse) -> None:
    result = CliRunner().invoke(app, ["finance", "forecast", "--weeks", "6", "--json"])

    assert result.exit_code == 0, result.output
    forecast = json.loads(result.stdout)
    assert len(forecast["weeks"]) == 6
    assert forecast["model"]["name"] == "seasonal_damped_trend"
    assert forecast["backtest"]["mape"] is not None


@pytest.mark.parametrize("weeks", ["3", "14"])
def test_cli_forecast_refuses_a_horizon_outside_4_to_13(
    sample_warehouse: Warehouse, weeks: str
) -> None:
    result = CliRunner().invoke(app, ["finance", "forecast", "--weeks", weeks])

    assert result.exit_code == 2
    assert "between 4 and 13 weeks ahead" in " ".join(result.stderr.split())


def test_cli_roi_json_parses_from_a_candidates_file(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    candidates = tmp_path / "candidates.csv"
    candidates.write_text(
        "customer_id,p_alive,expected_order_value\n1,0.4,120.0\n2,0.3,80.5\n3,0.2,60\n"
    )

    result = CliRunner().invoke(app, ["finance", "roi", "--candidates", str(candidates), "--json"])

    assert result.exit_code == 0, result.output
    roi = json.loads(result.stdout)
    assert roi["audience"]["customers"] == 3
    assert [option["discount"] for option in roi["options"]] == [0.1, 0.15, 0.2, 0.25]
    assert roi["assumptions"]["max_discount"] == 0.2


def test_cli_roi_without_candidates_says_what_to_pass(sample_warehouse: Warehouse) -> None:
    result = CliRunner().invoke(app, ["finance", "roi"])

    assert result.exit_code == 1
    assert "pass --candidates FILE.csv" in " ".join(result.stderr.split())
