"""Text that came from outside (an import, a form, an edit, a Slack message) and will reach a
header or a screen: checked, escaped for Slack, or read back from Slack's markup."""

from __future__ import annotations

import re
import unicodedata

# Control characters, line and paragraph separators, and format characters (bidi overrides,
# zero-width joiners aside from the emoji joiner): each can break a mail header, a CSV row or
# a terminal line, or hide what a text says.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})
_ALLOWED = frozenset({"\u200d"})  # ZERO WIDTH JOINER, inside emoji sequences
# Slack's markup in a message's text: <@U…|name>, <#C…|name>, <!here>, <https://…|label>.
_MARKUP = re.compile(r"<([^<>]*)>")
_SPECIALS = ("channel", "here", "everyone")
# An emoji's name as Slack writes it between colons ("wave", "+1", "skin-tone-3"; the sandbox
# page's script looks for the same); ":wave::skin-tone-3:" is an emoji with a skin tone.
EMOJI_NAME = re.compile(r"[a-z0-9_+-]+")
_EMOJI = re.compile(rf":({EMOJI_NAME.pattern}):")


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


def plain_text(text: str) -> str:
    """Slack's text of a message as the words a person sees: mentions, channels, specials
    (``<!channel>``) and links spelt out, emoji names as their characters (a workspace's own
    emoji stay named), ``&lt;`` ``&gt;`` ``&amp;`` read back. Nothing in it is markup any more:
    escaped again where it is shown, it pings nobody and links nowhere new."""
    # Here, not at the top: the emoji table loads the emoji package's data.
    from integrations.emoji_names import emoji_table

    table = emoji_table()
    spelt = _MARKUP.sub(_spelt, text)
    spelt = _EMOJI.sub(lambda name: table.get(name.group(1), name.group(0)), spelt)
    return spelt.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _spelt(markup: re.Match[str]) -> str:
    target, _, label = markup.group(1).partition("|")
    if target[:1] in ("@", "#"):  # a person or a channel
        return target[0] + (label.lstrip("@#") or target[1:])
    if target[:1] == "!":  # @here and the like; a user group, a date: their own text
        name = target[1:]
        return f"@{name}" if name in _SPECIALS or not label else label
    if label and label != target.removeprefix("mailto:"):
        return f"{label} ({target})"
    return label or target
