"""The analytic warehouse: customers, orders, marketing spend and support tickets in DuckDB.

The embedded default is a DuckDB file under ``var/`` holding the sample company ("Two Peaks");
imports from CSV files and Google Sheets add to it all or nothing (``integrations.importers``).

Exceptions::

    WarehouseError
     ├── WarehouseNotSeededError   the warehouse file has no data yet
     └── WarehouseUnavailableError the file cannot be opened: locked, damaged, unreadable
"""

from integrations.warehouse.sample_company import SampleCompanySpec, last_complete_week_end
from integrations.warehouse.warehouse import (
    Warehouse,
    WarehouseError,
    WarehouseNotSeededError,
    WarehouseSummary,
    WarehouseUnavailableError,
    YearFigures,
)

__all__ = [
    "SampleCompanySpec",
    "Warehouse",
    "WarehouseError",
    "WarehouseNotSeededError",
    "WarehouseSummary",
    "WarehouseUnavailableError",
    "YearFigures",
    "last_complete_week_end",
]
