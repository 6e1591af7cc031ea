"""bench/figures.py: every bench's figures merged into one Markdown table, run to run."""

from __future__ import annotations

from pathlib import Path

from markdown_it import MarkdownIt

from bench.figures import HEADER, Figure, Figures


def _table_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("| ") and line != HEADER]


def test_a_bench_saved_again_replaces_its_rows_and_keeps_the_others_in_place(
    tmp_path: Path,
) -> None:
    latest = tmp_path / "latest.md"
    seed = Figures("seed")
    seed.add("5,000 customers: seeding", 1.5, "s")
    seed.add("5,000 customers: peak memory", 310.0, "MiB")
    seed.save(path=latest)
    rag = Figures("rag")
    rag.add("10,000 passages: p99", 12.5, "ms", target=("<", 50.0))
    rag.save(path=latest)

    again = Figures("seed")
    again.add("5,000 customers: seeding", 1.25, "s")
    again.save(path=latest)

    assert _table_rows(latest.read_text(encoding="utf-8")) == [
        "| seed | 5,000 customers: seeding | 1.25 | s | — | — |",
        "| rag | 10,000 passages: p99 | 12.5 | ms | < 50 | yes |",
    ]


def test_the_file_is_markdown_with_one_table_and_each_bench_run_listed(tmp_path: Path) -> None:
    latest = tmp_path / "latest.md"
    for bench in ("weekly", "send"):
        figures = Figures(bench)
        figures.add("a figure", 3, "requests", target=("<=", 0))
        figures.save(path=latest)

    text = latest.read_text(encoding="utf-8")
    tokens = MarkdownIt().enable("table").parse(text)
    types = [token.type for token in tokens]
    assert types.count("table_open") == 1
    assert types.count("tr_open") == 3  # the header and one row per bench
    assert text.count(HEADER) == 1
    assert "| weekly | a figure | 3 | requests | ≤ 0 | **no** |" in text
    assert "- **weekly**: commit " in text
    assert "- **send**: commit " in text


def test_details_follow_the_table_under_the_bench_name(tmp_path: Path) -> None:
    latest = tmp_path / "latest.md"
    figures = Figures("weekly")
    figures.add("wall (median)", 2.8, "s", target=("<", 3.0))
    details = "### Start-up\n\n| command | runs |\n|---|---:|\n| help | 7 |\n"
    figures.save(details=details, path=latest)

    text = latest.read_text(encoding="utf-8")
    assert text.index(HEADER) < text.index("## weekly\n\n### Start-up")
    assert text.endswith("| help | 7 |\n")


def test_a_target_is_met_only_on_its_side_of_the_bound() -> None:
    assert Figure("analytics compute", 78.0, "ms", target=("<", 50.0)).met is False
    assert Figure("analytics compute", 46.0, "ms", target=("<", 50.0)).met is True
    assert Figure("emails", 561.0, "emails/s", target=(">", 500.0)).met is True
    assert Figure("seeding", 1.5, "s").met is None
