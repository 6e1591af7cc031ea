"""Google Sheets imports: the real gspread client against a local fake of the Sheets v4 API."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import gspread
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.oauth2 import service_account
from typer.testing import CliRunner

from controlroom.cli import app
from integrations.importers import (
    RowRejectedError,
    SheetSource,
    SourceUnavailableError,
    google_sheets_client,
    import_table,
)
from integrations.importers.sheets import READ_ONLY_SCOPES
from integrations.warehouse import Warehouse
from tests.fakes.sheets_server import FakeSheetsServer

SPREADSHEET_ID = "1TwoPeaksImportsFakeSheetId0123456789abcd"
TICKETS = [
    ["ticket_id", "customer_id", "created_at", "topic", "channel", "status", "escalated"]
    + ["resolved_at"],
    ["900001", "12", "2026-11-20 09:30:00", "shipping", "chat", "resolved", "FALSE"]
    + ["2026-11-20 11:00:00"],
    # Google leaves out trailing empty cells; gspread pads the row back to the header's width.
    ["900002", "13", "2026-11-21 14:00:00", "returns", "email", "open", "TRUE"],
]
SPEND = [
    ["week_start", "channel", "spend", "impressions", "clicks"],
    ["2026-11-30", "paid_search", "1250.00", "410000", "8200"],
    ["2026-11-30", "paid_social", "980.50", "515000", "5150"],
]


def _counts(warehouse: Warehouse) -> dict[str, int]:
    with warehouse.connect() as connection:
        return {
            table: connection.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
            for table in ("customers", "orders", "marketing_spend", "support_tickets")
        }


def test_a_good_sheet_imports_through_the_real_gspread_client(
    sample_warehouse: Warehouse, fake_sheets: FakeSheetsServer, sheets_client: gspread.Client
) -> None:
    fake_sheets.add_spreadsheet(SPREADSHEET_ID, {"Spend": SPEND, "Tickets": TICKETS})
    before = _counts(sample_warehouse)

    result = import_table(
        sample_warehouse, "support_tickets", SheetSource(sheets_client, SPREADSHEET_ID, "Tickets")
    )

    assert result.rows == 2
    assert result.source == f"sheet 'Tickets' of spreadsheet {SPREADSHEET_ID}"
    assert _counts(sample_warehouse)["support_tickets"] == before["support_tickets"] + 2
    with sample_warehouse.connect() as connection:
        imported = connection.execute(
            "SELECT ticket_id, customer_id, resolved_at, escalated FROM support_tickets "
            "WHERE ticket_id > 900000 ORDER BY ticket_id"
        ).fetchall()
    assert imported == [
        (900_001, 12, datetime(2026, 11, 20, 11, 0), False),
        (900_002, 13, None, True),
    ]
    # gspread asked for the metadata (open_by_key, worksheet) and the values of the sheet.
    assert [request.split("?")[0] for request in fake_sheets.received] == [
        f"GET /v4/spreadsheets/{SPREADSHEET_ID}",
        f"GET /v4/spreadsheets/{SPREADSHEET_ID}",
        f"GET /v4/spreadsheets/{SPREADSHEET_ID}/values/%27Tickets%27",
    ]


def test_a_bad_sheet_row_names_the_sheet_and_the_row_and_imports_nothing(
    sample_warehouse: Warehouse, fake_sheets: FakeSheetsServer, sheets_client: gspread.Client
) -> None:
    spend = [*SPEND, ["2026-11-30", "email", "1,024.00", "0", "0"]]
    fake_sheets.add_spreadsheet(SPREADSHEET_ID, {"Spend": spend})
    before = _counts(sample_warehouse)

    with pytest.raises(RowRejectedError) as refused:
        import_table(
            sample_warehouse, "marketing_spend", SheetSource(sheets_client, SPREADSHEET_ID, "Spend")
        )

    assert str(refused.value) == (
        f"sheet 'Spend' of spreadsheet {SPREADSHEET_ID} row 4: spend '1,024.00' is not an amount "
        "(expected a number with up to 2 decimals and no currency sign, like 1234.50)"
    )
    assert _counts(sample_warehouse) == before


def test_rows_below_empty_rows_keep_their_sheet_row_numbers(
    sample_warehouse: Warehouse, fake_sheets: FakeSheetsServer, sheets_client: gspread.Client
) -> None:
    spend = [SPEND[0], SPEND[1], [], ["", "", ""], ["2026-12-01", "email", "5.00", "0", "0"]]
    fake_sheets.add_spreadsheet(SPREADSHEET_ID, {"Spend": spend})
    with pytest.raises(RowRejectedError) as refused:
        import_table(
            sample_warehouse, "marketing_spend", SheetSource(sheets_client, SPREADSHEET_ID, "Spend")
        )
    assert (refused.value.row, refused.value.reason) == (
        5,
        "week_start '2026-12-01' is not a Monday",
    )


def test_an_unknown_spreadsheet_is_refused_in_one_line(
    sample_warehouse: Warehouse, sheets_client: gspread.Client
) -> None:
    with pytest.raises(SourceUnavailableError, match="^spreadsheet nope not found \\(check the ID"):
        import_table(sample_warehouse, "orders", SheetSource(sheets_client, "nope", "Orders"))


def test_an_unknown_worksheet_is_refused_naming_it(
    sample_warehouse: Warehouse, fake_sheets: FakeSheetsServer, sheets_client: gspread.Client
) -> None:
    fake_sheets.add_spreadsheet(SPREADSHEET_ID, {"Spend": SPEND})
    with pytest.raises(SourceUnavailableError) as refused:
        import_table(sample_warehouse, "orders", SheetSource(sheets_client, SPREADSHEET_ID, "Ord"))
    assert str(refused.value) == f"spreadsheet {SPREADSHEET_ID} has no worksheet 'Ord'"


def test_a_spreadsheet_not_shared_with_the_service_account_is_refused(
    sample_warehouse: Warehouse, fake_sheets: FakeSheetsServer, sheets_client: gspread.Client
) -> None:
    fake_sheets.add_spreadsheet(SPREADSHEET_ID, {"Spend": SPEND}, shared=False)
    with pytest.raises(SourceUnavailableError, match="permission denied \\(share the sheet"):
        import_table(
            sample_warehouse, "orders", SheetSource(sheets_client, SPREADSHEET_ID, "Spend")
        )


def test_an_empty_worksheet_is_refused_for_want_of_a_header(
    sample_warehouse: Warehouse, fake_sheets: FakeSheetsServer, sheets_client: gspread.Client
) -> None:
    fake_sheets.add_spreadsheet(SPREADSHEET_ID, {"Empty": []})
    with pytest.raises(RowRejectedError, match="row 1: no header"):
        import_table(
            sample_warehouse, "orders", SheetSource(sheets_client, SPREADSHEET_ID, "Empty")
        )


def test_the_fake_answers_an_unknown_range_in_googles_error_shape(
    fake_sheets: FakeSheetsServer, sheets_client: gspread.Client
) -> None:
    fake_sheets.add_spreadsheet(SPREADSHEET_ID, {"Spend": SPEND})
    spreadsheet = sheets_client.open_by_key(SPREADSHEET_ID)
    with pytest.raises(gspread.exceptions.APIError) as refused:
        spreadsheet.values_get("'Nope'")
    assert refused.value.code == 400
    assert refused.value.error["status"] == "INVALID_ARGUMENT"


def _service_account_file(folder: Path) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    path = folder / "service-account.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "two-peaks-test",
                "private_key_id": "0123456789abcdef",
                "private_key": pem,
                "client_email": "importer@two-peaks-test.iam.gserviceaccount.com",
                "client_id": "1234567890",
                "token_uri": "https://oauth2.googleapis.com/token",
            }
        )
    )
    return path


def test_the_production_client_reads_a_service_account_file_with_a_read_only_scope(
    tmp_path: Path,
) -> None:
    client = google_sheets_client(_service_account_file(tmp_path))
    credentials = client.http_client.auth
    assert isinstance(credentials, service_account.Credentials)
    assert tuple(credentials.scopes) == READ_ONLY_SCOPES
    assert credentials.service_account_email == "importer@two-peaks-test.iam.gserviceaccount.com"
    assert client.http_client.timeout == 30.0
    client.http_client.session.close()


def test_a_service_account_file_that_is_not_one_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "key.json"
    path.write_text('{"type": "service_account"}')
    with pytest.raises(SourceUnavailableError, match="not a service account JSON key file"):
        google_sheets_client(path)
    with pytest.raises(SourceUnavailableError, match="no such service account file"):
        google_sheets_client(tmp_path / "missing.json")


def test_the_cli_imports_a_sheet_with_the_configured_service_account(
    sample_warehouse: Warehouse,
    fake_sheets: FakeSheetsServer,
    sheets_client: gspread.Client,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    fake_sheets.add_spreadsheet(SPREADSHEET_ID, {"Spend": SPEND})
    key_file = _service_account_file(tmp_path)
    monkeypatch.setenv("GOOGLE_SERVICE_ACCOUNT_FILE", str(key_file))
    monkeypatch.setenv("GOOGLE_SHEET_ID", SPREADSHEET_ID)
    opened: list[Path] = []

    def client_for(path: Path) -> gspread.Client:
        opened.append(path)
        return sheets_client

    # The one seam: the production client would call Google; this one calls the fake.
    monkeypatch.setattr("integrations.importers.google_sheets_client", client_for)

    result = CliRunner().invoke(app, ["data", "import", "marketing_spend", "--worksheet", "Spend"])

    assert result.exit_code == 0, result.output
    assert opened == [key_file]
    assert "Imported 2 rows into marketing_spend from sheet 'Spend'" in result.output
    assert _counts(sample_warehouse)["marketing_spend"] > 0


def test_the_cli_says_to_configure_a_service_account_before_importing_a_sheet(
    sample_warehouse: Warehouse,
) -> None:
    result = CliRunner().invoke(
        app, ["data", "import", "orders", "--sheet", SPREADSHEET_ID, "--worksheet", "Orders"]
    )
    assert result.exit_code == 2
    assert "configuration error: set GOOGLE_SERVICE_ACCOUNT_FILE" in result.output
    assert "Traceback" not in result.output
