"""``GoogleDigestSheet``: digest rows appended to a Google Sheets worksheet with gspread.

Only this module (and the importers' reader) imports gspread; it translates gspread's and
Google's errors into ``SheetsUnavailableError``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import gspread
from google.auth.exceptions import GoogleAuthError
from gspread.utils import ValueInputOption
from requests import RequestException

from integrations.sheets import Cell, SheetsUnavailableError

logger = logging.getLogger(__name__)

# Appending rows needs write access to spreadsheets, nothing more (no Drive scope).
WRITE_SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)
REQUEST_TIMEOUT_SECONDS = 30.0
DEFAULT_WORKSHEET = "Weekly digest"


def service_account_client(
    service_account_file: Path, *, scopes: Sequence[str] = WRITE_SCOPES
) -> gspread.Client:
    """The production client: a service account's JSON key file, the given scopes, a timeout."""
    try:
        client = gspread.service_account(filename=service_account_file, scopes=list(scopes))
    except FileNotFoundError:
        raise SheetsUnavailableError(
            f"{service_account_file}: no such service account file (GOOGLE_SERVICE_ACCOUNT_FILE)"
        ) from None
    except (ValueError, KeyError) as error:
        raise SheetsUnavailableError(
            f"{service_account_file}: not a service account JSON key file ({error})"
        ) from None
    client.set_timeout(REQUEST_TIMEOUT_SECONDS)
    return client


def google_sheets_writer_client(service_account_file: Path) -> gspread.Client:
    """A client allowed to append rows (write scope, no Drive scope)."""
    return service_account_client(service_account_file, scopes=WRITE_SCOPES)


@contextmanager
def google_sheets_errors(
    spreadsheet_id: str, name: str, *, check: str, access: str = ""
) -> Iterator[None]:
    """Google's failures as ``SheetsUnavailableError`` saying what to check: ``check`` names
    where the spreadsheet id comes from, ``access`` the sharing the service account needs."""
    try:
        yield
    except gspread.SpreadsheetNotFound:
        raise SheetsUnavailableError(
            f"spreadsheet {spreadsheet_id} not found "
            f"({check}, and share the sheet with the service account's email)"
        ) from None
    except PermissionError:  # what gspread raises for Google's 403 on open_by_key
        raise SheetsUnavailableError(
            f"spreadsheet {spreadsheet_id}: permission denied "
            f"(share the sheet with the service account's email{access})"
        ) from None
    except gspread.exceptions.APIError as error:
        raise SheetsUnavailableError(
            f"{name}: Google Sheets answered {error.code}: {error.error.get('message')}"
        ) from None
    except (RequestException, GoogleAuthError) as error:
        raise SheetsUnavailableError(
            f"{name}: Google Sheets unavailable ({type(error).__name__})"
        ) from None


class GoogleDigestSheet:
    """One worksheet of a Google spreadsheet; created (with the header) when missing."""

    def __init__(
        self, client: gspread.Client, spreadsheet_id: str, worksheet: str = DEFAULT_WORKSHEET
    ) -> None:
        self.client = client
        self.spreadsheet_id = spreadsheet_id
        self.worksheet = worksheet

    @property
    def name(self) -> str:
        return f"worksheet '{self.worksheet}' of spreadsheet {self.spreadsheet_id}"

    def append_rows(self, header: Sequence[str], rows: Sequence[Sequence[Cell]]) -> int:
        """Append ``rows`` in one request (two more the first time: add the sheet, the header).

        Values are sent RAW: a date string stays text and a number stays a number.
        """
        with google_sheets_errors(
            self.spreadsheet_id, self.name, check="check GOOGLE_SHEET_ID", access=", as an editor"
        ):
            spreadsheet = self.client.open_by_key(self.spreadsheet_id)
            try:
                sheet = spreadsheet.worksheet(self.worksheet)
                new = not sheet.row_values(1)
            except gspread.WorksheetNotFound:
                sheet = spreadsheet.add_worksheet(self.worksheet, rows=1000, cols=len(header))
                new = True
            values: list[list[Any]] = [list(row) for row in rows]
            if new:
                values.insert(0, list(header))
            sheet.append_rows(values, value_input_option=ValueInputOption.raw)
        logger.debug("appended %d rows to %s", len(rows), self.name)
        return len(rows)
