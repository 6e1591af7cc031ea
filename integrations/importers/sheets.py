"""Google Sheets as an import source, read with gspread.

Only this module and ``integrations.sheets`` import gspread; this one translates their errors into
the importers' own (``SourceUnavailableError``), so nothing above it needs to know about Google.
"""

from __future__ import annotations

import logging
from pathlib import Path

import gspread

from integrations.importers._exceptions import SourceUnavailableError
from integrations.importers.sources import SourceRows
from integrations.sheets import SheetsUnavailableError
from integrations.sheets.google import google_sheets_errors, service_account_client

logger = logging.getLogger(__name__)

# Reading is all an import does: ask for no more than that.
READ_ONLY_SCOPES = ("https://www.googleapis.com/auth/spreadsheets.readonly",)


def google_sheets_client(service_account_file: Path) -> gspread.Client:
    """A read-only client for imports (``integrations.sheets`` builds it)."""
    try:
        return service_account_client(service_account_file, scopes=READ_ONLY_SCOPES)
    except SheetsUnavailableError as error:
        raise SourceUnavailableError(str(error)) from None


class SheetSource:
    """One worksheet of a Google spreadsheet; its first row is the header.

    Values are read as the sheet shows them (formatted), so a date must be displayed as
    YYYY-MM-DD and an amount without a currency sign or thousands separators.
    """

    def __init__(self, client: gspread.Client, spreadsheet_id: str, worksheet: str) -> None:
        self.client = client
        self.spreadsheet_id = spreadsheet_id
        self.worksheet = worksheet

    @property
    def name(self) -> str:
        """``sheet 'Orders' of spreadsheet <id>``."""
        return f"sheet '{self.worksheet}' of spreadsheet {self.spreadsheet_id}"

    def read(self) -> SourceRows:
        """Fetch every value of the worksheet (two requests: metadata, then values)."""
        try:
            with google_sheets_errors(self.spreadsheet_id, self.name, check="check the ID"):
                spreadsheet = self.client.open_by_key(self.spreadsheet_id)
                values = spreadsheet.worksheet(self.worksheet).get_all_values()
        except gspread.WorksheetNotFound:
            raise SourceUnavailableError(
                f"spreadsheet {self.spreadsheet_id} has no worksheet '{self.worksheet}'"
            ) from None
        except SheetsUnavailableError as error:
            raise SourceUnavailableError(str(error)) from None
        logger.debug("read %d rows from %s", len(values), self.name)
        return SourceRows.from_records(values)  # an empty worksheet is [[]]: no header
