"""``import_table``: check every row of a source in DuckDB, then append them all or none.

The rows are loaded as text into the warehouse's own connection, parsed there, and checked by
one SQL query that finds the first bad row (in source order) with the first thing wrong with
it. Only a clean batch is inserted, inside the same transaction as the checks, so an import
either adds every row or leaves the warehouse as it was.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from integrations.importers._exceptions import ImportRejectedError, RowRejectedError
from integrations.importers.rules import IMPORT_RULES, Column, TableRules, table_columns
from integrations.importers.sources import TableSource
from integrations.warehouse import Warehouse, WarehouseError, WarehouseNotSeededError

logger = logging.getLogger(__name__)

IMPORTABLE_TABLES = tuple(IMPORT_RULES)

_ROWS = "import_rows"  # the source's Arrow table, registered on the connection
_BATCH = "import_batch"  # temporary table: raw text and parsed value of every column
_LONGEST_SHOWN_VALUE = 60


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import added: ``rows`` rows to ``table`` from ``source`` (its name)."""

    table: str
    rows: int
    source: str


def import_table(warehouse: Warehouse, table_name: str, source: TableSource) -> ImportResult:
    """Append every row of ``source`` to ``table_name``, or none of them.

    Raises ``RowRejectedError`` for the first bad row (or header), ``SourceUnavailableError``
    when the source cannot be read, and ``WarehouseError`` when the warehouse cannot be written.
    """
    rules = IMPORT_RULES.get(table_name)
    if rules is None:
        raise ImportRejectedError(
            f"cannot import into '{table_name}' (choose one of {', '.join(IMPORTABLE_TABLES)})"
        )
    columns = table_columns(table_name)
    read = source.read()
    layout = _layout(source.name, table_name, read.header, columns)
    batch = _Batch(table_name, rules, columns, layout)
    connection = _open_for_writing(warehouse, table_name)
    try:
        connection.register(_ROWS, read.rows)
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
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
    finally:
        connection.close()
    logger.info("imported %d rows into %s from %s", inserted, table_name, source.name)
    return ImportResult(table=table_name, rows=inserted, source=source.name)


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where each table column sits in the source (0-based), and which cells have no name."""

    positions: dict[str, int]
    header: tuple[str, ...]
    unnamed: tuple[int, ...]


def _normalised(name: str) -> str:
    """``' Order ID '`` → ``order_id``: headers written by people still match."""
    return "_".join(name.strip().lower().split())


def _layout(source: str, table: str, header: Sequence[str], columns: Sequence[Column]) -> _Layout:
    names = [_normalised(cell) for cell in header]
    expected = ", ".join(column.name for column in columns)
    if not any(names):
        raise RowRejectedError(source, 1, f"no header (row 1 must name the columns: {expected})")
    positions: dict[str, int] = {}
    for index, name in enumerate(names):
        if name in positions:
            raise RowRejectedError(source, 1, f"column '{header[index].strip()}' appears twice")
        if name:
            positions[name] = index
    known = {column.name for column in columns}
    missing = [column.name for column in columns if column.required and column.name not in names]
    unknown = [header[index].strip() for name, index in positions.items() if name not in known]
    problems = []
    if missing:
        problems.append(f"missing column{'s' if len(missing) > 1 else ''} {_listed(missing)}")
    if unknown:
        problems.append(f"unknown column{'s' if len(unknown) > 1 else ''} {_listed(unknown)}")
    if problems:
        raise RowRejectedError(source, 1, f"{'; '.join(problems)} ({table} has {expected})")
    unnamed = tuple(index for index, name in enumerate(names) if not name)
    return _Layout(positions=positions, header=tuple(names), unnamed=unnamed)


class _Batch:
    """The SQL of one import: stage and parse, find the first bad row, insert."""

    def __init__(
        self, table: str, rules: TableRules, columns: Sequence[Column], layout: _Layout
    ) -> None:
        self.table = table
        self.rules = rules
        self.columns = {column.name: column for column in columns}
        self.layout = layout
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
            value = column.format.parse(_raw(column.name)) if column.format else _raw(column.name)
            typed.append(f"CAST({value} AS {column.sql_type}) AS {_ident(column.name)}")
        stray = [f"len(list_filter(cells[{len(self.layout.header) + 1}:], {_NOT_BLANK})) > 0"]
        stray += [f"coalesce(trim(cells[{index + 1}]), '') <> ''" for index in self.layout.unnamed]
        return f"""
            CREATE TEMP TABLE {_BATCH} AS
            WITH raw AS (
                SELECT row_number, cells, ({" OR ".join(stray)}) AS stray_value, {", ".join(raw)}
                FROM {_ROWS}
                WHERE len(list_filter(cells, {_NOT_BLANK})) > 0
            )
            SELECT row_number, cells, stray_value, {", ".join(_raw(c) for c in self.columns)},
                   {", ".join(typed)}
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
            if column.required:
                self.checks.append((f"{raw} IS NULL", _always(f"{name} is empty")))
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
            if name in rules.non_negative:
                self.checks.append((f"{value} < 0", _about(name, "is negative")))
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

    def _key(self, row: dict[str, Any]) -> str:
        parts = [f"{name} {_quoted(row, name)}" for name in self.rules.key]
        return " and ".join(parts) + (" are" if len(parts) > 1 else " is")

    def _stray_value(self, row: dict[str, Any]) -> str:
        cells: list[str] = row["cells"]
        header = self.layout.header
        for index, cell in enumerate(cells):
            if cell.strip() and (index >= len(header) or not header[index]):
                return f"value {_shown(cell)} in column {index + 1}, which has no name in row 1"
        raise AssertionError("stray_value flagged a row without a stray value")


_NOT_BLANK = "lambda cell: trim(cell) <> ''"

_Describe = Callable[[dict[str, Any]], str]


def _always(reason: str) -> _Describe:
    return lambda _row: reason


def _about(column: str, reason: str) -> _Describe:
    """``amount '-5.00' is negative``: the column, its cell as written, what is wrong."""
    return lambda row: f"{column} {_quoted(row, column)} {reason}"


def _before(later: str, earlier: str) -> _Describe:
    return lambda row: f"{later} {_quoted(row, later)} is before {earlier} {_quoted(row, earlier)}"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _raw_name(column: str) -> str:
    return f"raw_{column}"


def _raw(column: str) -> str:
    return _ident(_raw_name(column))


def _quoted(row: dict[str, Any], column: str) -> str:
    return _shown(row[_raw_name(column)])


def _shown(value: str) -> str:
    """A cell as a message shows it: quoted, on one line, not too long."""
    flat = " ".join(str(value).split())
    if len(flat) > _LONGEST_SHOWN_VALUE:
        flat = flat[: _LONGEST_SHOWN_VALUE - 1] + "…"
    return f"'{flat}'"


def _listed(names: Sequence[str]) -> str:
    return ", ".join(f"'{name}'" for name in names)


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
