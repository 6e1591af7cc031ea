"""Importers: CSV files and Google Sheets into the warehouse, all or nothing.

Every source implements ``TableSource`` (a name for messages, and ``read()`` giving the header
and the rows as text); ``import_table`` checks all rows in DuckDB and appends them in one
transaction, or refuses the import naming the source, the row (the header is row 1) and why.

Exceptions::

    ImportRejectedError           the import was refused as a whole; the warehouse is as it was
     ├── RowRejectedError         a bad row, or a bad header (row 1): .source, .row, .reason
     └── SourceUnavailableError   the file or sheet could not be read
"""

from integrations.importers._exceptions import (
    ImportRejectedError,
    RowRejectedError,
    SourceUnavailableError,
)
from integrations.importers.engine import IMPORTABLE_TABLES, ImportResult, import_table
from integrations.importers.sheets import SheetSource, google_sheets_client
from integrations.importers.sources import CsvSource, SourceRows, TableSource

__all__ = [
    "IMPORTABLE_TABLES",
    "CsvSource",
    "ImportRejectedError",
    "ImportResult",
    "RowRejectedError",
    "SheetSource",
    "SourceRows",
    "SourceUnavailableError",
    "TableSource",
    "google_sheets_client",
    "import_table",
]
