"""A period to date is compared with the same days of the unit before, not the days just
before it: this month so far against the same days of last month."""

from __future__ import annotations

from datetime import date

import pytest

from integrations.warehouse.metrics.periods import previous_period
from integrations.warehouse.metrics.query import DateRange


def _range(start: str, end: str) -> DateRange:
    return DateRange(start=date.fromisoformat(start), end=date.fromisoformat(end))


@pytest.mark.parametrize(
    ("period", "before"),
    [
        (("2026-01-01", "2026-11-24"), ("2025-01-01", "2025-11-24")),  # year to date
        (("2026-10-01", "2026-11-24"), ("2026-07-01", "2026-08-24")),  # quarter to date
        (("2026-11-01", "2026-11-24"), ("2026-10-01", "2026-10-24")),  # month to date
        (("2026-03-01", "2026-03-30"), ("2026-02-01", "2026-02-28")),  # a shorter month
        (("2026-11-23", "2026-11-25"), ("2026-11-16", "2026-11-18")),  # week to date
        (("2026-11-16", "2026-11-22"), ("2026-11-09", "2026-11-15")),  # a whole week
        (("2026-10-01", "2026-10-31"), ("2026-09-01", "2026-09-30")),  # a whole month
        (("2026-10-26", "2026-11-24"), ("2026-09-26", "2026-10-25")),  # the last 30 days
    ],
)
def test_the_period_before(period: tuple[str, str], before: tuple[str, str]) -> None:
    assert previous_period(_range(*period)) == _range(*before)
