"""Block Kit primitives held to Slack's limits: every builder in ``bot.blocks`` is made of these.

Long text is split over several sections, labels are cut with "…", and a message never has more
than 50 blocks, so ``chat.postMessage`` never fails with ``invalid_blocks``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from integrations.team_time import team_time
from integrations.text import escape_mrkdwn, escape_mrkdwn_keeping_quotes

Block = dict[str, Any]

# Slack's limits (https://docs.slack.dev/reference/block-kit/blocks).
MAX_BLOCKS = 50
# A Home tab (or modal) view holds up to 100 blocks.
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_FIELDS = 10
MAX_HEADER_TEXT = 150
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_CONTEXT_ELEMENTS = 10
# The message's notification text; Slack truncates at 40,000, notifications show far less.
MAX_FALLBACK_TEXT = 3000

ELLIPSIS = "…"


def truncate(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending with "…" when it was cut."""
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


# Slack mrkdwn escaping (one definition, in integrations.text), by the names blocks use.
escape = escape_mrkdwn
escape_keeping_quotes = escape_mrkdwn_keeping_quotes


def split_text(text: str, limit: int = MAX_SECTION_TEXT) -> list[str]:
    """Split ``text`` into pieces of at most ``limit`` characters, at line breaks when possible."""
    pieces: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while len(line) > limit:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:limit])
            line = line[limit:]
        if len(current) + len(line) > limit:
            pieces.append(current)
            current = ""
        current += line
    if current or not pieces:
        pieces.append(current)
    return [piece.rstrip("\n") or " " for piece in pieces]


def section(text: str) -> list[Block]:
    """One or more mrkdwn sections holding all of ``text`` (3,000 characters each at most)."""
    return [{"type": "section", "text": mrkdwn(piece)} for piece in split_text(text)]


def header(text: str) -> Block:
    return {"type": "header", "text": plain(truncate(text, MAX_HEADER_TEXT))}


def context(*texts: str) -> Block:
    """A context line; each element keeps within the section limit."""
    elements = [mrkdwn(truncate(t, MAX_SECTION_TEXT)) for t in texts if t]
    return {"type": "context", "elements": elements[:MAX_CONTEXT_ELEMENTS] or [mrkdwn(" ")]}


def button(
    text: str,
    action_id: str,
    value: str,
    *,
    style: str | None = None,
    confirm: Block | None = None,
) -> Block:
    """A button; the value carries an id, so a value over Slack's limit is a bug, not text."""
    if len(value) > MAX_BUTTON_VALUE:
        raise ValueError(f"a button value is at most {MAX_BUTTON_VALUE} characters")
    element: Block = {
        "type": "button",
        "text": plain(truncate(text, MAX_BUTTON_TEXT)),
        "action_id": action_id,
        "value": value,
    }
    if style is not None:
        element["style"] = style
    if confirm is not None:
        element["confirm"] = confirm
    return element


def confirm_dialog(title: str, text: str, *, yes: str, no: str = "Cancel") -> Block:
    """An "are you sure?" dialog for a button whose click cannot be taken back."""
    return {
        "title": plain(truncate(title, 100)),
        "text": mrkdwn(truncate(text, 300)),
        "confirm": plain(truncate(yes, 30)),
        "deny": plain(truncate(no, 30)),
    }


def fit(blocks: Sequence[Block], limit: int = MAX_BLOCKS) -> list[Block]:
    """At most ``limit`` blocks (50, a message's limit, unless told): the ones over the limit
    are replaced by a note saying so."""
    if len(blocks) <= limit:
        return list(blocks)
    kept = list(blocks[: limit - 1])
    left_out = len(blocks) - len(kept)
    return [*kept, context(f"{ELLIPSIS} {left_out} more blocks left out (Slack's limit).")]


def fallback_text(text: str) -> str:
    """The plain ``text`` sent beside blocks, for notifications and screen readers."""
    return truncate(text, MAX_FALLBACK_TEXT)


def mrkdwn(text: str) -> Block:
    return {"type": "mrkdwn", "text": text}


def plain(text: str) -> Block:
    return {"type": "plain_text", "text": text, "emoji": True}


def link(url: str) -> str:
    if url.startswith(("http://", "https://")):
        return f"<{url}>"
    return escape(url)


def user_mention(user: str | None) -> str:
    if user and user[:1] in "UW" and user.isalnum() and user.isupper():
        return f"<@{user}>"
    return escape(user or "someone")


def when(moment: datetime | None) -> str:
    """A moment in mrkdwn as Slack's date token: each person reads it in their own time zone
    ("at Dec 4 10:30 AM" in Denver), with the UTC time where a client cannot render it."""
    if not moment:
        return ""
    seconds = int(moment.timestamp())
    return f"at <!date^{seconds}^{{date_short_pretty}} {{time}}|{team_time(moment, 'UTC')}>"
