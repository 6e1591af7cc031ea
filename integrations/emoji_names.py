"""Slack's emoji names (``:white_check_mark:``) and the characters they stand for: the sandbox
page shows them, and a message's text is read back with them (``integrations.text.plain_text``).

Slack names emoji as the emoji-data project does: mostly GitHub's short names (``+1``,
``hourglass_flowing_sand``), with spellings of its own (``large_green_circle``, ``flag-de``,
``male-cook``, ``skin-tone-2``). The table comes from the ``emoji`` package's data — its GitHub
aliases first, then its Unicode (CLDR) names — plus Slack's spellings derived from those.
"""

from __future__ import annotations

import re
from functools import cache

import emoji

from integrations.text import EMOJI_NAME

# Slack's "large_…" colours of the circles and squares the Unicode names call plainly "…_circle".
_LARGE = re.compile(r"(red|orange|yellow|green|blue|purple|brown|black|white)_(circle|square)")
_REGIONAL_A = 0x1F1E6
_SKIN_TONE_2 = 0x1F3FB  # Slack's skin-tone-2 … skin-tone-6 are the five Fitzpatrick modifiers


@cache
def emoji_table() -> dict[str, str]:
    """Every emoji name Slack would turn into a character, with that character."""
    table: dict[str, str] = {}
    for key in ("alias", "en"):
        for character, data in emoji.EMOJI_DATA.items():
            names = data.get(key, ())
            for name in [names] if isinstance(names, str) else names:
                if EMOJI_NAME.fullmatch(name.strip(":")):
                    table.setdefault(name.strip(":"), character)
    for name, character in list(table.items()):
        for spelling in _slack_spellings(name):
            table.setdefault(spelling, character)
    for character in emoji.EMOJI_DATA:
        if len(character) == 2 and all(0 <= ord(c) - _REGIONAL_A < 26 for c in character):
            letters = "".join(chr(ord(c) - _REGIONAL_A + ord("a")) for c in character)
            table.setdefault(f"flag-{letters}", character)
    for tone in range(5):
        table[f"skin-tone-{tone + 2}"] = chr(_SKIN_TONE_2 + tone)
    return table


def _slack_spellings(name: str) -> list[str]:
    """Slack's other names for the emoji the ``emoji`` package calls ``name``."""
    spellings = []
    if _LARGE.fullmatch(name):
        spellings.append(f"large_{name}")
    for person, older in (("man_", "male-"), ("woman_", "female-")):
        if name.startswith(person):
            rest = name.removeprefix(person).replace("_", "-")
            spellings += [f"{person[:-1]}-{rest}", f"{older}{rest}"]
    return spellings
