"""Hostile and bad cells: a recipient that is not one address, characters that break a header or
a terminal, dates and ids out of bounds — each refused with the file, the row, the column and
what was found, and the warehouse left as it was."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from integrations.importers import CsvSource, RowRejectedError, SourceRows, import_table
from integrations.warehouse import Warehouse

CUSTOMERS_HEADER = (
    "customer_id,first_name,last_name,email,signup_date,signup_channel,country,marketing_opt_in"
)
ORDERS_HEADER = "order_id,customer_id,order_date,amount,discount,category,channel"
SPEND_HEADER = "week_start,channel,spend,impressions,clicks"
TICKETS_HEADER = (
    "ticket_id,customer_id,order_id,created_at,topic,channel,status,resolved_at,escalated"
)
HEADERS = {
    "customers": CUSTOMERS_HEADER,
    "orders": ORDERS_HEADER,
    "marketing_spend": SPEND_HEADER,
    "support_tickets": TICKETS_HEADER,
}
# The clock of these tests: a year ahead is 2027-12-04 (LATEST_DAYS_AHEAD = 366).
TODAY = date(2026, 12, 3)


def _customer(
    *, first: str = "Ada", email: str = "ada@example.com", signup: str = "2025-01-10"
) -> list[str]:
    return ["6001", first, "Lovelace", email, signup, "organic", "GB", "true"]


def _csv_cell(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _write(folder: Path, table: str, row: list[str]) -> Path:
    path = folder / f"{table}.csv"
    with path.open("w", encoding="utf-8", newline="") as file:
        file.write(HEADERS[table] + "\n" + ",".join(_csv_cell(cell) for cell in row) + "\n")
    return path


def _count(warehouse: Warehouse, table: str) -> int:
    with warehouse.connect() as connection:
        return int(connection.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])


def _refused(warehouse: Warehouse, table: str, path: Path) -> RowRejectedError:
    before = _count(warehouse, table)
    with pytest.raises(RowRejectedError) as refused:
        import_table(warehouse, table, CsvSource(path), today=TODAY)
    assert _count(warehouse, table) == before
    assert "\n" not in str(refused.value)
    assert "\r" not in str(refused.value)
    return refused.value


@pytest.mark.parametrize(
    ("email", "reason"),
    [
        pytest.param(
            "victim@x.com, attacker@evil.com",
            "email: 'victim@x.com, attacker@evil.com' is not one email address: ",
            id="a list of two",
        ),
        pytest.param(
            "Attacker <a@evil.com>",
            "email: 'Attacker <a@evil.com>' is not one email address: ",
            id="a display name",
        ),
        pytest.param(
            "victim@x.com;b@evil.com",
            "email: 'victim@x.com;b@evil.com' is not one email address: ",
            id="a semicolon list",
        ),
        pytest.param("a@b@c.com", "email: 'a@b@c.com' is not one email address: ", id="two @"),
        pytest.param(
            "not-an-address", "email: 'not-an-address' is not one email address: ", id="no @"
        ),
    ],
)
def test_a_recipient_that_is_not_one_bare_address_is_refused(
    sample_warehouse: Warehouse, tmp_path: Path, email: str, reason: str
) -> None:
    path = _write(tmp_path, "customers", _customer(email=email))
    refused = _refused(sample_warehouse, "customers", path)
    assert (refused.source, refused.row) == (str(path), 2)
    assert refused.reason.startswith(reason)


@pytest.mark.parametrize(
    ("table", "row", "reason"),
    [
        pytest.param(
            "customers",
            _customer(first="Ada\r\nBcc: x@evil.com"),
            "first_name 'Ada\\r\\nBcc: x@evil.com' contains U+000D control character",
            id="CRLF in a name",
        ),
        pytest.param(
            "customers",
            _customer(email="ada@example.com\r"),
            "email 'ada@example.com\\r' contains U+000D control character",
            id="CR after an address",
        ),
        pytest.param(
            "customers",
            _customer(email="victim@x.com\nBcc: b@evil.com"),
            "email 'victim@x.com\\nBcc: b@evil.com' contains U+000A control character",
            id="LF and a header in an address",
        ),
        pytest.param(
            "customers",
            _customer(first="Ada\x00"),
            "first_name 'Ada\\x00' contains U+0000 control character",
            id="NUL",
        ),
        pytest.param(
            "customers",
            _customer(first="Ada\u2028Lovelace"),
            "first_name 'Ada\\u2028Lovelace' contains U+2028 LINE SEPARATOR",
            id="line separator",
        ),
        pytest.param(
            "customers",
            _customer(first="Ada\x1b[2J"),
            "first_name 'Ada\\x1b[2J' contains U+001B control character",
            id="terminal escape",
        ),
        pytest.param(
            "orders",
            ["900001", "1", "2026-11-20", "10.00", "0.00", "Foot\u202ewear", "email"],
            "category 'Foot\\u202ewear' contains U+202E RIGHT-TO-LEFT OVERRIDE",
            id="bidi override",
        ),
        pytest.param(
            "orders",
            ["900001", "1", "2026-11-20", "10.00", "0.00", "Footwear", "em\u200bail"],
            "channel 'em\\u200bail' contains U+200B ZERO WIDTH SPACE",
            id="zero-width space",
        ),
        pytest.param(
            "support_tickets",
            ["900001", "1", "", "2026-11-20 10:00", "ship\tping", "chat", "open", "", "no"],
            "topic 'ship\\tping' contains U+0009 control character",
            id="tab",
        ),
    ],
)
def test_a_control_or_invisible_character_in_a_cell_is_refused_naming_the_column_and_it(
    sample_warehouse: Warehouse, tmp_path: Path, table: str, row: list[str], reason: str
) -> None:
    path = _write(tmp_path, table, row)
    refused = _refused(sample_warehouse, table, path)
    assert str(refused) == f"{path} row 2: {reason}: use plain text on one line"


def test_a_control_character_in_the_header_is_refused_as_row_1(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(
        CUSTOMERS_HEADER.replace("country", "country\x07") + "\n" + ",".join(_customer()) + "\n"
    )
    refused = _refused(sample_warehouse, "customers", path)
    assert str(refused) == (
        f"{path} row 1: column 7 'country\\x07' contains U+0007 control character: use plain text"
    )


def test_a_google_sheet_goes_through_the_same_character_checks(
    sample_warehouse: Warehouse,
) -> None:
    class Pasted:
        name = "sheet 'Customers' of spreadsheet abc"

        def read(self) -> SourceRows:
            return SourceRows.from_records(
                [CUSTOMERS_HEADER.split(","), _customer(first="Ada\r\nBcc: x@evil.com")]
            )

    with pytest.raises(RowRejectedError, match=r"^sheet 'Customers' .* row 2: first_name 'Ada\\r"):
        import_table(sample_warehouse, "customers", Pasted(), today=TODAY)


@pytest.mark.parametrize(
    ("table", "row", "reason"),
    [
        pytest.param(
            "orders",
            ["900001", "1", "9999-12-31", "10.00", "0.00", "Footwear", "email"],
            "order_date '9999-12-31' is after 2027-12-04 (a year from today: the latest date "
            "taken)",
            id="an order in 9999",
        ),
        pytest.param(
            "orders",
            ["900001", "1", "0001-01-01", "10.00", "0.00", "Footwear", "email"],
            "order_date '0001-01-01' is before 1990-01-01 (the earliest date an import takes)",
            id="an order in year 1",
        ),
        pytest.param(
            "orders",
            ["900001", "1", "1989-12-31", "10.00", "0.00", "Footwear", "email"],
            "order_date '1989-12-31' is before 1990-01-01 (the earliest date an import takes)",
            id="an order the day before the bound",
        ),
        pytest.param(
            "customers",
            _customer(signup="9999-12-31"),
            "signup_date '9999-12-31' is after 2027-12-04 (a year from today: the latest date "
            "taken)",
            id="a signup in 9999",
        ),
        pytest.param(
            "customers",
            _customer(signup="0001-01-01"),
            "signup_date '0001-01-01' is before 1990-01-01 (the earliest date an import takes)",
            id="a signup in year 1",
        ),
        pytest.param(
            "marketing_spend",
            ["9999-12-27", "email", "1.00", "10", "1"],
            "week_start '9999-12-27' is after 2027-12-04 (a year from today: the latest date "
            "taken)",
            id="spend in 9999",
        ),
        pytest.param(
            "support_tickets",
            ["900001", "1", "", "9999-12-31 10:00:00", "shipping", "chat", "open", "", "no"],
            "created_at '9999-12-31 10:00:00' is after 2027-12-04 (a year from today: the latest "
            "date taken)",
            id="a ticket in 9999",
        ),
        pytest.param(
            "customers",
            ["0", *_customer()[1:]],
            "customer_id '0' is not positive (ids start at 1)",
            id="customer id 0",
        ),
        pytest.param(
            "customers",
            ["-6001", *_customer()[1:]],
            "customer_id '-6001' is not positive (ids start at 1)",
            id="a negative customer id",
        ),
        pytest.param(
            "orders",
            ["-5", "1", "2026-11-20", "10.00", "0.00", "Footwear", "email"],
            "order_id '-5' is not positive (ids start at 1)",
            id="a negative order id",
        ),
        pytest.param(
            "support_tickets",
            ["0", "1", "", "2026-11-20 10:00:00", "shipping", "chat", "open", "", "no"],
            "ticket_id '0' is not positive (ids start at 1)",
            id="ticket id 0",
        ),
    ],
)
def test_a_date_or_an_id_out_of_bounds_is_refused_with_the_bound(
    sample_warehouse: Warehouse, tmp_path: Path, table: str, row: list[str], reason: str
) -> None:
    path = _write(tmp_path, table, row)
    assert str(_refused(sample_warehouse, table, path)) == f"{path} row 2: {reason}"


def test_the_date_bounds_are_inclusive_and_the_day_after_is_refused(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(
        f"{ORDERS_HEADER}\n"
        "900001,1,1990-01-01,10.00,0.00,Footwear,email\n"
        "900002,1,2027-12-04,10.00,0.00,Footwear,email\n"
    )
    assert import_table(sample_warehouse, "orders", CsvSource(path), today=TODAY).rows == 2

    later = tmp_path / "later.csv"
    later.write_text(f"{ORDERS_HEADER}\n900003,1,2027-12-05,10.00,0.00,Footwear,email\n")
    with pytest.raises(RowRejectedError, match="order_date '2027-12-05' is after 2027-12-04"):
        import_table(sample_warehouse, "orders", CsvSource(later), today=TODAY)


def test_clean_text_still_imports_from_an_excel_csv_with_crlf_line_ends(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    # A guard, not a bug: the checks must not refuse a no-break space in a name, spaces around
    # an address, or the CRLF that ends every record of a CSV saved by Excel.
    path = tmp_path / "customers.csv"
    row = _customer(first="Ada\u00a0Maria", email=" ada@Example.com ")
    path.write_bytes(f"{CUSTOMERS_HEADER}\r\n{','.join(row)}\r\n".encode())
    assert import_table(sample_warehouse, "customers", CsvSource(path), today=TODAY).rows == 1
    with sample_warehouse.connect() as connection:
        stored = connection.execute(
            "SELECT first_name, email FROM customers WHERE customer_id = 6001"
        ).fetchall()
    assert stored == [("Ada\u00a0Maria", "ada@Example.com")]
