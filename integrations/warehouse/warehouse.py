"""``Warehouse``: one DuckDB file, its schema, seeding and a summary of what it holds."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from integrations.warehouse import sample_company
from integrations.warehouse.metrics.sources import store_first_orders
from integrations.warehouse.schema import TABLES

SEED_MEMORY_LIMIT = "1GB"
# Clues in DuckDB's reasons (and ours) that the file itself is damaged.
_DAMAGED = ("Corrupt", "not a valid DuckDB", "Could not read enough bytes")


class WarehouseError(RuntimeError):
    """Base of the warehouse's exceptions."""


class WarehouseNotSeededError(WarehouseError):
    """The warehouse file does not exist or has no data yet."""


class WarehouseUnavailableError(WarehouseError):
    """The warehouse file cannot be opened: locked by another process, damaged, unreadable."""


@dataclass(frozen=True, slots=True)
class YearFigures:
    year: int
    orders: int
    revenue: float
    active_customers: int
    average_order_value: float


@dataclass(frozen=True, slots=True)
class WarehouseSummary:
    path: Path
    source: str
    customers: int
    orders: int
    support_tickets: int
    marketing_spend_rows: int
    first_order: date
    last_order: date
    revenue: float
    marketing_opt_in_share: float
    by_year: list[YearFigures]


class Warehouse:
    """The DuckDB file behind every analytic figure."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def connect(self, *, read_only: bool = True) -> duckdb.DuckDBPyConnection:
        """Open the file; raises ``WarehouseNotSeededError`` when there is nothing to read."""
        if read_only and not self.path.exists():
            raise WarehouseNotSeededError(
                f"{self.path}: no warehouse yet — run `controlroom data seed` first"
            )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            connection = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.Error as error:
            raise self._unavailable(str(error)) from None
        if read_only:
            try:
                self._check_readable(connection)
            except BaseException:
                connection.close()
                raise
        return connection

    def _check_readable(self, connection: duckdb.DuckDBPyConnection) -> None:
        """Refuse, before any query, a DuckDB file with none of the warehouse's tables (a wrong
        WAREHOUSE_PATH)."""
        try:
            # fetchall, not fetchone: DuckDB 2 refuses the next statement while a result is open.
            tables = connection.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
            ).fetchall()
        except duckdb.Error as error:
            raise self._unavailable(str(error)) from None
        # None of them: the wrong file. One missing is that one figure's failure, not all.
        if not set(TABLES) & {name for (name,) in tables}:
            raise WarehouseNotSeededError(
                f"{self.path}: not a control room warehouse (none of its tables) — "
                "check WAREHOUSE_PATH, or run `controlroom data seed`"
            )

    def _unavailable(self, reason: str) -> WarehouseUnavailableError:
        """One line: the file, DuckDB's reason, and what to do about it."""
        reason = reason.strip().splitlines()[0] if reason.strip() else "unknown reason"
        reason = reason.removeprefix("IO Error: ").replace(f' "{self.path}"', "")
        reason = reason.split(". See also")[0]
        if "Conflicting lock" in reason:
            advice = "another process is writing to it; try again when it has finished"
        elif any(clue in reason for clue in _DAMAGED):
            advice = (
                "the file is damaged: restore it, or run `controlroom data seed` to start again"
            )
        else:
            advice = "check the file and its permissions (WAREHOUSE_PATH names it)"
        return WarehouseUnavailableError(
            f"warehouse {self.path} unavailable: {reason.rstrip('.!')} — {advice}"
        )

    def seed(
        self,
        spec: sample_company.SampleCompanySpec,
        *,
        on_progress: Callable[[int], None] | None = None,
    ) -> None:
        """Replace the warehouse with a freshly generated sample company.

        The new data is built in a side file and moved into place only when complete, so an
        interrupted seed leaves the previous warehouse as it was.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        building = self.path.with_name(self.path.name + ".building")
        _remove_database_files(building)
        # A memory limit makes DuckDB spill the final sort to disk instead of holding ~3 GB.
        connection = duckdb.connect(str(building), config={"memory_limit": SEED_MEMORY_LIMIT})
        try:
            with connection.cursor() as cursor:
                cursor.execute("BEGIN")
                create_schema(cursor)
                sample_company.generate(cursor, spec, on_progress=on_progress)
                store_first_orders(cursor)
                cursor.execute("COMMIT")
            connection.execute("CHECKPOINT")
        finally:
            connection.close()
        _remove_database_files(self.path)
        os.replace(building, self.path)

    def summary(self) -> WarehouseSummary:
        """Counts, date range and revenue by year."""
        with self.connect() as connection:
            counts = connection.execute(
                """
                SELECT (SELECT count(*) FROM customers),
                       (SELECT count(*) FROM orders),
                       (SELECT count(*) FROM support_tickets),
                       (SELECT count(*) FROM marketing_spend),
                       (SELECT min(order_date) FROM orders),
                       (SELECT max(order_date) FROM orders),
                       (SELECT coalesce(sum(amount), 0)::DOUBLE FROM orders),
                       (SELECT coalesce(avg(marketing_opt_in::INT), 0)::DOUBLE FROM customers),
                       (SELECT coalesce(max(value), 'imported data')
                          FROM dataset_info WHERE key = 'source')
                """
            ).fetchall()[0]
            if counts[1] == 0:
                raise WarehouseNotSeededError(
                    f"{self.path}: the warehouse has no orders — run `controlroom data seed`"
                )
            by_year = connection.execute(
                """
                SELECT year(order_date), count(*), sum(amount)::DOUBLE,
                       count(DISTINCT customer_id), avg(amount)::DOUBLE
                FROM orders GROUP BY 1 ORDER BY 1
                """
            ).fetchall()
        return WarehouseSummary(
            path=self.path,
            source=counts[8],
            customers=counts[0],
            orders=counts[1],
            support_tickets=counts[2],
            marketing_spend_rows=counts[3],
            first_order=counts[4],
            last_order=counts[5],
            revenue=counts[6],
            marketing_opt_in_share=counts[7],
            by_year=[YearFigures(*row) for row in by_year],
        )


def create_schema(connection: duckdb.DuckDBPyConnection) -> None:
    """Create every warehouse table (on an empty database)."""
    for ddl in TABLES.values():
        connection.execute(ddl)


def _remove_database_files(path: Path) -> None:
    for candidate in (path, path.with_name(path.name + ".wal")):
        candidate.unlink(missing_ok=True)
