"""Each customer's first order, kept in the warehouse by its writers (the seed, an import of
orders) so that a KPI pass reads it instead of grouping every order, and never read stale."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from integrations.importers import CsvSource, import_table
from integrations.warehouse import Warehouse
from integrations.warehouse.metrics.sources import FIRST_ORDERS_SQL, STORED, share_first_orders

ORDERS_HEADER = "order_id,customer_id,order_date,amount,discount,category,channel"


def _first_orders(connection: duckdb.DuckDBPyConnection, table: str) -> list[tuple[object, ...]]:
    return connection.execute(f"SELECT * FROM {table} ORDER BY customer_id").fetchall()


def _grouped(connection: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    return connection.execute(f"{FIRST_ORDERS_SQL} ORDER BY customer_id").fetchall()


def test_the_seed_stores_every_customers_first_order(sample_warehouse: Warehouse) -> None:
    with sample_warehouse.connect() as connection:
        assert _first_orders(connection, STORED) == _grouped(connection)
        share_first_orders(connection)
        assert _first_orders(connection, "first_orders") == _grouped(connection)


def test_an_import_of_orders_stores_them_again_with_a_customers_new_first_order(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(
        f"{ORDERS_HEADER}\n900001,17,2019-01-02,120.00,0,Footwear,email\n", encoding="utf-8"
    )

    import_table(sample_warehouse, "orders", CsvSource(path))

    with sample_warehouse.connect() as connection:
        stored = _first_orders(connection, STORED)
        assert stored == _grouped(connection)
        assert (17, date(2019, 1, 2)) in stored


def test_orders_written_behind_the_stored_copys_back_are_grouped_afresh(
    sample_warehouse: Warehouse,
) -> None:
    # A writer that does not keep the copy (a script with DuckDB): the copy is stale, so the
    # KPI pass must not read it.
    with duckdb.connect(str(sample_warehouse.path)) as connection:
        connection.execute(
            "INSERT INTO orders SELECT max(order_id) + 1, 17, DATE '2019-01-03', 10, 0, "
            "'Camping', 'email' FROM orders"
        )

    with sample_warehouse.connect() as connection:
        assert _first_orders(connection, STORED) != _grouped(connection)
        share_first_orders(connection)
        assert _first_orders(connection, "first_orders") == _grouped(connection)
