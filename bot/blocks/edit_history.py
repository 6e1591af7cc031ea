"""The edits that led to a proposal, in words: ``edit_notes`` reads them from the run's
``edited`` audit entries ("discount 15% → 20%", "3 excluded (audience 40 → 37)"), and
``edit_lines`` shows them under the proposal, who and when, as it waits and once decided.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from agents import formatting as fmt
from bot.blocks.kit import Block, context, escape, truncate, user_mention, when
from integrations.statestore import AuditEntry
from workflows.proposals import EditedFigures, Proposal


@dataclass(frozen=True, slots=True)
class EditNote:
    """One person's edit of a proposal: who, when, and what changed ("discount 15% → 20%")."""

    actor: str
    at: datetime
    changes: tuple[str, ...]


def edit_notes(history: Sequence[AuditEntry], current: Proposal) -> list[EditNote]:
    """The edits of a proposal, oldest first, from its ``edited`` audit entries: each entry
    keeps what the person saw before (``was``); what came after is the next entry's ``was``,
    or ``current`` (the proposal as it stands) for the last one."""
    notes: list[EditNote] = []
    edited = [entry for entry in history if entry.action == "edited"]
    seen = [EditedFigures.model_validate(entry.detail.get("was") or {}) for entry in edited]
    for i, entry in enumerate(edited):
        before = seen[i]
        after = seen[i + 1] if i + 1 < len(edited) else EditedFigures.of(current)
        changes = tuple(
            _change(field, value, before, after)
            for field, value in (entry.detail.get("edits") or {}).items()
        )
        notes.append(EditNote(entry.actor, entry.at, changes))
    return notes


def _change(field: str, value: Any, before: EditedFigures, after: EditedFigures) -> str:
    if field == "discount":
        return f"discount {fmt.share(before.discount)} → {fmt.share(_float(value))}"
    if field == "audience_cap":
        old, new = before.audience, after.audience
        if old is not None and new is not None and old != new:
            return f"audience {fmt.count(old)} → {fmt.count(new)} customers"
        return f"audience cap set to {fmt.count(_float(value))}"
    if field == "subject":
        was = escape(truncate(before.subject or "", 60))
        return f"subject “{was}” → “{escape(truncate(str(value), 60))}”"
    if field == "text":
        return "answer rewritten"
    if field == "exclude":
        audience = f"{fmt.count(before.audience)} → {fmt.count(after.audience)}"
        return f"{fmt.count(len(value))} excluded (audience {audience})"
    if field == "draft":
        return "one recipient's email rewritten"
    return f"{escape(field.replace('_', ' '))} changed"


def edit_lines(edits: Sequence[EditNote]) -> list[Block]:
    """The edits as one context block under a proposal (none when it was not edited)."""
    lines = [
        f":pencil2: Edited by {user_mention(note.actor)} {when(note.at)}: "
        + (", ".join(note.changes) or "no change")
        for note in edits
    ]
    return [context(*lines)] if lines else []


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
