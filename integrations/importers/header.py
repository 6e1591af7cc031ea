"""Row 1 of a source: which table column sits where, checked before any row is read.

A header written by a person still matches (`` Order ID `` is ``order_id``); a missing, unknown,
repeated or unprintable column name refuses the import as row 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from integrations.importers._exceptions import RowRejectedError
from integrations.importers.cells import shown
from integrations.importers.rules import Column
from integrations.text import unsafe_character


@dataclass(frozen=True, slots=True)
class Layout:
    """Where each table column sits in the source (0-based), and which cells have no name."""

    positions: dict[str, int]
    header: tuple[str, ...]
    unnamed: tuple[int, ...]


def normalised(name: str) -> str:
    """``' Order ID '`` → ``order_id``: headers written by people still match."""
    return "_".join(name.strip().lower().split())


def layout_of(source: str, table: str, header: Sequence[str], columns: Sequence[Column]) -> Layout:
    """The columns' positions in ``header``, or ``RowRejectedError`` for row 1 saying what is
    missing, unknown, repeated or unprintable."""
    for index, cell in enumerate(header):
        if found := unsafe_character(cell):
            raise RowRejectedError(
                source, 1, f"column {index + 1} {shown(cell)} contains {found}: use plain text"
            )
    names = [normalised(cell) for cell in header]
    expected = ", ".join(column.name for column in columns)
    if not any(names):
        raise RowRejectedError(source, 1, f"no header (row 1 must name the columns: {expected})")
    positions: dict[str, int] = {}
    for index, name in enumerate(names):
        if name in positions:
            raise RowRejectedError(source, 1, f"column '{header[index].strip()}' appears twice")
        if name:
            positions[name] = index
    known = {column.name for column in columns}
    missing = [column.name for column in columns if column.required and column.name not in names]
    unknown = [header[index].strip() for name, index in positions.items() if name not in known]
    problems = []
    if missing:
        problems.append(f"missing column{'s' if len(missing) > 1 else ''} {_listed(missing)}")
    if unknown:
        problems.append(f"unknown column{'s' if len(unknown) > 1 else ''} {_listed(unknown)}")
    if problems:
        raise RowRejectedError(source, 1, f"{'; '.join(problems)} ({table} has {expected})")
    unnamed = tuple(index for index, name in enumerate(names) if not name)
    return Layout(positions=positions, header=tuple(names), unnamed=unnamed)


def _listed(names: Sequence[str]) -> str:
    return ", ".join(f"'{name}'" for name in names)
