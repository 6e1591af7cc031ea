"""CSV imports: every row or none, and a refusal names the file, the row and the reason."""

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

ORDERS_HEADER = "order_id,customer_id,order_date,amount,discount,category,channel"
TICKETS_HEADER = (
    "ticket_id,customer_id,order_id,created_at,topic,channel,status,resolved_at,escalated"
)
SPEND_HEADER = "week_start,channel,spend,impressions,clicks"
CUSTOMERS_HEADER = (
    "customer_id,first_name,last_name,email,signup_date,signup_channel,country,marketing_opt_in"
)
TABLES = ("customers", "orders", "marketing_spend", "support_tickets")


def _write(folder: Path, name: str, *lines: str) -> Path:
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _contents(warehouse: Warehouse) -> dict[str, tuple[int, int]]:
    """Row count and a hash of every row, per table: equal means unchanged."""
    with warehouse.connect() as connection:
        return {
            table: connection.execute(
                f"SELECT count(*), coalesce(sum(hash({table})), 0) FROM {table}"
            ).fetchall()[0]
            for table in TABLES
        }


def _good_order(order_id: int, customer_id: int = 1, amount: str = "59.90") -> str:
    return f"{order_id},{customer_id},2026-11-20,{amount},0.00,Footwear,email"


def _refused(warehouse: Warehouse, table: str, path: Path) -> RowRejectedError:
    """Import, expect a refusal, and check the warehouse is exactly as it was."""
    before = _contents(warehouse)
    with pytest.raises(RowRejectedError) as refused:
        import_table(warehouse, table, CsvSource(path))
    assert _contents(warehouse) == before
    assert "\n" not in str(refused.value)
    return refused.value


def test_a_good_csv_appends_its_rows_with_their_types(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    before = _contents(sample_warehouse)
    path = _write(
        tmp_path,
        "orders.csv",
        ORDERS_HEADER,
        _good_order(900_001, customer_id=17, amount="120.00"),
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
    assert _contents(sample_warehouse)["orders"][0] == before["orders"][0] + 2
    assert _contents(sample_warehouse)["customers"] == before["customers"]


def test_headers_written_by_people_match_and_optional_columns_may_be_left_out(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    path = _write(
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
    path = _write(
        tmp_path,
        "orders.csv",
        ORDERS_HEADER,
        _good_order(900_001),
        "",
        ",,,,,,",
        "900002,1,2026-11-20,-3.00,0,Footwear,email",
    )
    assert _refused(sample_warehouse, "orders", path).row == 5


def test_a_missing_column_is_refused_naming_it_and_the_warehouse_is_unchanged(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    path = _write(
        tmp_path,
        "orders.csv",
        "order_id,customer_id,order_date,category,channel",
        "900001,1,2026-11-20,Footwear,email",
    )
    refused = _refused(sample_warehouse, "orders", path)
    assert str(refused).startswith(f"{path} row 1: missing columns 'amount', 'discount' (orders")


def test_an_unknown_column_is_refused_naming_it(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    path = _write(tmp_path, "orders.csv", ORDERS_HEADER + ",coupon", _good_order(900_001) + ",X")
    refused = _refused(sample_warehouse, "orders", path)
    assert (refused.row, refused.reason.split(" (")[0]) == (1, "unknown column 'coupon'")


def test_a_misspelt_column_is_reported_as_missing_and_unknown_in_one_line(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    path = _write(tmp_path, "orders.csv", ORDERS_HEADER.replace("amount", "ammount"))
    refused = _refused(sample_warehouse, "orders", path)
    assert refused.reason.startswith("missing column 'amount'; unknown column 'ammount' (")


def test_an_unparseable_date_is_refused_with_the_file_the_row_and_the_expected_format(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    lines = [_good_order(900_000 + number) for number in range(1, 6)]
    lines.append("900006,1,2026-13-01,10.00,0.00,Footwear,email")
    path = _write(tmp_path, "orders.csv", ORDERS_HEADER, *lines)

    refused = _refused(sample_warehouse, "orders", path)

    assert str(refused) == (
        f"{path} row 7: order_date '2026-13-01' is not a date (expected YYYY-MM-DD)"
    )


def test_a_negative_amount_is_refused_with_its_row_and_the_warehouse_is_unchanged(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    path = _write(
        tmp_path, "orders.csv", ORDERS_HEADER, _good_order(900_001), _good_order(900_002, 1, "-5")
    )
    assert str(_refused(sample_warehouse, "orders", path)) == (
        f"{path} row 3: amount '-5' is negative"
    )


def test_an_unknown_customer_is_refused_with_its_row_and_the_warehouse_is_unchanged(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    path = _write(
        tmp_path, "orders.csv", ORDERS_HEADER, _good_order(900_001), _good_order(900_002, 987_654)
    )
    assert str(_refused(sample_warehouse, "orders", path)) == (
        f"{path} row 3: customer_id '987654' is not a known customer"
    )


def test_an_empty_required_value_is_refused(sample_warehouse: Warehouse, tmp_path: Path) -> None:
    path = _write(tmp_path, "orders.csv", ORDERS_HEADER, "900001,1,2026-11-20,10.00,  ,Apparel,")
    assert _refused(sample_warehouse, "orders", path).reason == "discount is empty"


def test_an_id_already_in_the_warehouse_is_refused(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    path = _write(tmp_path, "orders.csv", ORDERS_HEADER, _good_order(900_001), _good_order(12))
    refused = _refused(sample_warehouse, "orders", path)
    assert (refused.row, refused.reason) == (3, "order_id '12' is already in the warehouse")


def test_an_id_twice_in_one_file_is_refused_naming_the_earlier_row(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    path = _write(
        tmp_path,
        "orders.csv",
        ORDERS_HEADER,
        _good_order(900_001),
        _good_order(900_002),
        _good_order(900_001),
    )
    refused = _refused(sample_warehouse, "orders", path)
    assert (refused.row, refused.reason) == (4, "order_id '900001' is also in row 2")


def test_a_value_in_a_column_without_a_name_is_refused(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    path = _write(tmp_path, "orders.csv", ORDERS_HEADER, _good_order(900_001) + ",,oops")
    refused = _refused(sample_warehouse, "orders", path)
    assert refused.reason == "value 'oops' in column 9, which has no name in row 1"


@pytest.mark.parametrize(
    ("table", "header", "row", "reason"),
    [
        pytest.param(
            "orders",
            ORDERS_HEADER,
            "900001,1,20/11/2026,10.00,0.00,Footwear,email",
            "order_date '20/11/2026' is not a date (expected YYYY-MM-DD)",
            id="a date in another format",
        ),
        pytest.param(
            "orders",
            ORDERS_HEADER,
            "900001,1,2026-11-20,$10.00,0.00,Footwear,email",
            "amount '$10.00' is not an amount (expected a number with up to 2 decimals and no "
            "currency sign, like 1234.50)",
            id="a currency sign",
        ),
        pytest.param(
            "orders",
            ORDERS_HEADER,
            "900001,1,2026-11-20,10.005,0.00,Footwear,email",
            "amount '10.005' is not an amount (expected a number with up to 2 decimals and no "
            "currency sign, like 1234.50)",
            id="a third decimal",
        ),
        pytest.param(
            "orders",
            ORDERS_HEADER,
            "900001,1,2026-11-20,10.00,-1.00,Footwear,email",
            "discount '-1.00' is negative",
            id="a negative discount",
        ),
        pytest.param(
            "orders",
            ORDERS_HEADER,
            "9000.5,1,2026-11-20,10.00,0.00,Footwear,email",
            "order_id '9000.5' is not a whole number (expected digits, like 1042)",
            id="a fractional id",
        ),
        pytest.param(
            "marketing_spend",
            SPEND_HEADER,
            "2026-11-30,email,-20.00,1000,10",
            "spend '-20.00' is negative",
            id="negative spend",
        ),
        pytest.param(
            "marketing_spend",
            SPEND_HEADER,
            "2026-12-02,email,20.00,1000,10",
            "week_start '2026-12-02' is not a Monday",
            id="a week not starting on Monday",
        ),
        pytest.param(
            "marketing_spend",
            SPEND_HEADER,
            "2026-11-16,email,20.00,1000,10",
            "week_start '2026-11-16' and channel 'email' are already in the warehouse",
            id="a week and channel already there",
        ),
        pytest.param(
            "support_tickets",
            TICKETS_HEADER,
            "900001,1,,2026-11-20 25:00:00,shipping,chat,open,,no",
            "created_at '2026-11-20 25:00:00' is not a date and time "
            "(expected YYYY-MM-DD HH:MM:SS)",
            id="an hour past midnight",
        ),
        pytest.param(
            "support_tickets",
            TICKETS_HEADER,
            "900001,1,,2026-11-20 10:00:00,shipping,chat,open,,maybe",
            "escalated 'maybe' is not true or false (expected true/false, yes/no or 1/0)",
            id="a boolean that is neither",
        ),
        pytest.param(
            "support_tickets",
            TICKETS_HEADER,
            "900001,1,99999999,2026-11-20 10:00:00,shipping,chat,open,,no",
            "order_id '99999999' is not a known order",
            id="an unknown order",
        ),
        pytest.param(
            "support_tickets",
            TICKETS_HEADER,
            "900001,77777,,2026-11-20 10:00:00,shipping,chat,open,,no",
            "customer_id '77777' is not a known customer",
            id="a ticket from an unknown customer",
        ),
        pytest.param(
            "support_tickets",
            TICKETS_HEADER,
            "900001,1,,2026-11-20 10:00:00,shipping,chat,resolved,2026-11-19 10:00:00,no",
            "resolved_at '2026-11-19 10:00:00' is before created_at '2026-11-20 10:00:00'",
            id="resolved before created",
        ),
        pytest.param(
            "customers",
            CUSTOMERS_HEADER,
            "5001,Ada,Lovelace,ada@example.com,2026-11-31,organic,GB,yes",
            "signup_date '2026-11-31' is not a date (expected YYYY-MM-DD)",
            id="a day November does not have",
        ),
    ],
)
def test_each_kind_of_bad_value_is_refused_with_its_row_and_reason(
    sample_warehouse: Warehouse, tmp_path: Path, table: str, header: str, row: str, reason: str
) -> None:
    path = _write(tmp_path, f"{table}.csv", header, row)
    refused = _refused(sample_warehouse, table, path)
    assert str(refused) == f"{path} row 2: {reason}"


def test_good_rows_before_a_bad_one_are_not_imported_either(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    good = [_good_order(900_000 + number) for number in range(1, 500)]
    path = _write(tmp_path, "orders.csv", ORDERS_HEADER, *good, _good_order(900_999, customer_id=0))
    assert _refused(sample_warehouse, "orders", path).row == 501


def test_a_new_customer_and_then_her_orders_can_be_imported(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    customers = _write(
        tmp_path,
        "customers.csv",
        CUSTOMERS_HEADER,
        "5001,Ada,Lovelace,ada@example.com,2026-11-20,organic,GB,true",
    )
    orders = _write(tmp_path, "orders.csv", ORDERS_HEADER, _good_order(900_001, 5001))

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
    path = _write(
        tmp_path, "orders.csv", ORDERS_HEADER, _good_order(900_001), '900002,"1"x,2026-11-20'
    )
    refused = _refused(sample_warehouse, "orders", path)
    assert refused.row == 3
    assert refused.reason.startswith("is not valid CSV (")


def test_an_empty_file_is_refused_for_want_of_a_header(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("")
    refused = _refused(sample_warehouse, "orders", path)
    assert refused.row == 1
    assert refused.reason.startswith("no header (row 1 must name the columns: order_id, ")


def test_a_header_without_rows_imports_nothing(sample_warehouse: Warehouse, tmp_path: Path) -> None:
    path = _write(tmp_path, "orders.csv", ORDERS_HEADER)
    assert import_table(sample_warehouse, "orders", CsvSource(path)).rows == 0


def test_a_table_that_cannot_be_imported_is_refused(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    path = _write(tmp_path, "info.csv", "key,value", "source,me")
    with pytest.raises(ImportRejectedError, match="cannot import into 'dataset_info' \\(choose"):
        import_table(sample_warehouse, "dataset_info", CsvSource(path))


def test_importing_before_the_warehouse_is_seeded_says_to_seed_it(tmp_path: Path) -> None:
    path = _write(tmp_path, "orders.csv", ORDERS_HEADER, _good_order(900_001))
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
    source = _ListSource([ORDERS_HEADER.split(","), _good_order(900_001, 0).split(",")])
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
            records.append(_good_order(order_id))
        elif kind == "blank":
            records.append("")
        elif kind == "line break":
            # A quoted value may span lines in CSV; a line break in a cell is refused.
            records.append(f'{order_id},1,2026-11-20,1.00,0.00,"Winter\nSports",email')
        else:
            records.append(f"{order_id},1,2026-11-20,1.00,0.00,Footwear,email,,stray")
    path = _write(tmp_path, "orders.csv", *records)

    refused = _refused(sample_warehouse, "orders", path)

    # The header is row 1 and each record one row, however many lines it spans.
    assert refused.row == bad_at + 2
