"""Prose that cannot misquote: text with slots naming computed facts, rendered by code.

The writer (a model or the offline template) never writes a figure. It writes
``"Revenue was {revenue}, {revenue_change} on {comparison}."`` and ``render_slot_text`` puts in
``$94,264``, ``+34.9%`` and ``the week before`` from the ``Fact`` values the tools computed, each
shown by ``render_fact`` with its unit. ``check_slot_text`` refuses a text that could state a
figure of its own (decided here, tested in ``tests/unit/test_llm_slots.py``):

- a digit, or any numeric character (``Q3``, ``½``, ``９``), outside a slot: periods, dates and
  comparisons ("the four-week average") come through ``text`` facts;
- a number word in English, German, Spanish or French (``ninety-four``, ``thousand``, ``twice``,
  ``half``, ``doubled``, ``vierundneunzig``, ``mitad``, ``moitié``, ``percent``);
- a percent, currency or ``×`` sign anywhere, and a unit or sign next to a slot (``{aov}%``,
  ``$ {orders}``, ``{roas}x``, ``{hours_to_resolve} hours``, ``+{revenue_change}``): the fact
  brings its unit and its sign;
- a slot not among the facts, a malformed slot (``{Revenue}``, ``{revenue:.2f}``), a stray brace;
- Slack mentions, links and specials (``<!channel>``, ``<@U123>``, ``<http://x|y>``, ``@here``).

What no check can see: a slot used for the wrong thing ("{orders} in revenue") reads like any
other sentence. Slot names and the labels listed to the model carry the meaning, so make them
specific (``revenue_change_vs_4wk_avg``, not ``change``). Left alone because they are common words
in other senses: ordinals ("first"), "once", "seize", and the articles un/une/ein/una.

The rendered text is Slack mrkdwn: the writer's words and ``text`` facts are escaped (``&``, ``<``,
``>``) here, once; do not escape it again. A caller that keeps plain text (a specialist's report,
escaped by whichever view shows it) asks for ``mrkdwn=False``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal, NewType

from integrations.text import escape_mrkdwn

FactUnit = Literal[
    "currency", "count", "ratio", "multiple", "hours", "percentage_points", "days", "text"
]
SlotText = NewType("SlotText", str)
"""Text whose figures are ``{slot}`` placeholders naming facts: no digit of its own."""

SlotProblemKind = Literal[
    "empty", "brace", "malformed_slot", "unknown_slot", "digit", "number_word", "unit", "slack"
]

NOT_AVAILABLE = "n/a"
_MINUS = "\u2212"
_SLOT_NAME = re.compile(r"[a-z][a-z0-9_]*")
_SLOT = re.compile(r"\{([^{}]*)\}")
# Digits after the point when the fact does not say: whole dollars and counts, one decimal else.
_DECIMALS: dict[FactUnit, int] = {
    "currency": 0,
    "count": 0,
    "ratio": 1,
    "multiple": 1,
    "hours": 1,
    "percentage_points": 1,
    "days": 1,
}
_CURRENCY_SIGNS = "$€£¥₹₩₽¢"
_UNIT_SIGNS = frozenset("%‰‱×")

_NUMBER_WORDS_BY_LANGUAGE = {
    "en": "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fourty fifty sixty seventy "
    "eighty ninety hundred hundreds thousand thousands million millions billion billions "
    "trillion trillions dozen dozens half halves halved halving double doubled doubles doubling "
    "triple tripled triples tripling treble trebled quadruple quadrupled twice thrice tenth "
    "tenths hundredth thousandth percent percents pct",
    "de": "null eins zwei drei vier fünf sechs sieben acht neun zehn elf zwölf zwanzig dreißig "
    "dreissig vierzig fünfzig sechzig siebzig achtzig neunzig hundert hunderte tausend tausende "
    "millionen milliarde milliarden dutzend hälfte halb halbe halben halbiert doppelt doppelte "
    "doppelten verdoppelt verdoppelte zweifach dreifach vierfach zehnfach verdreifacht prozent",
    "es": "cero uno dos tres cuatro cinco seis siete ocho nueve diez doce trece catorce quince "
    "veinte treinta cuarenta cincuenta sesenta setenta ochenta noventa cien ciento cientos "
    "quinientos quinientas setecientos setecientas novecientos novecientas mil miles millón "
    "millones doble duplicó duplicado duplicada triplicó triplicado mitad",
    "fr": "zéro deux trois quatre cinq sept huit neuf dix onze douze treize quatorze quinze vingt "
    "vingts trente quarante cinquante soixante cent cents mille milliers milliard milliards "
    "moitié doublé doublée doubler triplé demi demie douzaine pourcent",
}
_NUMBER_WORDS = frozenset(" ".join(_NUMBER_WORDS_BY_LANGUAGE.values()).split())
# Number words written as one word: "vierundneunzig", "veinticuatro", "doscientos", "tenfold".
_STEMS_BY_LANGUAGE = {
    "en": "one two three four five six seven eight nine ten eleven twelve twenty thirty forty "
    "fifty sixty seventy eighty ninety hundred thousand million billion fold",
    "de": "ein eins zwei drei vier fünf sech sechs sieb sieben acht neun zehn elf zwölf zwanzig "
    "dreißig dreissig vierzig fünfzig sechzig siebzig achtzig neunzig hundert tausend halb",
    "es": "dieci veinti uno dos dós tres trés cuatro cinco seis séis siete ocho nueve cientos "
    "cientas",
}
_STEMS = " ".join(_STEMS_BY_LANGUAGE.values()).split()
_STEM = "|".join(sorted(_STEMS, key=len, reverse=True))
_COMPOUND_NUMBER = re.compile(rf"(?:{_STEM})(?:(?:und)?(?:{_STEM}))+")
_WORD = re.compile(r"[^\W\d_]+")
_SLACK_MARKUP = re.compile(
    r"<\s*(?:[!@#]|[a-z][a-z0-9+.\-]*:)[^<>]*>?|@(?:channel|here|everyone)", re.I
)
# A unit or sign right after a slot ("{aov}%", "{roas} x", "{ttr} hours") ...
_UNIT_AFTER_SLOT = re.compile(
    rf"\s*(?:[%‰‱×{_CURRENCY_SIGNS}]|(?:x|pp|pts?|points?|bps|percent|pct|hours?|hrs?|h|days?|"
    r"d|k|m|mn|bn|b|usd|eur|gbp|dollars?|euros?)(?![^\W\d_]))",
    re.I,
)
# ... or right before one ("$ {orders}", "USD {revenue}").
_UNIT_BEFORE_SLOT = re.compile(rf"(?:[{_CURRENCY_SIGNS}]|(?<![^\W\d_])(?:usd|eur|gbp))\s*$", re.I)
_SIGNS = "+-−±"
_EXPLAINED: dict[SlotProblemKind, str] = {
    "empty": "there is no text",
    "brace": "a brace that is not part of a {slot}",
    "malformed_slot": "not a slot name (lower case letters, digits and _)",
    "unknown_slot": "no fact has this slot name; use only the slots listed",
    "digit": "a digit outside a slot; every figure, date and period must be a slot",
    "number_word": "a number word; write the slot of the figure instead",
    "unit": "a unit or sign written by hand; a slot brings its own unit and sign",
    "slack": "a Slack mention or link; write plain words",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Fact:
    """One computed figure (or label) that a text cites as ``{name}``.

    ``unit`` says how it is shown: ``currency`` ($94,264), ``count`` (893), ``ratio`` (a fraction,
    0.892 → 89.2%), ``multiple`` (41.2×), ``hours``, ``days``, ``percentage_points`` (a difference
    of two ratios, as a fraction: -0.009 → −0.9 pp) or ``text`` (``text`` holds the words: a period
    label, a channel name). ``signed`` shows a change with its sign (+34.9%, −$1,204); percentage
    points always carry one. ``decimals`` overrides the unit's precision (cents for an AOV).
    ``label`` tells the writer what the figure is. ``value=None`` shows "n/a"; NaN and infinities
    (a ratio over zero) are stored as None.
    """

    name: str
    unit: FactUnit
    value: float | int | None = None
    text: str | None = None
    label: str = ""
    signed: bool = False
    decimals: int | None = None

    def __post_init__(self) -> None:
        if not _SLOT_NAME.fullmatch(self.name):
            raise ValueError(f"fact name {self.name!r}: lower case letters, digits and _ only")
        if self.unit == "text":
            if self.text is None or self.value is not None:
                raise ValueError(f"fact {self.name!r}: a text fact has text and no value")
            return
        if self.text is not None:
            raise ValueError(f"fact {self.name!r}: only a text fact has text")
        if isinstance(self.value, bool):
            raise ValueError(f"fact {self.name!r}: a boolean is not a figure")
        if self.decimals is not None and not 0 <= self.decimals <= 6:
            raise ValueError(f"fact {self.name!r}: decimals between 0 and 6")
        if self.value is not None and not math.isfinite(self.value):
            object.__setattr__(self, "value", None)


@dataclass(frozen=True, slots=True)
class SlotProblem:
    """One reason a slot text was refused: what kind, and the words as written."""

    kind: SlotProblemKind
    found: str

    @property
    def message(self) -> str:
        """For the model's re-ask and the run log: ``"94,000": a digit outside a slot; …``."""
        return f"{self.found!r}: {_EXPLAINED[self.kind]}" if self.found else _EXPLAINED[self.kind]


@dataclass(frozen=True, slots=True)
class RefusedText:
    """A text the writer returned and the check refused, kept for the run log."""

    text: str
    problems: tuple[SlotProblem, ...]


class SlotTextError(ValueError):
    """A slot text was rendered without passing the check: a caller's offline template is wrong."""

    def __init__(self, text: str, problems: Sequence[SlotProblem]) -> None:
        listed = "; ".join(problem.message for problem in problems)
        super().__init__(f"slot text {text[:80]!r} refused: {listed}")
        self.problems = tuple(problems)


def render_fact(fact: Fact) -> str:
    """The fact as people read it: ``$94,264``, ``893``, ``89.2%``, ``41.2×``, ``+34.9%``,
    ``−0.9 pp``, ``12.5 hours``, ``n/a``; plain text, not yet escaped for Slack.

    Rounding is half up on the figure as written (0.1235 → 12.4%), as a person would round it.
    """
    if fact.unit == "text":
        return fact.text or ""
    if fact.value is None:
        return NOT_AVAILABLE
    decimals = fact.decimals if fact.decimals is not None else _DECIMALS[fact.unit]
    # From the figure as written: repr of a float is its shortest form (0.1235, not 0.12349…).
    value = fact.value
    number = Decimal(value) if isinstance(value, int) else Decimal(repr(float(value)))
    if fact.unit in ("ratio", "percentage_points"):
        number *= 100
    rounded = number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    if fact.unit in ("hours", "days") and rounded == rounded.to_integral_value():
        decimals = 0
    shown = f"{abs(rounded):,.{decimals}f}"
    sign = ""
    if rounded < 0:
        sign = _MINUS
    elif rounded > 0 and (fact.signed or fact.unit == "percentage_points"):
        sign = "+"
    if fact.unit == "currency":
        return f"{sign}${shown}"
    if fact.unit == "ratio":
        return f"{sign}{shown}%"
    if fact.unit == "multiple":
        return f"{sign}{shown}×"
    if fact.unit == "percentage_points":
        return f"{sign}{shown} pp"
    if fact.unit in ("hours", "days"):
        word = fact.unit if shown != "1" else fact.unit[:-1]
        return f"{sign}{shown} {word}"
    return f"{sign}{shown}"


def check_slot_text(text: str, facts: Sequence[Fact]) -> list[SlotProblem]:
    """Why ``text`` may not be rendered over ``facts`` (see the module docstring); empty when
    it may."""
    if not text.strip():
        return [SlotProblem("empty", "")]
    known = _by_name(facts)
    parts = _SLOT.split(text)  # words, slot, words, slot, ..., words
    problems: list[SlotProblem] = []
    for index, part in enumerate(parts):
        if index % 2:
            if not _SLOT_NAME.fullmatch(part):
                problems.append(SlotProblem("malformed_slot", f"{{{part}}}"))
            elif part not in known:
                problems.append(SlotProblem("unknown_slot", f"{{{part}}}"))
            continue
        before = parts[index - 1] if index > 0 else None
        after = parts[index + 1] if index + 1 < len(parts) else None
        problems.extend(_word_problems(part, slot_before=before, slot_after=after))
    return list(dict.fromkeys(problems))


def render_slot_text(text: str, facts: Sequence[Fact], *, mrkdwn: bool = True) -> str:
    """``text`` with each slot replaced by its rendered fact, as Slack mrkdwn (escaped once);
    ``mrkdwn=False`` gives plain text, for a caller that escapes where it shows it.

    Raises ``SlotTextError`` when ``check_slot_text`` finds a problem.
    """
    problems = check_slot_text(text, facts)
    if problems:
        raise SlotTextError(text, problems)
    known = _by_name(facts)
    parts = _SLOT.split(text)
    rendered = (render_fact(known[part]) if index % 2 else part for index, part in enumerate(parts))
    return "".join(escape_mrkdwn(part) for part in rendered) if mrkdwn else "".join(rendered)


def _by_name(facts: Sequence[Fact]) -> dict[str, Fact]:
    known: dict[str, Fact] = {}
    for fact in facts:
        if fact.name in known:
            raise ValueError(f"two facts are named {fact.name!r}")
        known[fact.name] = fact
    return known


def _word_problems(
    words: str, *, slot_before: str | None, slot_after: str | None
) -> Iterator[SlotProblem]:
    """Problems in the writer's own words between two slots (or an end of the text)."""
    words = unicodedata.normalize("NFKC", words)  # fullwidth "９％" reads as "9%"
    for brace in re.findall(r"[{}]", words):
        yield SlotProblem("brace", brace)
    for match in _SLACK_MARKUP.finditer(words):
        yield SlotProblem("slack", match.group())
    beside: list[range] = []  # units written beside a slot, reported once, with the slot
    if slot_before is not None and (unit := _UNIT_AFTER_SLOT.match(words)):
        yield SlotProblem("unit", f"{{{slot_before}}}{unit.group()}")
        beside.append(range(*unit.span()))
    if slot_after is not None and (unit := _UNIT_BEFORE_SLOT.search(words)):
        yield SlotProblem("unit", f"{unit.group()}{{{slot_after}}}")
        beside.append(range(*unit.span()))
    if slot_after is not None and words[-1:] and words[-1] in _SIGNS:
        # "+{change}" or "up -{change}" is a sign; "{low}-{high}" is a hyphen joining two slots.
        preceding = words[:-1]
        if preceding[-1:].isspace() if preceding else slot_before is None:
            yield SlotProblem("unit", f"{words[-1]}{{{slot_after}}}")
    for index, character in enumerate(words):
        is_sign = character in _UNIT_SIGNS or unicodedata.category(character) == "Sc"
        if is_sign and not any(index in span for span in beside):
            yield SlotProblem("unit", character)
    for token in words.split():
        if any(character.isnumeric() for character in token):
            yield SlotProblem("digit", token.strip(".,;:!?()[]\"'“”‘’"))
    for word in _WORD.findall(words):
        lower = word.lower()
        if lower in _NUMBER_WORDS or _COMPOUND_NUMBER.fullmatch(lower):
            yield SlotProblem("number_word", word)
