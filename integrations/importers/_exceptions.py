"""The importers' exceptions: every one means the warehouse is as it was.

Exceptions::

    ImportRejectedError           the import was refused as a whole (a user mistake)
     ├── RowRejectedError         a bad row, or a bad header (row 1): .source, .row, .reason
     └── SourceUnavailableError   the file or sheet could not be read (missing, not shared,
                                  not UTF-8, Google answered with an error)
"""

from __future__ import annotations


class ImportRejectedError(ValueError):
    """An import refused as a whole; the warehouse is as it was."""


class RowRejectedError(ImportRejectedError):
    """A row (or the header, row 1) that cannot be imported: ``source row N: reason``."""

    def __init__(self, source: str, row: int, reason: str) -> None:
        super().__init__(f"{source} row {row}: {reason}")
        self.source = source
        self.row = row
        self.reason = reason


class SourceUnavailableError(ImportRejectedError):
    """The file or the sheet could not be read at all."""
