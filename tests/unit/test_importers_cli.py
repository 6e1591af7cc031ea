"""``controlroom data import``: a count on success, one line and exit code 1 on a bad row."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from controlroom.cli import app
from integrations.warehouse import Warehouse

HEADER = "order_id,customer_id,order_date,amount,discount,category,channel"


def _orders(warehouse: Warehouse) -> int:
    with warehouse.connect() as connection:
        return int(connection.execute("SELECT count(*) FROM orders").fetchall()[0][0])


def test_importing_a_good_csv_prints_how_many_rows_were_added(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(
        f"{HEADER}\n900001,1,2026-11-20,10.00,0,Packs,email\n900002,2,2026-11-21,5,0,Packs,email\n"
    )
    before = _orders(sample_warehouse)

    result = CliRunner().invoke(app, ["data", "import", "orders", "--csv", str(path)])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"Imported 2 rows into orders from {path}"
    assert _orders(sample_warehouse) == before + 2


def _bad_csv(folder: Path) -> Path:
    path = folder / "orders.csv"
    path.write_text(
        f"{HEADER}\n900001,1,2026-11-20,10.00,0,Packs,email\n900002,1,2026-13-01,5,0,Packs,email\n"
    )
    return path


def test_importing_a_bad_csv_exits_1_with_the_reason_and_no_traceback(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    path = _bad_csv(tmp_path)
    before = _orders(sample_warehouse)

    result = CliRunner().invoke(app, ["data", "import", "orders", "--csv", str(path)])

    assert result.exit_code == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert " ".join(result.stderr.split()) == (
        f"error: {path} row 3: order_date '2026-13-01' is not a date (expected YYYY-MM-DD)"
    )
    assert _orders(sample_warehouse) == before


def test_the_error_is_one_line_however_long_the_path(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    path = _bad_csv(tmp_path)
    result = CliRunner().invoke(app, ["data", "import", "orders", "--csv", str(path)])
    assert result.stderr.splitlines() == [
        f"error: {path} row 3: order_date '2026-13-01' is not a date (expected YYYY-MM-DD)"
    ]


def test_importing_needs_a_csv_or_a_worksheet(sample_warehouse: Warehouse) -> None:
    result = CliRunner().invoke(app, ["data", "import", "orders"])
    assert result.exit_code == 2
    assert "give --csv PATH, or --worksheet NAME" in result.output


def test_importing_a_table_that_does_not_take_imports_is_refused(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    path = tmp_path / "info.csv"
    path.write_text("key,value\nsource,me\n")
    result = CliRunner().invoke(app, ["data", "import", "dataset_info", "--csv", str(path)])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot import into 'dataset_info'")
