"""The metric catalog: the shipped one (every stated metric, lookup by name, label or synonym)
and the refusals of a bad definition or file, each in one line naming the metric and key."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from integrations.warehouse.metrics import (
    DEFAULT_PATH,
    AnalysisMetric,
    MetricCatalog,
    MetricCatalogError,
    MetricQueryError,
)

STATED_METRICS = {
    "revenue",
    "orders",
    "aov",
    "customers",
    "new_customers",
    "returning_customers",
    "repeat_rate",
    "active_customers",
    "marketing_spend",
    "roas",
    "cac",
    "impressions",
    "clicks",
    "tickets",
    "escalation_rate",
    "time_to_resolve",
    "discount_given",
}
ANALYSES = {"churn_probability", "expected_clv", "segment_sizes", "cohort_retention", "forecast"}


# ── The shipped catalog ─────────────────────────────────────────────────────────────────────


def test_the_shipped_catalog_defines_every_stated_metric_and_the_analyses(
    catalog: MetricCatalog,
) -> None:
    names = {metric.name for metric in catalog.metrics}

    assert names >= STATED_METRICS | ANALYSES
    assert {m.name for m in catalog.metrics if isinstance(m, AnalysisMetric)} == ANALYSES
    assert catalog.get("repeat_rate").unit == "ratio"
    assert catalog.get("roas").unit == "multiple"
    assert catalog.get("time_to_resolve").unit == "hours"


def test_the_default_catalog_is_read_once_per_process() -> None:
    assert MetricCatalog.load() is MetricCatalog.load(DEFAULT_PATH)


@pytest.mark.parametrize(
    ("word", "metric"),
    [
        ("Umsatz", "revenue"),
        ("ventas", "revenue"),
        ("ingresos", "revenue"),
        ("chiffre d’affaires", "revenue"),
        ("CHIFFRE D'AFFAIRES", "revenue"),
        ("sales", "revenue"),
        ("Takings", "revenue"),
        ("turnover", "revenue"),
        ("Bestellungen", "orders"),
        ("pedidos", "orders"),
        ("commandes", "orders"),
        ("AOV", "aov"),
        ("basket size", "aov"),
        ("Average order value", "aov"),
        ("Neukunden", "new_customers"),
        ("clientes nuevos", "new_customers"),
        ("nouveaux clients", "new_customers"),
        ("new_customers", "new_customers"),
        ("ad spend", "marketing_spend"),
        ("return on ad spend", "roas"),
        ("acquisition cost", "cac"),
        ("losungszeit", "time_to_resolve"),
        ("LTV", "expected_clv"),
        ("retención", "cohort_retention"),
    ],
)
def test_lookup_finds_a_metric_by_name_label_or_synonym_in_any_case_or_accent(
    catalog: MetricCatalog, word: str, metric: str
) -> None:
    found = catalog.lookup(word)

    assert found is not None and found.name == metric


def test_lookup_of_an_unknown_word_is_none_and_get_names_the_known_metrics(
    catalog: MetricCatalog,
) -> None:
    assert catalog.lookup("weather") is None
    with pytest.raises(MetricQueryError, match=r"unknown metric 'revnue' \(known: revenue, "):
        catalog.get("revnue")


# ── Refusals ────────────────────────────────────────────────────────────────────────────────


def _shipped() -> dict[str, Any]:
    data = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _metric(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next(entry for entry in data["metrics"] if entry["name"] == name)


def _set_spend_country(data: dict[str, Any]) -> None:
    data["dimensions"]["country"]["columns"]["marketing_spend"] = "customers.country"


def _define_clicks_twice(data: dict[str, Any]) -> None:
    data["metrics"].append(dict(_metric(data, "clicks"), synonyms=[]))


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        pytest.param(
            lambda data: _metric(data, "revenue").update(expresion="x"),
            "metric 'revenue': unknown key 'expresion'",
            id="unknown key",
        ),
        pytest.param(
            lambda data: _metric(data, "orders").pop("unit"),
            "metric 'orders': missing key 'unit'",
            id="missing key",
        ),
        pytest.param(
            lambda data: _metric(data, "orders")["synonyms"].append("Sales"),
            "metric 'orders': key 'synonyms': 'Sales' is already a word for metric 'revenue'",
            id="synonym claimed twice",
        ),
        pytest.param(
            lambda data: _metric(data, "aov").update(numerator="revnue"),
            "metric 'aov': key 'numerator' = 'revnue' is an unknown metric",
            id="ratio of an unknown metric",
        ),
        pytest.param(
            lambda data: _metric(data, "aov").update(denominator="time_to_resolve"),
            "metric 'aov': key 'denominator' = 'time_to_resolve' is not a sum or a count",
            id="ratio of a median",
        ),
        pytest.param(
            lambda data: _metric(data, "tickets")["dimensions"].append("category"),
            "metric 'tickets': key 'dimensions': support_tickets cannot give dimension 'category'",
            id="dimension the table cannot give",
        ),
        pytest.param(
            lambda data: _metric(data, "roas")["dimensions"].append("category"),
            "metric 'roas': key 'dimensions': category not allowed for its denominator",
            id="ratio dimension its part lacks",
        ),
        pytest.param(
            _set_spend_country,
            "dimension 'country': column 'customers.country' for marketing_spend is not",
            id="dimension column out of reach",
        ),
        pytest.param(
            lambda data: _metric(data, "marketing_spend").update(expression="orders.amount"),
            "metric 'marketing_spend': expression names table 'orders', which marketing_spend",
            id="expression naming an unreachable table",
        ),
        pytest.param(
            lambda data: _metric(data, "tickets").update(date_column="resolved_at"),
            "metric 'tickets': date_column 'resolved_at': rows of support_tickets are dated by",
            id="wrong date column",
        ),
        pytest.param(
            lambda data: _metric(data, "clicks").update(aggregation="median"),
            "metric 'clicks': marketing_spend rows cover a week each",
            id="median of weekly spend",
        ),
        pytest.param(
            lambda data: _metric(data, "active_customers").update(
                aggregation="sum", expression="orders.amount"
            ),
            "metric 'active_customers': window_days counts the distinct values",
            id="sum over a window",
        ),
        pytest.param(
            lambda data: _metric(data, "active_customers").update(
                filter="orders.order_date < bucket_start"
            ),
            "metric 'active_customers': with window_days a row is counted for the window",
            id="window naming its bucket",
        ),
        pytest.param(
            _define_clicks_twice, "metric 'clicks' is defined twice", id="metric defined twice"
        ),
    ],
)
def test_a_bad_definition_is_refused_in_one_line_naming_the_metric_and_key(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], refusal: str
) -> None:
    data = _shipped()
    change(data)
    path = tmp_path / "metrics.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")

    with pytest.raises(MetricCatalogError) as refused:
        MetricCatalog.load(path)

    message = str(refused.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    assert refusal in message


def test_a_file_that_is_not_yaml_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "metrics.yaml"
    path.write_text("metrics: [\n", encoding="utf-8")

    with pytest.raises(MetricCatalogError, match=r"metrics\.yaml: line \d+ not valid YAML"):
        MetricCatalog.load(path)
