"""The whole words a lexicon phrase spells, which typo corrections aim at.

A phrase is a small regular expression over folded text (``lexicon.compile_phrases``):
"countr(y|ies)" spells country and countries, "shoes?" shoes and shoe, "(ig|insta) captions?"
ig, insta, caption and captions, "e_mail" (``_``: an optional separator) email, e and mail.
Only letters, groups of alternatives and ``?`` are read; anything else ("\\w*", "[ab]", "+",
"{2}") marks a stem, and a word touching it is no whole word ("abwander\\w*" spells nothing).
Lookarounds spell nothing.
"""

from __future__ import annotations

from itertools import product

_STEM = "\0"
_MAX_SPELLINGS = 256
_MIN_LETTERS = 4


def phrase_words(phrase: str) -> set[str]:
    """The whole words of four letters or more that ``phrase`` can match."""
    spellings, _ = _alternatives(phrase, 0)
    return {
        word
        for spelling in spellings
        for word in spelling.split(" ")
        if len(word) >= _MIN_LETTERS and word.isalpha() and word.isascii()
    }


def _alternatives(text: str, i: int) -> tuple[list[str], int]:
    """The spellings of ``text`` from ``i`` up to its closing parenthesis (or its end)."""
    spellings: list[str] = []
    while True:
        sequence, i = _sequence(text, i)
        spellings += sequence
        if i < len(text) and text[i] == "|":
            i += 1
            continue
        return spellings[:_MAX_SPELLINGS], i


def _sequence(text: str, i: int) -> tuple[list[str], int]:
    spellings = [""]
    while i < len(text) and text[i] not in "|)":
        atom, i = _atom(text, i)
        if i < len(text) and text[i] == "?":
            atom, i = [*atom, ""], i + 1
        elif i < len(text) and text[i] in "*+{":
            atom = [_STEM]
            i = text.index("}", i) + 1 if text[i] == "{" else i + 1
        spellings = [a + b for a, b in product(spellings, atom)][:_MAX_SPELLINGS]
    return spellings, i


def _atom(text: str, i: int) -> tuple[list[str], int]:
    char = text[i]
    if char == "(":
        if text.startswith(("(?=", "(?!", "(?<=", "(?<!"), i):
            return [""], _closing(text, i) + 1
        start = i + 3 if text.startswith("(?:", i) else i + 1
        if text.startswith("(?P<", i):
            start = text.index(">", i) + 1
        inner, end = _alternatives(text, start)
        return inner, end + 1
    if char == "\\":
        return [_STEM], i + 2
    if char == "[":
        return [_STEM], text.index("]", i) + 1
    if char.isalpha() or char == " ":
        return [char], i + 1
    if char == "_":  # an optional separator: "e_mail" is "email" and "e mail"
        return ["", " "], i + 1
    if char in "^$":
        return [""], i + 1
    return [" " if char in "'-." else _STEM], i + 1


def _closing(text: str, i: int) -> int:
    """Where the group opened at ``i`` closes."""
    depth = 0
    for j in range(i, len(text)):
        depth += {"(": 1, ")": -1}.get(text[j], 0)
        if depth == 0:
            return j
    return len(text)
