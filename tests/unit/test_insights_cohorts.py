"""Cohort retention on a table counted by hand, and the heatmap posted to Slack."""

from __future__ import annotations

import struct
from datetime import date

import duckdb
import numpy as np
import pytest

from agents.insights.cohorts import cohort_retention, retention_heatmap_png
from integrations.warehouse.warehouse import create_schema

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def warehouse_with(orders: list[tuple[int, date]]) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    create_schema(connection)
    connection.executemany(
        "INSERT INTO orders VALUES (?, ?, ?, 20, 0, 'Packs', 'direct')",
        [(i + 1, customer, day) for i, (customer, day) in enumerate(orders)],
    )
    return connection


@pytest.fixture
def hand_made() -> duckdb.DuckDBPyConnection:
    # January cohort: customers 1, 2, 3; February cohort: 4, 5; nobody acquired in March.
    return warehouse_with(
        [
            (1, date(2026, 1, 3)),
            (1, date(2026, 1, 20)),  # a second January order still counts once
            (1, date(2026, 2, 14)),
            (1, date(2026, 4, 1)),
            (2, date(2026, 1, 31)),
            (2, date(2026, 3, 2)),
            (3, date(2026, 1, 15)),
            (4, date(2026, 2, 1)),
            (4, date(2026, 3, 31)),
            (5, date(2026, 2, 28)),
            (5, date(2026, 4, 30)),
            (5, date(2026, 5, 2)),  # after the as-of date: ignored
        ]
    )


def test_a_cohort_table_counted_by_hand(hand_made: duckdb.DuckDBPyConnection) -> None:
    retention = cohort_retention(hand_made, date(2026, 4, 30))
    assert retention.cohorts == (
        date(2026, 1, 1),
        date(2026, 2, 1),
        date(2026, 3, 1),
        date(2026, 4, 1),
    )
    assert retention.sizes.tolist() == [3, 2, 0, 0]
    # Months since first order:     0  1  2  3
    assert retention.active.tolist() == [
        [3, 1, 1, 1],  # January: 1 in Feb; 2 in Mar; 1 in Apr
        [2, 1, 1, 0],  # February: 4 in Mar; 5 in Apr
        [0, 0, 0, 0],
        [0, 0, 0, 0],
    ]
    assert retention.rates[0].tolist() == pytest.approx([1.0, 1 / 3, 1 / 3, 1 / 3])
    assert retention.rates[1, :3].tolist() == pytest.approx([1.0, 0.5, 0.5])


def test_months_after_the_as_of_month_are_not_observed(
    hand_made: duckdb.DuckDBPyConnection,
) -> None:
    retention = cohort_retention(hand_made, date(2026, 4, 30))
    assert np.isnan(retention.rates[1, 3])  # February + 3 months is May: not yet
    assert np.isnan(retention.rates[2]).all()  # no March customers: no rate at all
    earlier = cohort_retention(hand_made, date(2026, 2, 28))
    assert earlier.sizes.tolist() == [3, 2]
    assert earlier.active.tolist() == [[3, 1], [2, 0]]
    assert np.isnan(earlier.rates[1, 1])


def test_the_heatmap_is_a_png_of_a_size_fit_for_slack(
    hand_made: duckdb.DuckDBPyConnection,
) -> None:
    png = retention_heatmap_png(cohort_retention(hand_made, date(2026, 4, 30)))
    assert png.startswith(PNG_SIGNATURE)
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk
    assert 600 <= width <= 2000
    assert 150 <= height <= 2000
    assert len(png) < 1_000_000
