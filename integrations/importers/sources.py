"""Where imported rows come from: one small protocol, and CSV files behind it.

A source only reads: it returns the header and the rows as strings, each row with the number a
person sees in a spreadsheet (the header is row 1). Every check happens later, once, in
``integrations.importers.engine``.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

from integrations.importers._exceptions import RowRejectedError, SourceUnavailableError

logger = logging.getLogger(__name__)

ROWS_SCHEMA = pa.schema([("row_number", pa.int64()), ("cells", pa.list_(pa.string()))])


@dataclass(frozen=True, slots=True)
class SourceRows:
    """A header and an Arrow table of rows: ``row_number`` (int64) and ``cells`` (list<string>).

    Rows may be shorter or longer than the header; the engine reads a missing cell as empty and
    refuses a value in a column without a name.
    """

    header: tuple[str, ...]
    rows: Any  # pa.Table with ROWS_SCHEMA (pyarrow has no type stubs)

    @classmethod
    def from_records(cls, records: Sequence[Sequence[str]]) -> SourceRows:
        """Records as read, the header first: record ``i`` (0-based) is row ``i + 1``."""
        header = tuple(records[0]) if records else ()
        body = list(records[1:])
        rows = pa.table(
            {
                "row_number": pa.array(range(2, len(body) + 2), type=pa.int64()),
                "cells": pa.array(body, type=pa.list_(pa.string())),
            },
            schema=ROWS_SCHEMA,
        )
        return cls(header=header, rows=rows)


class TableSource(Protocol):
    """Something rows can be imported from: a CSV file, a worksheet of a Google spreadsheet."""

    @property
    def name(self) -> str:
        """How messages name the source: ``orders.csv``, ``sheet 'Orders' of spreadsheet …``."""
        ...

    def read(self) -> SourceRows:
        """Every row as strings; raises ``SourceUnavailableError`` when it cannot be read."""
        ...


class CsvSource:
    """A UTF-8 CSV file (comma-separated, header in the first row; a BOM is fine).

    Row numbers count records as a spreadsheet shows them: a quoted value that spans lines is one
    row, and a blank line is a row (skipped on import).
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def name(self) -> str:
        """The path as the user gave it."""
        return str(self.path)

    def read(self) -> SourceRows:
        """Parse the whole file; a malformed record is refused with its row number."""
        records: list[list[str]] = []
        try:
            with self.path.open(encoding="utf-8-sig", newline="") as file:
                # extend() keeps the records read before a malformed one: its row is the next.
                records.extend(csv.reader(file, strict=True))
        except FileNotFoundError:
            raise SourceUnavailableError(f"{self.name}: no such file") from None
        except IsADirectoryError:
            raise SourceUnavailableError(f"{self.name}: is a directory, not a CSV file") from None
        except PermissionError:
            raise SourceUnavailableError(f"{self.name}: permission denied") from None
        except UnicodeDecodeError:
            raise SourceUnavailableError(
                f"{self.name}: is not UTF-8 text (save it as CSV UTF-8)"
            ) from None
        except csv.Error as error:
            raise RowRejectedError(
                self.name, len(records) + 1, f"is not valid CSV ({error})"
            ) from None
        logger.debug("read %d records from %s", len(records), self.name)
        return SourceRows.from_records(records)
