"""The checks on a cell's text that SQL cannot make, run once over the source before the SQL.

Two things are judged here, each by the one definition the project has of it:
- characters that break a mail header, a CSV row or a terminal (``integrations.text``): a CR/LF
  in a name or an address imported today would break every email sent to it later;
- recipient addresses: exactly one bare addr-spec (``integrations.email.bare_address``), so a
  list (``victim@x.com, attacker@evil.com``) or a display name never reaches a send.

The result is two Arrow columns beside the rows' cells, a problem (or null) per cell, that the
engine's SQL reads like any other check, so the first bad row is still found in source order.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from integrations.email.address import bare_address
from integrations.email.errors import EmailRejectedError
from integrations.text import unsafe_character

PROBLEMS_TYPE = pa.list_(pa.string())
_LONGEST_SHOWN_VALUE = 60


@dataclass(frozen=True, slots=True)
class CellProblems:
    """Per row, a list aligned with its cells (null where the cell is fine), or null when the
    whole row is fine: ``unsafe`` names a forbidden character, ``address`` says why a recipient
    cell is not one address."""

    unsafe: Any  # pa.Array of PROBLEMS_TYPE (pyarrow has no type stubs)
    address: Any


def cell_problems(records: list[list[str]], address_positions: Collection[int]) -> CellProblems:
    """Check every cell of ``records`` (each a row's cells) for forbidden characters, and the
    cells at ``address_positions`` (0-based) for being one bare address."""
    unsafe: list[list[str | None] | None] = []
    address: list[list[str | None] | None] = []
    for cells in records:
        # str.isprintable is false for every character integrations.text refuses (and for a
        # few it allows, like a no-break space): the exact check runs only where it is needed.
        found = [None if cell.isprintable() else _unsafe(cell) for cell in cells]
        unsafe.append(found if any(found) else None)
        wrong = [
            _not_one_address(cell) if index in address_positions else None
            for index, cell in enumerate(cells)
        ]
        address.append(wrong if any(wrong) else None)
    return CellProblems(
        unsafe=pa.array(unsafe, type=PROBLEMS_TYPE), address=pa.array(address, type=PROBLEMS_TYPE)
    )


def _unsafe(cell: str) -> str | None:
    found = unsafe_character(cell)
    return None if found is None else f"contains {found}: use plain text on one line"


def _not_one_address(cell: str) -> str | None:
    if not cell.strip():
        return None  # an empty cell is the required check's to report
    try:
        bare_address(cell)
    except EmailRejectedError as error:
        return str(error)
    return None


def shown(value: str) -> str:
    """A cell as a message shows it: quoted, on one line, not too long, any control or invisible
    character written as an escape (``\\r``, ``\\u2028``) so the message shows it and obeys none."""
    visible = "".join(
        char.encode("unicode_escape").decode("ascii") if unsafe_character(char) else char
        for char in str(value)
    )
    flat = " ".join(visible.split())
    if len(flat) > _LONGEST_SHOWN_VALUE:
        flat = flat[: _LONGEST_SHOWN_VALUE - 1] + "…"
    return f"'{flat}'"
