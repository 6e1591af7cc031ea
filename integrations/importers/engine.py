"""``import_table``: check every row of a source in DuckDB, then append them all or none.

The rows are loaded as text into the warehouse's own connection, parsed there, and checked by
one SQL query that finds the first bad row (in source order) with the first thing wrong with
it. What SQL cannot judge (forbidden characters, recipient addresses) is judged per cell first
by ``integrations.importers.cells`` and read by the same query. Only a clean batch is inserted,
inside the same transaction as the checks, so an import either adds every row or leaves the
warehouse as it was.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import duckdb

from integrations.importers._exceptions import ImportRejectedError, RowRejectedError
from integrations.importers.cells import cell_problems, shown
from integrations.importers.header import Layout, layout_of
from integrations.importers.rules import (
    EARLIEST_DATE,
    IMPORT_RULES,
    LATEST_DAYS_AHEAD,
    Column,
    TableRules,
    table_columns,
)
from integrations.importers.sources import TableSource
from integrations.warehouse import Warehouse, WarehouseError, WarehouseNotSeededError
from integrations.warehouse.metrics.sources import store_first_orders

logger = logging.getLogger(__name__)

IMPORTABLE_TABLES = tuple(IMPORT_RULES)

_ROWS = "import_rows"  # the source's Arrow table, registered on the connection
_BATCH = "import_batch"  # temporary table: raw text and parsed value of every column
# Columns beside the source's cells: per cell, what ``cells.cell_problems`` found (or null).
_UNSAFE = "unsafe"
_NOT_ONE_ADDRESS = "not_one_address"


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import added: ``rows`` rows to ``table`` from ``source`` (its name)."""

    table: str
    rows: int
    source: str


def import_table(
    warehouse: Warehouse, table_name: str, source: TableSource, *, today: date | None = None
) -> ImportResult:
    """Append every row of ``source`` to ``table_name``, or none of them.

    Raises ``RowRejectedError`` for the first bad row (or header), ``SourceUnavailableError``
    when the source cannot be read, and ``WarehouseError`` when the warehouse cannot be written.
    ``today`` (default: the clock's) bounds the dates taken, with ``LATEST_DAYS_AHEAD``.
    """
    rules = IMPORT_RULES.get(table_name)
    if rules is None:
        raise ImportRejectedError(
            f"cannot import into '{table_name}' (choose one of {', '.join(IMPORTABLE_TABLES)})"
        )
    columns = table_columns(table_name)
    read = source.read()
    layout = layout_of(source.name, table_name, read.header, columns)
    latest = (today or date.today()) + timedelta(days=LATEST_DAYS_AHEAD)
    batch = _Batch(table_name, rules, columns, layout, latest=latest)
    addresses = {layout.positions[name] for name in rules.addresses if name in layout.positions}
    problems = cell_problems(read.rows.column("cells").to_pylist(), addresses)
    rows = read.rows.append_column(_UNSAFE, problems.unsafe).append_column(
        _NOT_ONE_ADDRESS, problems.address
    )
    connection = _open_for_writing(warehouse, table_name)
    try:
        connection.register(_ROWS, rows)
        connection.execute("BEGIN TRANSACTION")
        try:
            connection.execute(batch.create_sql())
            failure = connection.execute(batch.first_failure_sql())
            names = [description[0] for description in failure.description or ()]
            first_bad = failure.fetchall()  # LIMIT 1
            if first_bad:
                row = dict(zip(names, first_bad[0], strict=True))
                raise RowRejectedError(source.name, row["row_number"], batch.describe(row))
            ((inserted,),) = connection.execute(batch.insert_sql()).fetchall()
            connection.execute(f"DROP TABLE {_BATCH}")
            if table_name == "orders":
                store_first_orders(connection)
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
    finally:
        connection.close()
    logger.info("imported %d rows into %s from %s", inserted, table_name, source.name)
    return ImportResult(table=table_name, rows=inserted, source=source.name)


class _Batch:
    """The SQL of one import: stage and parse, find the first bad row, insert."""

    def __init__(
        self,
        table: str,
        rules: TableRules,
        columns: Sequence[Column],
        layout: Layout,
        *,
        latest: date,
    ) -> None:
        self.table = table
        self.rules = rules
        self.columns = {column.name: column for column in columns}
        self.layout = layout
        self.latest = latest
        # Checks in the order a person reads a row: left to right, then the whole row.
        self.checks: list[tuple[str, _Describe]] = []
        self._add_checks()

    def create_sql(self) -> str:
        """Stage the non-blank rows: each column's text (trimmed, '' as NULL) and its value."""
        raw = []
        typed = []
        for column in self.columns.values():
            position = self.layout.positions.get(column.name)
            text = (
                "CAST(NULL AS VARCHAR)"
                if position is None
                else f"nullif(trim(cells[{position + 1}]), '')"
            )
            raw.append(f"{text} AS {_raw(column.name)}")
            for found in (_UNSAFE, _NOT_ONE_ADDRESS):
                problem = (
                    "CAST(NULL AS VARCHAR)" if position is None else f"{found}[{position + 1}]"
                )
                raw.append(f"{problem} AS {_ident(_problem_name(found, column.name))}")
            value = column.format.parse(_raw(column.name)) if column.format else _raw(column.name)
            typed.append(f"CAST({value} AS {column.sql_type}) AS {_ident(column.name)}")
        stray = [f"len(list_filter(cells[{len(self.layout.header) + 1}:], {_NOT_BLANK})) > 0"]
        stray += [f"coalesce(trim(cells[{index + 1}]), '') <> ''" for index in self.layout.unnamed]
        return f"""
            CREATE TEMP TABLE {_BATCH} AS
            WITH raw AS (
                SELECT row_number, cells, {_UNSAFE}, {_NOT_ONE_ADDRESS},
                       ({" OR ".join(stray)}) AS stray_value, {", ".join(raw)}
                FROM {_ROWS}
                WHERE len(list_filter(cells, {_NOT_BLANK})) > 0
            )
            SELECT * EXCLUDE ({_UNSAFE}, {_NOT_ONE_ADDRESS}), {", ".join(typed)}
            FROM raw
        """

    def first_failure_sql(self) -> str:
        """The first row, in source order, failing a check; ``problem`` is the check's index."""
        key = ", ".join(_ident(name) for name in self.rules.key)
        problem = ", ".join(
            f"CASE WHEN {condition} THEN {index} END"
            for index, (condition, _) in enumerate(self.checks)
        )
        return f"""
            WITH windowed AS (
                SELECT *, min(row_number) OVER (PARTITION BY {key}) AS first_row_with_key
                FROM {_BATCH}
            ), checked AS (
                SELECT *, coalesce({problem}) AS problem FROM windowed AS batch
            )
            SELECT * FROM checked WHERE problem IS NOT NULL ORDER BY row_number LIMIT 1
        """

    def insert_sql(self) -> str:
        """Append the parsed values in source order."""
        names = ", ".join(_ident(name) for name in self.columns)
        return (
            f"INSERT INTO {_ident(self.table)} ({names}) "
            f"SELECT {names} FROM {_BATCH} ORDER BY row_number"
        )

    def describe(self, row: dict[str, Any]) -> str:
        """The reason for the failing row, in words."""
        _, describe = self.checks[row["problem"]]
        return describe(row)

    def _add_checks(self) -> None:
        rules = self.rules
        self.checks.append(("stray_value", self._stray_value))
        in_reading_order = sorted(
            self.columns.values(),
            key=lambda c: self.layout.positions.get(c.name, len(self.layout.header)),
        )
        for column in in_reading_order:
            raw, value, name = _raw(column.name), _ident(column.name), column.name
            unsafe = _problem_name(_UNSAFE, name)
            not_one_address = _problem_name(_NOT_ONE_ADDRESS, name)
            if column.required:
                self.checks.append((f"{raw} IS NULL", _always(f"{name} is empty")))
            self.checks.append((f"{_ident(unsafe)} IS NOT NULL", _found(name, unsafe)))
            if column.format is not None:
                self.checks.append(
                    (
                        f"{raw} IS NOT NULL AND {value} IS NULL",
                        _about(
                            name,
                            f"is not {column.format.noun} (expected {column.format.expected})",
                        ),
                    )
                )
            if column.sql_type in ("DATE", "TIMESTAMP"):
                self._add_date_bounds(name)
            if name in rules.positive:
                self.checks.append(
                    (f"{value} <= 0", _about(name, "is not positive (ids start at 1)"))
                )
            if name in rules.non_negative:
                self.checks.append((f"{value} < 0", _about(name, "is negative")))
            if name in rules.addresses:
                self.checks.append(
                    (f"{_ident(not_one_address)} IS NOT NULL", _said(name, not_one_address))
                )
            if name in rules.mondays:
                self.checks.append((f"isodow({value}) <> 1", _about(name, "is not a Monday")))
        for later, earlier in rules.not_before:
            self.checks.append((f"{_ident(later)} < {_ident(earlier)}", _before(later, earlier)))
        key_match = " AND ".join(f"stored.{_ident(k)} = batch.{_ident(k)}" for k in rules.key)
        self.checks.append(
            (
                f"EXISTS (SELECT 1 FROM {_ident(self.table)} AS stored WHERE {key_match})",
                lambda row: f"{self._key(row)} already in the warehouse",
            )
        )
        self.checks.append(
            (
                "row_number > first_row_with_key",
                lambda row: f"{self._key(row)} also in row {row['first_row_with_key']}",
            )
        )
        for reference in rules.references:
            if reference.column not in self.layout.positions:
                continue
            value = f"batch.{_ident(reference.column)}"
            self.checks.append(
                (
                    f"{value} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {_ident(reference.table)}"
                    f" AS referred WHERE referred.{_ident(reference.key)} = {value})",
                    _about(reference.column, f"is not a known {reference.noun}"),
                )
            )

    def _add_date_bounds(self, name: str) -> None:
        day = f"CAST({_ident(name)} AS DATE)"
        earliest, latest = EARLIEST_DATE.isoformat(), self.latest.isoformat()
        self.checks.append(
            (
                f"{day} < DATE '{earliest}'",
                _about(name, f"is before {earliest} (the earliest date an import takes)"),
            )
        )
        self.checks.append(
            (
                f"{day} > DATE '{latest}'",
                _about(name, f"is after {latest} (a year from today: the latest date taken)"),
            )
        )

    def _key(self, row: dict[str, Any]) -> str:
        parts = [f"{name} {_quoted(row, name)}" for name in self.rules.key]
        return " and ".join(parts) + (" are" if len(parts) > 1 else " is")

    def _stray_value(self, row: dict[str, Any]) -> str:
        cells: list[str] = row["cells"]
        header = self.layout.header
        for index, cell in enumerate(cells):
            if cell.strip() and (index >= len(header) or not header[index]):
                return f"value {shown(cell)} in column {index + 1}, which has no name in row 1"
        raise AssertionError("stray_value flagged a row without a stray value")


_NOT_BLANK = "lambda cell: trim(cell) <> ''"

_Describe = Callable[[dict[str, Any]], str]


def _always(reason: str) -> _Describe:
    return lambda _row: reason


def _about(column: str, reason: str) -> _Describe:
    """``amount '-5.00' is negative``: the column, its cell as written, what is wrong."""
    return lambda row: f"{column} {_quoted(row, column)} {reason}"


def _found(column: str, problem: str) -> _Describe:
    """``first_name 'Ada\\r\\n' contains U+000D …``: what ``cells`` found in the cell."""
    return lambda row: f"{column} {_quoted(row, column)} {row[problem]}"


def _said(column: str, problem: str) -> _Describe:
    """``email: 'a@x.com, b@y.com' is not one email address: …`` (the reason quotes the cell)."""
    return lambda row: f"{column}: {row[problem]}"


def _before(later: str, earlier: str) -> _Describe:
    return lambda row: f"{later} {_quoted(row, later)} is before {earlier} {_quoted(row, earlier)}"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _raw_name(column: str) -> str:
    return f"raw_{column}"


def _raw(column: str) -> str:
    return _ident(_raw_name(column))


def _problem_name(found: str, column: str) -> str:
    return f"{found}_{column}"


def _quoted(row: dict[str, Any], column: str) -> str:
    return shown(row[_raw_name(column)])


def _open_for_writing(warehouse: Warehouse, table: str) -> duckdb.DuckDBPyConnection:
    if not warehouse.path.exists():
        raise WarehouseNotSeededError(
            f"{warehouse.path}: no warehouse yet — run `controlroom data seed` first"
        )
    try:
        connection = warehouse.connect(read_only=False)
    except duckdb.IOException as error:
        raise WarehouseError(f"{warehouse.path}: cannot open for writing ({error})") from None
    ((found,),) = connection.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]
    ).fetchall()
    if found == 0:
        connection.close()
        raise WarehouseNotSeededError(
            f"{warehouse.path}: has no {table} table — run `controlroom data seed` first"
        )
    return connection
