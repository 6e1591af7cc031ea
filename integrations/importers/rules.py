"""What an imported row must satisfy, per table, beyond the column types in the schema.

Column names, types and which columns are required come from ``integrations.warehouse.schema``
(the one definition of the tables); this module adds what a type cannot say: keys, references to
other tables, amounts that cannot be negative, ids that start at 1, dates within bounds, columns
that hold a recipient's address.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import duckdb

from integrations.warehouse.schema import TABLES

# The dates an import takes (every DATE and TIMESTAMP column). Outside them a date is a typo, and
# an expensive one: an order on 9999-12-31 makes the weekly digest build a week-by-week range of
# 68 GiB, and one in year 1 crashes the win-back's date arithmetic. Two Peaks' history, and any
# shop's records worth importing, start after 1990; a year ahead leaves room for planned spend.
EARLIEST_DATE = date(1990, 1, 1)
LATEST_DAYS_AHEAD = 366


@dataclass(frozen=True, slots=True)
class Reference:
    """``column`` must name a row already in ``table`` (its ``key`` column)."""

    column: str
    table: str
    key: str
    noun: str


@dataclass(frozen=True, slots=True)
class TableRules:
    """The checks of one table, besides types and required values."""

    key: tuple[str, ...]
    non_negative: tuple[str, ...] = ()
    positive: tuple[str, ...] = ()  # ids start at 1
    addresses: tuple[str, ...] = ()  # a recipient: exactly one bare address
    references: tuple[Reference, ...] = ()
    mondays: tuple[str, ...] = ()
    # (later, earlier): the first may not be before the second, e.g. resolved after created.
    not_before: tuple[tuple[str, str], ...] = ()


IMPORT_RULES: dict[str, TableRules] = {
    "customers": TableRules(key=("customer_id",), positive=("customer_id",), addresses=("email",)),
    "orders": TableRules(
        key=("order_id",),
        non_negative=("amount", "discount"),
        positive=("order_id",),
        references=(Reference("customer_id", "customers", "customer_id", "customer"),),
    ),
    "marketing_spend": TableRules(
        key=("week_start", "channel"),
        non_negative=("spend", "impressions", "clicks"),
        mondays=("week_start",),
    ),
    "support_tickets": TableRules(
        key=("ticket_id",),
        positive=("ticket_id",),
        references=(
            Reference("customer_id", "customers", "customer_id", "customer"),
            Reference("order_id", "orders", "order_id", "order"),
        ),
        not_before=(("resolved_at", "created_at"),),
    ),
}


@dataclass(frozen=True, slots=True)
class ValueFormat:
    """How a text cell becomes a typed value in SQL, and how to say what was expected."""

    noun: str
    expected: str
    parse: Callable[[str], str]  # SQL expression of a VARCHAR expression; NULL when it fails


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    sql_type: str
    required: bool
    format: ValueFormat | None  # None: text, taken as it is


_DATE = "[0-9]{4}-[0-9]{2}-[0-9]{2}"
_TIME = "[0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,6})?)?"
_TIMESTAMP_FORMATS = "['%Y-%m-%d %H:%M:%S.%f', '%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M']"
_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")

WHOLE_NUMBER = ValueFormat(
    "a whole number",
    "digits, like 1042",
    lambda v: (
        f"CASE WHEN regexp_full_match({v}, '[+-]?[0-9]{{1,18}}') THEN TRY_CAST({v} AS BIGINT) END"
    ),
)
DATE = ValueFormat(
    "a date",
    "YYYY-MM-DD",
    lambda v: (
        f"CASE WHEN regexp_full_match({v}, '{_DATE}') "
        f"THEN CAST(try_strptime({v}, '%Y-%m-%d') AS DATE) END"
    ),
)
TIMESTAMP = ValueFormat(
    "a date and time",
    "YYYY-MM-DD HH:MM:SS",
    lambda v: (
        f"CASE WHEN regexp_full_match({v}, '{_DATE}[ T]{_TIME}') "
        f"THEN try_strptime(replace({v}, 'T', ' '), {_TIMESTAMP_FORMATS}) END"
    ),
)
BOOLEAN = ValueFormat(
    "true or false",
    "true/false, yes/no or 1/0",
    lambda v: (
        f"CASE lower({v}) WHEN 'true' THEN true WHEN 'yes' THEN true WHEN '1' THEN true "
        "WHEN 'false' THEN false WHEN 'no' THEN false WHEN '0' THEN false END"
    ),
)


def _decimal(precision: int, scale: int) -> ValueFormat:
    pattern = f"[+-]?[0-9]{{1,{precision - scale}}}([.][0-9]{{1,{scale}}})?"
    return ValueFormat(
        "an amount",
        f"a number with up to {scale} decimals and no currency sign, like 1234.50",
        lambda v: (
            f"CASE WHEN regexp_full_match({v}, '{pattern}') "
            f"THEN TRY_CAST({v} AS DECIMAL({precision}, {scale})) END"
        ),
    )


def _value_format(sql_type: str) -> ValueFormat | None:
    if sql_type == "VARCHAR":
        return None
    if sql_type in ("BIGINT", "INTEGER"):
        return WHOLE_NUMBER
    if sql_type == "DATE":
        return DATE
    if sql_type == "TIMESTAMP":
        return TIMESTAMP
    if sql_type == "BOOLEAN":
        return BOOLEAN
    if decimal := _DECIMAL.fullmatch(sql_type):
        return _decimal(int(decimal[1]), int(decimal[2]))
    raise NotImplementedError(f"no import format for column type {sql_type}")


@functools.cache
def table_columns(table: str) -> tuple[Column, ...]:
    """The table's columns as ``schema.py`` defines them (read from a scratch DuckDB)."""
    with duckdb.connect() as scratch:
        scratch.execute(TABLES[table])
        described = scratch.execute(
            """
            SELECT column_name, data_type, is_nullable = 'NO'
            FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position
            """,
            [table],
        ).fetchall()
    return tuple(
        Column(name, sql_type, required, _value_format(sql_type))
        for name, sql_type, required in described
    )
