"""Writing the control room's results to a spreadsheet (the weekly digest's rows).

``DigestSheet`` is what a workflow is given; ``GoogleDigestSheet`` (in
``integrations.sheets.google``, the only module here that imports gspread) is the production one,
built by the composition root only when ``GOOGLE_SERVICE_ACCOUNT_FILE`` and ``GOOGLE_SHEET_ID``
are set. Without them nothing is written: the warehouse already holds every figure.

Exceptions::

    SheetsError
     └── SheetsUnavailableError   the spreadsheet cannot be reached, found, or written
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

Cell = str | int | float | None


class SheetsError(RuntimeError):
    """Base of the sheets adapter's exceptions."""


class SheetsUnavailableError(SheetsError):
    """The spreadsheet cannot be reached, found, or written; the message says what to check."""


class DigestSheet(Protocol):
    """A worksheet that digest rows are appended to."""

    @property
    def name(self) -> str:
        """Where the rows go, for messages: ``worksheet 'Weekly digest' of spreadsheet <id>``."""
        ...

    def append_rows(self, header: Sequence[str], rows: Sequence[Sequence[Cell]]) -> int:
        """Append ``rows`` (after writing ``header`` if the worksheet is new or empty); return
        how many rows were appended."""
        ...


__all__ = ["Cell", "DigestSheet", "SheetsError", "SheetsUnavailableError"]
