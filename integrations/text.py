"""Text that came from outside (an import, a form, an edit) and will reach a header or a screen."""

from __future__ import annotations

import unicodedata

# Control characters, line and paragraph separators, and format characters (bidi overrides,
# zero-width joiners aside from the emoji joiner): each can break a mail header, a CSV row or
# a terminal line, or hide what a text says.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})
_ALLOWED = frozenset({"\u200d"})  # ZERO WIDTH JOINER, inside emoji sequences


def unsafe_character(text: str, *, allow_newlines: bool = False) -> str | None:
    """The first character of ``text`` that must not be there, named as ``U+XXXX NAME``; None
    when there is none. ``allow_newlines`` lets a body keep its line breaks and tabs."""
    for char in text:
        if char in _ALLOWED or (allow_newlines and char in "\n\t"):
            continue
        if unicodedata.category(char) in _UNSAFE_CATEGORIES:
            name = unicodedata.name(char, "control character")
            return f"U+{ord(char):04X} {name}"
    return None


def person_key(address: str) -> str:
    """Who an address reaches, for the frequency cap and the suppression list: the same address
    with other capitals or surrounding spaces is the same person."""
    return address.strip().lower()


def escape_mrkdwn(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters, so no mention,
    link or special (``<!channel>``) can be smuggled into a message."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_mrkdwn_keeping_quotes(text: str) -> str:
    """``text`` escaped, so no mention or link can be smuggled into it, with the quoted lines
    (a help-centre passage) kept as quotes."""
    lines = escape_mrkdwn(text).splitlines() or [" "]
    return "\n".join(">" + line[4:] if line.startswith("&gt;") else line for line in lines)
