"""CSV imports: good files append their rows, a refused column, file or table is named in one
line, any table source goes through the same checks, and a bad row is reported by its row."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integrations.importers import (
    CsvSource,
    ImportRejectedError,
    RowRejectedError,
    SourceRows,
    SourceUnavailableError,
    import_table,
)
from integrations.warehouse import Warehouse, WarehouseNotSeededError
from tests.unit._importer_csv_rows import (
    CUSTOMERS_HEADER,
    ORDERS_HEADER,
    good_order,
    import_refused,
    table_contents,
    write_csv,
)


def test_a_good_csv_appends_its_rows_with_their_types(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    before = table_contents(sample_warehouse)
    path = write_csv(
        tmp_path,
        "orders.csv",
        ORDERS_HEADER,
        good_order(900_001, customer_id=17, amount="120.00"),
        "900002,42,2026-11-21,9.5,1.25,Camping,organic",
    )

    result = import_table(sample_warehouse, "orders", CsvSource(path))

    assert (result.rows, result.table, result.source) == (2, "orders", str(path))
    with sample_warehouse.connect() as connection:
        imported = connection.execute(
            "SELECT * FROM orders WHERE order_id > 900000 ORDER BY order_id"
        ).fetchall()
    assert imported == [
        (900_001, 17, date(2026, 11, 20), Decimal("120.00"), Decimal("0.00"), "Footwear", "email"),
        (900_002, 42, date(2026, 11, 21), Decimal("9.50"), Decimal("1.25"), "Camping", "organic"),
    ]
    assert table_contents(sample_warehouse)["orders"][0] == before["orders"][0] + 2
    assert table_contents(sample_warehouse)["customers"] == before["customers"]


def test_headers_written_by_people_match_and_optional_columns_may_be_left_out(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path,
        "tickets.csv",
        "Ticket ID, Customer ID ,Created At,Topic,Channel,Status,Escalated",
        "900001,3,2026-11-20T09:30:00,shipping,chat,open,yes",
        "900002,4,2026-11-21 10:15,returns,email,open,FALSE",
    )

    assert import_table(sample_warehouse, "support_tickets", CsvSource(path)).rows == 2

    with sample_warehouse.connect() as connection:
        imported = connection.execute(
            "SELECT ticket_id, order_id, created_at, resolved_at, escalated FROM support_tickets "
            "WHERE ticket_id > 900000 ORDER BY ticket_id"
        ).fetchall()
    assert imported == [
        (900_001, None, datetime(2026, 11, 20, 9, 30), None, True),
        (900_002, None, datetime(2026, 11, 21, 10, 15), None, False),
    ]


def test_blank_lines_are_skipped_but_still_count_as_rows(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path,
        "orders.csv",
        ORDERS_HEADER,
        good_order(900_001),
        "",
        ",,,,,,",
        "900002,1,2026-11-20,-3.00,0,Footwear,email",
    )
    assert import_refused(sample_warehouse, "orders", path).row == 5


def test_a_missing_column_is_refused_naming_it_and_the_warehouse_is_unchanged(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path,
        "orders.csv",
        "order_id,customer_id,order_date,category,channel",
        "900001,1,2026-11-20,Footwear,email",
    )
    refused = import_refused(sample_warehouse, "orders", path)
    assert str(refused).startswith(f"{path} row 1: missing columns 'amount', 'discount' (orders")


def test_an_unknown_column_is_refused_naming_it(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, "orders.csv", ORDERS_HEADER + ",coupon", good_order(900_001) + ",X")
    refused = import_refused(sample_warehouse, "orders", path)
    assert (refused.row, refused.reason.split(" (")[0]) == (1, "unknown column 'coupon'")


def test_a_misspelt_column_is_reported_as_missing_and_unknown_in_one_line(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, "orders.csv", ORDERS_HEADER.replace("amount", "ammount"))
    refused = import_refused(sample_warehouse, "orders", path)
    assert refused.reason.startswith("missing column 'amount'; unknown column 'ammount' (")


def test_a_new_customer_and_then_her_orders_can_be_imported(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    customers = write_csv(
        tmp_path,
        "customers.csv",
        CUSTOMERS_HEADER,
        "5001,Ada,Lovelace,ada@example.com,2026-11-20,organic,GB,true",
    )
    orders = write_csv(tmp_path, "orders.csv", ORDERS_HEADER, good_order(900_001, 5001))

    assert import_table(sample_warehouse, "customers", CsvSource(customers)).rows == 1
    assert import_table(sample_warehouse, "orders", CsvSource(orders)).rows == 1


def test_a_missing_file_is_refused_in_one_line(sample_warehouse: Warehouse, tmp_path: Path) -> None:
    with pytest.raises(SourceUnavailableError, match=r"nowhere\.csv: no such file$"):
        import_table(sample_warehouse, "orders", CsvSource(tmp_path / "nowhere.csv"))


def test_a_file_that_is_not_utf8_is_refused(sample_warehouse: Warehouse, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes(
        f"{ORDERS_HEADER}\n900001,1,2026-11-20,1.00,0,Caf\xe9,email\n".encode("latin-1")
    )
    with pytest.raises(SourceUnavailableError, match="is not UTF-8 text"):
        import_table(sample_warehouse, "orders", CsvSource(path))


def test_broken_quoting_is_refused_with_its_row(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path, "orders.csv", ORDERS_HEADER, good_order(900_001), '900002,"1"x,2026-11-20'
    )
    refused = import_refused(sample_warehouse, "orders", path)
    assert refused.row == 3
    assert refused.reason.startswith("is not valid CSV (")


def test_an_empty_file_is_refused_for_want_of_a_header(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("")
    refused = import_refused(sample_warehouse, "orders", path)
    assert refused.row == 1
    assert refused.reason.startswith("no header (row 1 must name the columns: order_id, ")


def test_a_header_without_rows_imports_nothing(sample_warehouse: Warehouse, tmp_path: Path) -> None:
    path = write_csv(tmp_path, "orders.csv", ORDERS_HEADER)
    assert import_table(sample_warehouse, "orders", CsvSource(path)).rows == 0


def test_a_table_that_cannot_be_imported_is_refused(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, "info.csv", "key,value", "source,me")
    with pytest.raises(ImportRejectedError, match="cannot import into 'dataset_info' \\(choose"):
        import_table(sample_warehouse, "dataset_info", CsvSource(path))


def test_importing_before_the_warehouse_is_seeded_says_to_seed_it(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "orders.csv", ORDERS_HEADER, good_order(900_001))
    with pytest.raises(WarehouseNotSeededError, match="controlroom data seed"):
        import_table(Warehouse(tmp_path / "none.duckdb"), "orders", CsvSource(path))
    assert not (tmp_path / "none.duckdb").exists()


class _ListSource:
    """Rows from memory: the smallest ``TableSource``."""

    name = "pasted rows"

    def __init__(self, records: list[list[str]]) -> None:
        self.records = records

    def read(self) -> SourceRows:
        return SourceRows.from_records(self.records)


def test_any_table_source_imports_through_the_same_checks(sample_warehouse: Warehouse) -> None:
    source = _ListSource([ORDERS_HEADER.split(","), good_order(900_001, 0).split(",")])
    with pytest.raises(RowRejectedError, match="^pasted rows row 2: customer_id '0' is not a kno"):
        import_table(sample_warehouse, "orders", source)


@settings(
    max_examples=40,
    deadline=None,
    # The warehouse fixture is shared by the examples on purpose: each refused import leaves it
    # as it was, which is what the property also checks.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    layout=st.lists(st.sampled_from(["good", "blank"]), max_size=30),
    bad_at=st.integers(min_value=0, max_value=30),
    bad=st.sampled_from(["stray", "line break"]),
)
def test_the_reported_row_is_the_bad_rows_spreadsheet_row_wherever_it_is(
    sample_warehouse: Warehouse, tmp_path: Path, layout: list[str], bad_at: int, bad: str
) -> None:
    bad_at = min(bad_at, len(layout))
    records = [ORDERS_HEADER]
    for number, kind in enumerate(layout[:bad_at] + [bad] + layout[bad_at:], start=1):
        order_id = 900_000 + number
        if kind == "good":
            records.append(good_order(order_id))
        elif kind == "blank":
            records.append("")
        elif kind == "line break":
            # A quoted value may span lines in CSV; a line break in a cell is refused.
            records.append(f'{order_id},1,2026-11-20,1.00,0.00,"Winter\nSports",email')
        else:
            records.append(f"{order_id},1,2026-11-20,1.00,0.00,Footwear,email,,stray")
    path = write_csv(tmp_path, "orders.csv", *records)

    refused = import_refused(sample_warehouse, "orders", path)

    # The header is row 1 and each record one row, however many lines it spans.
    assert refused.row == bad_at + 2
