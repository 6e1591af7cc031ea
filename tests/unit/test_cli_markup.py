"""Text from a user or from data is printed as written: ``[/x]`` or ``[bold]`` in a file name, a
cell, a customer's name or an argument is never read as Rich markup (no ``MarkupError``
traceback, nothing swallowed as a style)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console
from rich.table import Table
from typer.testing import CliRunner

from controlroom.cli import app
from controlroom.cli._markup import cells, literal, markup
from integrations.warehouse import Warehouse

CUSTOMERS_HEADER = (
    "customer_id,first_name,last_name,email,signup_date,signup_channel,country,marketing_opt_in"
)
ORDERS_HEADER = "order_id,customer_id,order_date,amount,discount,category,channel"


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rich reads COLUMNS when it draws: lines and table cells stay whole, for the asserts."""
    monkeypatch.setenv("COLUMNS", "400")


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def _refused_in_one_line(result: Result, exit_code: int = 1) -> str:
    """The one line on stderr of a clean refusal."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == exit_code, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def _printed(result: Result) -> str:
    assert result.exception is None, repr(result.exception)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("name", ["[bold]missing.csv", "[/y]missing.csv"])
def test_a_missing_csv_named_like_markup_is_named_as_written(
    sample_warehouse: Warehouse, tmp_path: Path, name: str
) -> None:
    path = tmp_path / name
    result = _invoke("data", "import", "customers", "--csv", str(path))
    assert _refused_in_one_line(result) == f"error: {path}: no such file"


@pytest.mark.parametrize("name", ["[bold]x.csv", "[/x].csv"])
def test_a_csv_named_like_markup_imports_and_is_named_as_written(
    sample_warehouse: Warehouse, tmp_path: Path, name: str
) -> None:
    path = tmp_path / name
    path.parent.mkdir(exist_ok=True)  # "[/x].csv" is the file "x].csv" in the folder "["
    path.write_text(
        f"{CUSTOMERS_HEADER}\n6001,Ada,Lovelace,ada@example.com,2025-01-10,organic,GB,true\n"
    )
    result = _invoke("data", "import", "customers", "--csv", str(path))
    assert _printed(result).strip() == f"Imported 1 row into customers from {path}"


def test_a_cell_like_markup_is_quoted_as_written_in_the_refusal(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(f"{ORDERS_HEADER}\n900001,1,2026-11-20,[/x],0.00,Footwear,email\n")
    line = _refused_in_one_line(_invoke("data", "import", "orders", "--csv", str(path)))
    assert line.startswith(f"error: {path} row 2: amount '[/x]' is not an amount (")


def test_a_header_like_markup_is_quoted_as_written_in_the_refusal(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(f"{ORDERS_HEADER},[/x]\n")
    line = _refused_in_one_line(_invoke("data", "import", "orders", "--csv", str(path)))
    assert line.startswith(f"error: {path} row 1: unknown column '[/x]' (orders has ")


def test_a_table_name_like_markup_is_refused_as_written(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(f"{ORDERS_HEADER}\n")
    line = _refused_in_one_line(_invoke("data", "import", "[/x]", "--csv", str(path)))
    assert line.startswith("error: cannot import into '[/x]' (choose one of ")


@pytest.mark.parametrize(
    "args",
    [
        ("approvals", "approve", "[/x]"),
        ("approvals", "reject", "[/x]", "--reason", "[/x]"),
        ("approvals", "resume", "[/x]"),
    ],
    ids=["approve", "reject", "resume"],
)
def test_a_run_id_like_markup_is_refused_as_written(
    sample_warehouse: Warehouse, args: tuple[str, ...]
) -> None:
    line = _refused_in_one_line(_invoke(*args))
    assert line.startswith("error: ") and "'[/x]'" in line


def test_a_segment_like_markup_is_refused_as_written(sample_warehouse: Warehouse) -> None:
    line = _refused_in_one_line(_invoke("run", "winback", "--segment", "[/x]"))
    assert line.startswith("error: ") and "[/x]" in line


def test_a_chart_path_like_markup_is_named_as_written(
    sample_warehouse: Warehouse, tmp_path: Path
) -> None:
    (tmp_path / "[").mkdir()
    png = tmp_path / "[/x]heat.png"
    output = _printed(_invoke("insights", "cohorts", "--png", str(png)))
    assert f"Heatmap written to {png}" in output
    assert png.is_file()


def test_a_var_folder_like_markup_is_named_as_written_in_the_summary(
    sample_warehouse: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    var = tmp_path / "var[" / "x]"
    var.mkdir(parents=True)
    (var / "warehouse.duckdb").write_bytes(sample_warehouse.path.read_bytes())
    monkeypatch.setenv("CONTROLROOM_VAR_DIR", str(var))
    output = _printed(_invoke("data", "summary"))
    assert str(var / "warehouse.duckdb") in output


def test_a_setting_like_markup_is_shown_as_written_by_config_check(
    sample_warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOOGLE_SHEET_ID", "[/x]")
    assert "[/x]" in _printed(_invoke("config", "check"))


def test_a_question_like_markup_is_listed_as_written_by_approvals_list(
    sample_warehouse: Warehouse,
) -> None:
    # A question the help centre does not answer, so that it waits for a person.
    _printed(_invoke("run", "support", "[/x] who won the [bold]world cup?"))
    output = _printed(_invoke("approvals", "list"))
    assert "[/x] who won the [bold]world cup?" in output


def test_a_customer_named_like_markup_is_shown_as_written_in_the_winback_proposal(
    sample_warehouse: Warehouse,
) -> None:
    with sample_warehouse.connect(read_only=False) as connection:
        connection.execute("UPDATE customers SET first_name = '[/x]'")
    output = _printed(_invoke("run", "winback"))
    assert "[/x]" in output
    assert "is waiting for approval" in output


def test_a_subject_like_markup_is_shown_as_written_after_an_edit(
    sample_warehouse: Warehouse,
) -> None:
    proposed = _printed(_invoke("run", "winback"))
    run = proposed.split("controlroom approvals approve ")[1].split()[0]
    output = _printed(_invoke("approvals", "edit", run, "--subject", "[/x] [bold]come back"))
    assert ": [/x] [bold]come back" in output


def test_a_query_like_markup_is_shown_as_written_by_kb_search(
    sample_warehouse: Warehouse, ingested_kb: Path
) -> None:
    assert "kb search: [/x] [bold]returns" in _printed(
        _invoke("kb", "search", "[/x] [bold]returns")
    )


def test_an_author_like_markup_is_shown_as_written_by_kb_learn(
    sample_warehouse: Warehouse, ingested_kb: Path
) -> None:
    output = _printed(
        _invoke("kb", "learn", "Do you ship to Iceland?", "Yes, in 5 days.", "--author", "[/x]")
    )
    assert output.strip().endswith(" by [/x]")


# --- The one printing helper -------------------------------------------------------------------


def _rendered(*renderables: object) -> str:
    console = Console(file=io.StringIO(), width=10_000, soft_wrap=True, color_system=None)
    console.print(*renderables)
    output = console.file.getvalue()  # type: ignore[attr-defined]
    return str(output)


# Printable text: what a person can type in a cell or an argument (control characters are
# shown as escapes instead, checked below).
PRINTABLE = st.text(st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")))


@given(value=PRINTABLE)
def test_any_printable_text_is_printed_exactly_as_written_inside_markup(value: str) -> None:
    line = markup("[red]error:[/] {value} ([bold]{value}[/])", value=value)
    assert _rendered(line) == f"error: {value} ({value})\n"


@given(value=PRINTABLE)
def test_any_printable_text_is_printed_exactly_as_written_alone(value: str) -> None:
    assert _rendered(literal(value)) == f"{value}\n"


@given(values=st.lists(st.text(), min_size=1, max_size=4))
def test_any_text_in_a_table_never_raises_and_never_reaches_the_terminal_as_control_codes(
    values: list[str],
) -> None:
    table = Table(title=literal(values[0]))
    for _ in values:
        table.add_column("c")
    table.add_row(*cells(*values))
    output = _rendered(table, markup("[dim]{first}[/]", first=values[0]))
    assert "\x1b" not in output
    assert "\r" not in output


def test_a_control_character_in_a_value_is_shown_as_an_escape() -> None:
    assert _rendered(markup("name {name}", name="Ada\x1b[2J\u202e\r")) == (
        "name Ada\\x1b[2J\\u202e\\x0d\n"
    )
