"""What kind of fact a question asks for, and whether a sentence states one.

Question answering has long used the *expected answer type*: "how much" wants an amount, "how
long" a duration, "what's your number" a phone number. A help-centre sentence that states
such a fact is more likely the answer than one that only shares the question's words ("How
often to wash down" for "how long does the refund take"). The composer prefers such sentences
(``compose``), and the confidence hears whether the answer states the fact asked for.

A question in another language asks in its own words ("¿cuánto cuesta?", "wie lange"): the
commonest of Spanish, Portuguese, Italian, French, German and Dutch are known too, or every
section headed with a kind of fact would read as answering another kind than the question's
(``mismatched``). What states a fact is English: the help centre is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AnswerType:
    """A kind of fact: the questions that ask for it and the text that states it."""

    name: str
    asks: re.Pattern[str]
    states: re.Pattern[str]


_NUMBER = (
    r"(?:\d+(?:[.,]\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|twelve|thirty|sixty"
    r"|ninety)"
)
_UNITS_OF_TIME = r"(?:business |working |calendar )?(?:days?|weeks?|months?|years?|hours?|minutes?)"
TYPES = (
    AnswerType(
        "amount",
        re.compile(
            r"\bhow (?:much|many)\b|\bwhat (?:amounts?|prices?|fees?|costs?|denominations?)\b"
            r"|\b(?:fee|fees|cost|costs|price|charge|charged|minimum|maximum|limit)\b"
            r"|\bwhat size\b|\bhow (?:big|large|heavy)\b"
            # Spanish, Portuguese, Italian, French, German, Dutch: "¿cuánto cuesta?", "quanto
            # custa", "combien", "wie viel kostet", "hoeveel kost"
            r"|\bcu[aá]nt[oa]s?\b|\bquant[oaie]s?\b|\bcombien\b|\bwie ?viele?\b|\bhoeveel\b"
            r"|\b(?:cuesta|custa|costa|co[uû]te|kostet|kost|precio|pre[cç]o|prezzo|prix|preis|"
            r"prijs|tarifa|frais|geb[uü]hr\w*)\b",
            re.IGNORECASE,
        ),
        re.compile(
            rf"[$€£]\s?\d|\b\d+(?:[.,]\d+)?\s?(?:%|percent|dollars|points?|inch(?:es)?|cm|mm|lbs?|kg)\b"
            rf"|\b\d+/\d+\b|\bfree\b|\b{_NUMBER}\s{_UNITS_OF_TIME}",
            re.IGNORECASE,
        ),
    ),
    AnswerType(
        "duration",
        re.compile(
            r"\bhow (?:long|soon|quickly|fast)\b|\bwhen (?:will|does|do|can|is|would)\b"
            r"|\bexpire[sd]?\b|\bexpiry\b|\bexpiration\b|\bhow many (?:days|weeks|months)\b"
            r"|\b(?:quicker|faster|sooner|slower)\b"
            # "¿cuánto tarda?", "quanto tempo", "combien de temps", "wie lange", "hoe lang",
            # "¿cuándo?", "quand", "wann", "wanneer", "caducan", "scadono", "verfallen"
            r"|\bcu[aá]nto (?:tarda|tiempo|demora)\b|\bquanto (?:tempo|demora|ci vuole)\b"
            r"|\bcombien de (?:temps|jours)\b|\bwie lange?\b|\bhoe lang\b"
            r"|\bcu[aá]ndo\b|\bquando\b|\bquand\b|\bwann\b|\bwanneer\b"
            r"|\b(?:caduc|venc|scad|verf[aä]ll|verloop)\w*\b",
            re.IGNORECASE,
        ),
        re.compile(
            rf"\b{_NUMBER}(?:\s?[–-]\s?{_NUMBER})?\s{_UNITS_OF_TIME}\b"
            rf"|\b(?:{_NUMBER}) to {_NUMBER}\s{_UNITS_OF_TIME}"
            r"|\b(?:same|next)[ -](?:business )?day\b|\bnever expire",
            re.IGNORECASE,
        ),
    ),
    AnswerType(
        "frequency",
        re.compile(r"\bhow (?:often|frequently)\b|\bevery time\b", re.IGNORECASE),
        re.compile(
            r"\b(?:once|twice)\b|\bevery (?:\w+ )?(?:trip|day|week|month|year|season|time)s?\b"
            rf"|\b{_NUMBER} times\b|\btimes a (?:day|week|month|year|season)\b",
            re.IGNORECASE,
        ),
    ),
    AnswerType(
        "phone",
        re.compile(r"\bphone\b|\bcall (?:you|us)\b|\bnumber to call\b", re.IGNORECASE),
        re.compile(r"\b\d{3}[-.\s]\d{3}[-.\s]\d{4}\b|\b1-800-"),
    ),
)


def expected_types(question: str) -> tuple[AnswerType, ...]:
    """The kinds of fact ``question`` asks for (none for a "how do I" or a yes/no)."""
    return tuple(kind for kind in TYPES if kind.asks.search(question))


def mismatched(question: str, heading: str) -> bool:
    """Whether ``heading`` asks for a kind of fact that ``question`` does not: a section headed
    "How often to wash down" answers a "how often", not a "how do I wash"."""
    kinds = {kind.name for kind in expected_types(heading)}
    return bool(kinds) and not kinds & {kind.name for kind in expected_types(question)}


def states_any(kinds: tuple[AnswerType, ...], text: str) -> bool:
    """Whether ``text`` states a fact of one of ``kinds``."""
    return any(kind.states.search(text) for kind in kinds)
