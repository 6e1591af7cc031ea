"""The insights tools on the sample company, and `controlroom insights` as a user runs it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pytest
from typer.testing import CliRunner

import policies
from agents.insights.churn import churn_scores, probability_alive
from agents.insights.cohorts import cohort_retention
from agents.insights.history import customer_history
from controlroom.cli import app
from integrations.warehouse import Warehouse, sample_company
from policies import ChurnPolicy, RFMPolicy
from tests.conftest import SAMPLE_UNTIL

runner = CliRunner()


@pytest.fixture(scope="module")
def policy() -> RFMPolicy:
    return policies.load_policies(Path(policies.__file__).parent).rfm


@pytest.fixture
def connection(sample_warehouse_file: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect(str(sample_warehouse_file), read_only=True) as opened:
        yield opened


def test_mbgnbd_on_the_sample_company_finds_the_parameters_it_was_drawn_with(
    connection: duckdb.DuckDBPyConnection,
) -> None:
    scores = churn_scores(customer_history(connection, SAMPLE_UNTIL), ChurnPolicy())
    fitted = scores.params
    assert fitted.model == "mbg_nbd"
    # 5,000 customers, a seasonal purchase rate the model does not know about: within ~30%.
    drawn = {
        "r": sample_company.PURCHASE_RATE_SHAPE,
        "alpha": sample_company.YEAR_DAYS / sample_company.PURCHASE_RATE_SCALE,
        "a": sample_company.DROPOUT_A,
        "b": sample_company.DROPOUT_B,
    }
    for name, value in drawn.items():
        assert abs(np.log(getattr(fitted, name) / value)) < 0.3, name


def test_a_one_time_buyer_from_two_years_ago_is_not_treated_as_alive(
    connection: duckdb.DuckDBPyConnection,
) -> None:
    history = customer_history(connection, SAMPLE_UNTIL)
    mbg = churn_scores(history, ChurnPolicy(model="mbg_nbd")).params
    bg = churn_scores(history, ChurnPolicy(model="bg_nbd")).params
    two_years_ago = ([0.0], [0.0], [730.0])
    assert probability_alive(bg, *two_years_ago)[0] == 1.0
    assert probability_alive(mbg, *two_years_ago)[0] < 0.5


def test_churn_scores_cover_every_customer_with_sensible_values(
    connection: duckdb.DuckDBPyConnection,
) -> None:
    history = customer_history(connection, SAMPLE_UNTIL)
    scores = churn_scores(history, ChurnPolicy(horizon_days=90))
    table = scores.customers
    assert table.column("customer_id").to_numpy().tolist() == history.customer_id.tolist()
    p_alive = table.column("p_alive").to_numpy()
    purchases = table.column("expected_purchases").to_numpy()
    value = table.column("expected_value").to_numpy()
    assert ((p_alive >= 0) & (p_alive <= 1)).all()
    assert (purchases >= 0).all() and np.isfinite(value).all()
    # The next 90 days should bring roughly as many orders as the last 90 did.
    (recent,) = connection.sql(
        "SELECT count(*) FROM orders WHERE order_date > DATE '2026-11-22' - 90"
    ).fetchall()
    assert 0.5 < purchases.sum() / recent[0] < 2.0


def test_cohorts_match_a_plain_count_of_customers_by_month(
    connection: duckdb.DuckDBPyConnection,
) -> None:
    retention = cohort_retention(connection, SAMPLE_UNTIL)
    cells = connection.sql(
        """
        WITH months AS (
            SELECT DISTINCT customer_id, date_trunc('month', order_date)::DATE AS month FROM orders
        ), firsts AS (
            SELECT customer_id, min(month) AS cohort FROM months GROUP BY customer_id
        )
        SELECT cohort, datediff('month', cohort, month) AS age, count(*)
        FROM months JOIN firsts USING (customer_id) GROUP BY ALL
        """
    ).fetchall()
    expected = np.zeros_like(retention.active)
    for cohort, age, customers in cells:
        expected[retention.cohorts.index(cohort), age] = customers
    assert retention.active.tolist() == expected.tolist()
    assert retention.cohorts[0] == date(2023, 11, 1)


def test_rfm_json_lists_every_segment_and_this_weeks_movements(
    sample_warehouse: Warehouse,
) -> None:
    result = runner.invoke(app, ["insights", "rfm", "--json"])
    assert result.exit_code == 0, result.output
    facts = json.loads(result.stdout)
    assert facts["as_of"] == "2026-11-22"
    assert [s["segment"] for s in facts["segments"]][0] == "Champions"
    assert sum(s["customers"] for s in facts["segments"]) == facts["customers"]
    assert facts["movements"]["since"] == "2026-11-15"
    assert all(m["from"] != m["to"] for m in facts["movements"]["changes"])


def test_churn_json_parses_with_parameters_and_bands(sample_warehouse: Warehouse) -> None:
    result = runner.invoke(
        app, ["insights", "churn", "--json", "--as-of", "2026-06-30", "--model", "bg_nbd"]
    )
    assert result.exit_code == 0, result.output
    facts = json.loads(result.stdout)
    assert facts["as_of"] == "2026-06-30"
    assert facts["model"] == "bg_nbd" and facts["time_unit"] == "days"
    assert set(facts["params"]) == {"r", "alpha", "a", "b"}
    assert sum(band["customers"] for band in facts["p_alive_bands"]) == facts["customers"]


def test_cohorts_json_parses_and_the_heatmap_is_written(sample_warehouse: Warehouse) -> None:
    result = runner.invoke(app, ["insights", "cohorts", "--json", "--png", "heatmap.png"])
    assert result.exit_code == 0, result.output
    facts = json.loads(result.stdout)
    assert facts["cohorts"][0]["cohort"] == "2023-11"
    assert all(c["retention"][0] == 1.0 for c in facts["cohorts"] if c["customers"])
    assert Path("heatmap.png").read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        ("rfm", "Largest segment movements since 15 Nov 2026"),
        ("churn", "Churn risk by RFM segment"),
        ("cohorts", "Retention by monthly cohort as of 22 Nov 2026"),
    ],
)
def test_the_tables_print_for_a_person(
    sample_warehouse: Warehouse, command: str, shown: str
) -> None:
    result = runner.invoke(app, ["insights", command], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert shown in result.output


def test_a_date_before_any_order_is_one_line_without_a_traceback(
    sample_warehouse: Warehouse,
) -> None:
    result = runner.invoke(app, ["insights", "cohorts", "--as-of", "2001-01-01"])
    assert result.exit_code == 1
    assert "no orders on or before 2001-01-01" in result.output
    assert "Traceback" not in result.output


def test_a_bad_date_is_refused_with_the_option_named(sample_warehouse: Warehouse) -> None:
    result = runner.invoke(app, ["insights", "rfm", "--as-of", "22/11/2026"])
    assert result.exit_code == 2
    assert "--as-of" in result.output
