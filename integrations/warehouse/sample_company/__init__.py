"""The sample company "Two Peaks": a deterministic generator of the warehouse's data.

``generator`` holds the entry point and the model it draws from; ``parameters`` the figures
and names it draws with; ``draws`` the NumPy draws for one chunk of customers; ``tables`` the
writes to DuckDB and the SQL that numbers orders and draws support tickets.
"""

from integrations.warehouse.sample_company.generator import (
    SampleCompanySpec,
    generate,
    last_complete_week_end,
)
from integrations.warehouse.sample_company.parameters import (
    COUNTRIES,
    DROPOUT_A,
    DROPOUT_B,
    PURCHASE_RATE_SCALE,
    PURCHASE_RATE_SHAPE,
    SIGNUP_CHANNELS,
    YEAR_DAYS,
)

__all__ = [
    "COUNTRIES",
    "DROPOUT_A",
    "DROPOUT_B",
    "PURCHASE_RATE_SCALE",
    "PURCHASE_RATE_SHAPE",
    "SIGNUP_CHANNELS",
    "YEAR_DAYS",
    "SampleCompanySpec",
    "generate",
    "last_complete_week_end",
]
