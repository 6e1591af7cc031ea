"""A deterministic generator for "Two Peaks", an outdoor-gear retailer.

Customers arrive over three years (growing, seasonal, by acquisition channel) and then buy by a
repeat-purchase process with heterogeneity across customers, the one the analytics models assume:

- each customer buys at her own rate ``λ ~ Gamma(r, α)`` orders a year, modulated by the season
  (a holiday peak and a spring/summer peak; simulated by thinning a Poisson process);
- after every purchase, the first one included, she drops out for good with her own probability
  ``p ~ Beta(a, b)`` (the MBG/NBD dropout process);
- her order values follow the Gamma-Gamma spend model, scaled by the category bought.

Everything is drawn with NumPy in chunks of customers and written to DuckDB through Arrow, so a
million customers and ten million orders never live as Python objects. The same seed and end date
give the same warehouse, whatever the machine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import numpy as np

from integrations.warehouse.sample_company.draws import draw_chunk, monday_index, signup_day_cdf
from integrations.warehouse.sample_company.parameters import SIGNUP_CHANNELS, YEAR_DAYS
from integrations.warehouse.sample_company.tables import (
    FINALISE_SQL,
    STAGING_DDL,
    write_chunk,
    write_marketing_spend,
)

CHUNK_CUSTOMERS = 100_000
_EPOCH = date(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class SampleCompanySpec:
    """What to generate: how many customers, the random seed, and the last day of data."""

    customers: int
    seed: int
    until: date
    years: int = 3

    @property
    def start(self) -> date:
        return self.until - timedelta(days=round(self.years * YEAR_DAYS) - 1)


def last_complete_week_end(today: date) -> date:
    """The Sunday that ends the last full Monday–Sunday week before ``today``."""
    return today - timedelta(days=today.isoweekday() % 7 or 7)


def generate(
    connection: duckdb.DuckDBPyConnection,
    spec: SampleCompanySpec,
    *,
    on_progress: Callable[[int], None] | None = None,
) -> None:
    """Fill the (empty) warehouse tables on ``connection`` with the sample company.

    ``on_progress`` is called with the number of customers generated after every chunk.
    """
    start_day = (spec.start - _EPOCH).days
    end_day = (spec.until - _EPOCH).days
    span = end_day - start_day + 1
    signup_cdf = signup_day_cdf(start_day, span)
    weeks = monday_index(np.arange(start_day, end_day + 1))
    first_week = int(weeks[0])
    signups_by_week = np.zeros((int(weeks[-1]) - first_week + 1, len(SIGNUP_CHANNELS)))
    connection.execute(STAGING_DDL)
    for chunk_start in range(0, spec.customers, CHUNK_CUSTOMERS):
        size = min(CHUNK_CUSTOMERS, spec.customers - chunk_start)
        rng = np.random.default_rng([spec.seed, chunk_start // CHUNK_CUSTOMERS])
        chunk = draw_chunk(rng, chunk_start, size, start_day, end_day, signup_cdf)
        np.add.at(
            signups_by_week,
            (monday_index(chunk.signup_day) - first_week, chunk.signup_channel),
            1,
        )
        write_chunk(connection, chunk)
        if on_progress is not None:
            on_progress(chunk_start + size)
    spend_rng = np.random.default_rng([spec.seed, 1_000_003])
    write_marketing_spend(connection, spend_rng, signups_by_week, first_week, spec.customers)
    connection.execute(FINALISE_SQL)
    connection.executemany(
        "INSERT INTO dataset_info VALUES (?, ?)",
        [
            ("source", "sample company Two Peaks"),
            ("seed", str(spec.seed)),
            ("customers", str(spec.customers)),
            ("start", spec.start.isoformat()),
            ("until", spec.until.isoformat()),
        ],
    )
