"""Every bench's headline figures in one Markdown table, ``var/bench/latest.md``, run to run.

A bench makes a ``Figures`` as it starts (the load average then), adds its headline figures as
it prints them, and saves at its end::

    figures = Figures("weekly")
    figures.add("5,000 customers: wall (median)", 2.8, "s", target=("<", 3.0))
    figures.save()

Saving replaces that bench's section and keeps every other bench's: a bench run alone updates
its own rows in place, and each section's commit, date and load average say which run it comes
from. The sections are kept as data in ``latest.json`` beside the Markdown, which is rendered
whole from it on every save. ``make bench`` deletes both first, so after it every section is
from that run.
"""

from __future__ import annotations

import json
import operator
import os
import subprocess
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

ROOT = Path(__file__).resolve().parents[1]
LATEST = ROOT / "var" / "bench" / "latest.md"

Comparison = Literal["<", "<=", ">", ">="]
Target = tuple[Comparison, float]  # ("<", 50.0): the value must be under 50
_COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_SHOWN = {"<": "<", "<=": "≤", ">": ">", ">=": "≥"}
HEADER = "| bench | measure | value | unit | target | met |"

LoadAverage = tuple[float, float, float]


@dataclass(frozen=True, slots=True)
class Figure:
    """One row: what was measured, its value and unit, and the target it is held to, if any."""

    measure: str
    value: float
    unit: str
    target: Target | None = None

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        comparison, bound = self.target
        return bool(_COMPARE[comparison](self.value, bound))

    def row(self, bench: str) -> str:
        target = "—"
        if self.target is not None:
            comparison, bound = self.target
            target = f"{_SHOWN[comparison]} {bound:,g}"
        met = {None: "—", True: "yes", False: "**no**"}[self.met]
        cells = (bench, self.measure, _number(self.value), self.unit, target, met)
        return "| " + " | ".join(cells) + " |"


@dataclass(frozen=True, slots=True)
class Section:
    """One bench's run: its figures, where and when they were measured, and optional detail."""

    bench: str
    commit: str
    date: str
    load_before: LoadAverage
    load_after: LoadAverage
    cores: int
    figures: list[Figure]
    details: str

    def run_line(self) -> str:
        def load(average: LoadAverage) -> str:
            return ", ".join(f"{x:.2f}" for x in average)

        return (
            f"- **{self.bench}**: commit {self.commit}, started {self.date}; load average "
            f"(1, 5, 15 min) {load(self.load_before)} at the start, {load(self.load_after)} at "
            f"the end; {self.cores} cores"
        )


class Figures:
    """One bench's headline figures, saved as its section of ``latest.md``."""

    def __init__(self, bench: str) -> None:
        self.bench = bench
        self._started = datetime.now(UTC)
        self._load_before = os.getloadavg()
        self._figures: list[Figure] = []

    def add(self, measure: str, value: float, unit: str, *, target: Target | None = None) -> None:
        self._figures.append(Figure(measure, value, unit, target))

    def save(self, *, details: str = "", path: Path = LATEST) -> None:
        """Replace this bench's section of ``path`` (Markdown after the table), keep the others."""
        section = Section(
            bench=self.bench,
            commit=_commit(),
            date=self._started.strftime("%Y-%m-%d %H:%M UTC"),
            load_before=self._load_before,
            load_after=os.getloadavg(),
            cores=os.cpu_count() or 0,
            figures=self._figures,
            details=details.strip(),
        )
        data = path.with_suffix(".json")
        sections = _read(data)
        sections[self.bench] = section  # a bench saved before keeps its place
        path.parent.mkdir(parents=True, exist_ok=True)
        data.write_text(
            json.dumps([asdict(s) for s in sections.values()], ensure_ascii=False, indent=1),
            encoding="utf-8",
        )
        path.write_text(_render(list(sections.values())), encoding="utf-8")
        print(f"figures written to {path} (section {self.bench})")


def _render(sections: list[Section]) -> str:
    """The Markdown: one table of every bench's figures, the runs, then each bench's details."""
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench`; a bench run alone replaces its own rows (see Runs for when each"
        " was measured). Targets are the issues'.",
        "",
        HEADER,
        "|---|---|---:|---|---|---|",
        *(figure.row(section.bench) for section in sections for figure in section.figures),
        "",
        "## Runs",
        "",
        *(section.run_line() for section in sections),
    ]
    for section in sections:
        if section.details:
            lines += ["", f"## {section.bench}", "", section.details]
    return "\n".join(lines) + "\n"


def _read(data: Path) -> dict[str, Section]:
    if not data.exists():
        return {}
    return {item["bench"]: _section(item) for item in json.loads(data.read_text(encoding="utf-8"))}


def _section(item: dict[str, Any]) -> Section:
    """A section read back from JSON, its lists made tuples again."""
    figures = [
        Figure(**(f | {"target": tuple(f["target"]) if f["target"] else None}))
        for f in item["figures"]
    ]
    return Section(
        **item
        | {
            "figures": figures,
            "load_before": tuple(item["load_before"]),
            "load_after": tuple(item["load_after"]),
        }
    )


def _commit() -> str:
    """The checkout's short commit, marked when tracked files have uncommitted changes."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"{commit} (uncommitted changes)" if changed else commit


def _number(value: float) -> str:
    if isinstance(value, int):
        return f"{value:,}"
    size = abs(value)
    if size >= 100:
        return f"{value:,.0f}"
    if size >= 10:
        return f"{value:.1f}"
    if size >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"
