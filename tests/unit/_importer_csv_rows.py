"""What the CSV import tests share: each table's header, a good order row, a file written from
lines, and an import expected to be refused that leaves the warehouse exactly as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from integrations.importers import CsvSource, RowRejectedError, import_table
from integrations.warehouse import Warehouse

ORDERS_HEADER = "order_id,customer_id,order_date,amount,discount,category,channel"
TICKETS_HEADER = (
    "ticket_id,customer_id,order_id,created_at,topic,channel,status,resolved_at,escalated"
)
SPEND_HEADER = "week_start,channel,spend,impressions,clicks"
CUSTOMERS_HEADER = (
    "customer_id,first_name,last_name,email,signup_date,signup_channel,country,marketing_opt_in"
)
TABLES = ("customers", "orders", "marketing_spend", "support_tickets")


def write_csv(folder: Path, name: str, *lines: str) -> Path:
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def table_contents(warehouse: Warehouse) -> dict[str, tuple[int, int]]:
    """Row count and a hash of every row, per table: equal means unchanged."""
    with warehouse.connect() as connection:
        return {
            table: connection.execute(
                f"SELECT count(*), coalesce(sum(hash({table})), 0) FROM {table}"
            ).fetchall()[0]
            for table in TABLES
        }


def good_order(order_id: int, customer_id: int = 1, amount: str = "59.90") -> str:
    return f"{order_id},{customer_id},2026-11-20,{amount},0.00,Footwear,email"


def import_refused(warehouse: Warehouse, table: str, path: Path) -> RowRejectedError:
    """Import, expect a refusal, and check the warehouse is exactly as it was."""
    before = table_contents(warehouse)
    with pytest.raises(RowRejectedError) as refused:
        import_table(warehouse, table, CsvSource(path))
    assert table_contents(warehouse) == before
    assert "\n" not in str(refused.value)
    return refused.value
