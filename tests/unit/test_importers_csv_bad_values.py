"""CSV imports refuse a bad value: every row or none is imported, and the refusal names the
file, the row and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from integrations.warehouse import Warehouse
from tests.unit._importer_csv_rows import (
    CUSTOMERS_HEADER,
    ORDERS_HEADER,
    SPEND_HEADER,
    TICKETS_HEADER,
    good_order,
    import_refused,
    write_csv,
)


def test_an_unparseable_date_is_refused_with_the_file_the_row_and_the_expected_format(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    lines = [good_order(900_000 + number) for number in range(1, 6)]
    lines.append("900006,1,2026-13-01,10.00,0.00,Footwear,email")
    path = write_csv(tmp_path, "orders.csv", ORDERS_HEADER, *lines)

    refused = import_refused(sample_warehouse, "orders", path)

    assert str(refused) == (
        f"{path} row 7: order_date '2026-13-01' is not a date (expected YYYY-MM-DD)"
    )


def test_a_negative_amount_is_refused_with_its_row_and_the_warehouse_is_unchanged(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path, "orders.csv", ORDERS_HEADER, good_order(900_001), good_order(900_002, 1, "-5")
    )
    assert str(import_refused(sample_warehouse, "orders", path)) == (
        f"{path} row 3: amount '-5' is negative"
    )


def test_an_unknown_customer_is_refused_with_its_row_and_the_warehouse_is_unchanged(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path, "orders.csv", ORDERS_HEADER, good_order(900_001), good_order(900_002, 987_654)
    )
    assert str(import_refused(sample_warehouse, "orders", path)) == (
        f"{path} row 3: customer_id '987654' is not a known customer"
    )


def test_an_empty_required_value_is_refused(sample_warehouse: Warehouse, tmp_path: Path) -> None:
    path = write_csv(tmp_path, "orders.csv", ORDERS_HEADER, "900001,1,2026-11-20,10.00,  ,Apparel,")
    assert import_refused(sample_warehouse, "orders", path).reason == "discount is empty"


def test_an_id_already_in_the_warehouse_is_refused(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, "orders.csv", ORDERS_HEADER, good_order(900_001), good_order(12))
    refused = import_refused(sample_warehouse, "orders", path)
    assert (refused.row, refused.reason) == (3, "order_id '12' is already in the warehouse")


def test_an_id_twice_in_one_file_is_refused_naming_the_earlier_row(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path,
        "orders.csv",
        ORDERS_HEADER,
        good_order(900_001),
        good_order(900_002),
        good_order(900_001),
    )
    refused = import_refused(sample_warehouse, "orders", path)
    assert (refused.row, refused.reason) == (4, "order_id '900001' is also in row 2")


def test_a_value_in_a_column_without_a_name_is_refused(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, "orders.csv", ORDERS_HEADER, good_order(900_001) + ",,oops")
    refused = import_refused(sample_warehouse, "orders", path)
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
    path = write_csv(tmp_path, f"{table}.csv", header, row)
    refused = import_refused(sample_warehouse, table, path)
    assert str(refused) == f"{path} row 2: {reason}"


def test_good_rows_before_a_bad_one_are_not_imported_either(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    good = [good_order(900_000 + number) for number in range(1, 500)]
    path = write_csv(
        tmp_path, "orders.csv", ORDERS_HEADER, *good, good_order(900_999, customer_id=0)
    )
    assert import_refused(sample_warehouse, "orders", path).row == 501
