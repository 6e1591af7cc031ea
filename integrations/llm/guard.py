"""The number guard: every figure in a text must be one of the numbers in what it was written from.

``check_figures(text, facts)`` reads the figures in ``text`` and looks each one up among the
numbers in ``facts``. It holds a model's support answer to the help-centre passages it quotes,
where figures come from the passages' own words; prose written from computed figures goes through
slots instead (``slots``), where the model writes no figure at all.

What counts as a figure, and when it matches a fact (decided here, tested in
``tests/unit/test_llm_guard.py``):

- Figures are written the English way: ``1204``, ``1,204``, ``1,204.30``, ``.5``, ``-3``,
  ``−3`` (Unicode minus), ``+2.1``, with an optional currency sign (``$ € £``, before or after the
  sign), an optional scale (``k K m M bn B``, ``thousand million billion``) and an optional
  percent (``%``, ``percent``, ``pp``, ``pts``, ``points``, ``percentage points``).
  ``12,5`` is read as two figures, 12 and 5.
- A figure shown with *d* decimals matches a fact that rounds to it at that precision, scaled by
  its suffix: ``1.2k`` matches 1,150–1,250 and ``$1,204`` matches 1,203.5–1,204.5. A whole number
  with trailing zeros beyond its first two digits is read as rounded: ``1,200`` and ``1.2k`` both
  match 1,204.3, ``2,000,000`` matches 1.95–2.05 million, ``100`` matches 95–105.
- A percent matches a fraction (``12.5%`` ↔ 0.125) or a fact already in percent (↔ 12.5).
  A plain figure never matches a fraction times 100.
- Sign: a figure written without a sign matches a fact of either sign, since the words carry the
  direction ("fell 5%" ↔ -0.05). A figure written with ``-``/``−`` must match a negative fact,
  one written with ``+`` a positive one.
- Ranges ``10–15%``, ``10-15%``, ``$10 to 15k``: each end is a figure; the first end takes the
  second's scale and percent when it has none of its own.
- Dates: an ISO date (``2026-11-22``, optionally with a time) must be one of the dates in the facts
  (``date``/``datetime`` values or ISO strings). The year, month and day of every fact date are
  allowed as whole numbers, so "week ending November 22, 2026" passes when 2026-11-22 is a fact;
  a year that is not in the facts ("unlike 2019") is refused like any other number.
- Counts: the number of items in any list or mapping in the facts is allowed as a whole number
  ("three segments" written as "3 segments").
- Not figures: digits glued to a letter or underscore before them (``Q4``, ``B2B``, ``gpt-4o``,
  ``FY2026``), clock times (``09:00``, ``9:30 am``). Spelled-out numbers ("twelve") are not read:
  a known gap, narrowed by prompts that ask for digits.
- Nothing is derived: a sum, difference or ratio not present in the facts is refused, because the
  tools compute every number and the model only writes.

Strings inside the facts, mapping keys included, are read with the same rules (``"12.5%"``
counts); booleans and ``None`` are not numbers; pydantic models and dataclasses are read field by
field.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

from pydantic import BaseModel

_SCALES: dict[str, int] = {
    "k": 1_000,
    "thousand": 1_000,
    "m": 1_000_000,
    "million": 1_000_000,
    "mn": 1_000_000,
    "b": 1_000_000_000,
    "bn": 1_000_000_000,
    "billion": 1_000_000_000,
}
# Digits needed before trailing zeros are read as rounding: "1,200" is 1.2k ± 50, "10" is exact.
_SIGNIFICANT_DIGITS_SHOWN = 2
_RELATIVE_SLACK = 1e-9

_ISO_DATE = re.compile(
    r"(?<![\w.])(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?(?![\w])"
)
_CLOCK_TIME = re.compile(r"(?<![\w.:])\d{1,2}:\d{2}(?::\d{2})?(?:\s?[ap]\.?m\.?)?(?![\w:])", re.I)
_FIGURE = re.compile(
    r"""
    (?<![\w.])(?<![A-Za-z]-)                    # not part of a word, name or decimal
    (?P<sign>[-−+])?
    (?P<currency>[$€£])?
    (?P<sign_after_currency>(?(sign)(?!)|[-−]))?
    (?P<number>
        (?P<whole>\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.(?P<frac>\d+))?
        | \.(?P<bare_frac>\d+)
    )
    (?:
        \s?(?P<percent>%|percent(?:age(?:\ points?)?)?\b|pp\b|pts\b|points?\b)
        | (?P<scale_word>\s(?:thousand|million|billion)\b)
        | (?P<scale>k|K|mn|m|M|bn|b|B)(?![A-Za-z])
    )?
    """,
    re.VERBOSE,
)
_RANGE_JOIN = re.compile(r"\s*(?:–|—|-|to)\s*")


@dataclass(frozen=True, slots=True)
class Figure:
    """A figure as written in the text, and the number it stands for.

    ``value`` is in the unit shown (``12.5%`` → 12.5) times its scale (``1.2k`` → 1200.0); an
    ISO date's value is the ``date``. ``step`` is the precision shown (``1.2k`` → 100.0).
    """

    text: str
    start: int
    value: float | date
    step: float = 1.0
    percent: bool = False
    signed: bool = False  # written with "-", "−" or "+": the fact must have that sign


@dataclass(frozen=True, slots=True)
class GuardVerdict:
    """The figures found in a text and those that are not in the facts."""

    figures: tuple[Figure, ...]
    offending: tuple[Figure, ...]

    @property
    def passed(self) -> bool:
        """True when every figure was found in the facts."""
        return not self.offending

    @property
    def reason(self) -> str | None:
        """Why the text was refused, for the run log; ``None`` when it passed."""
        if self.passed:
            return None
        quoted = ", ".join(figure.text for figure in self.offending)
        return f"figures not in the facts: {quoted}"


@dataclass(slots=True)
class FactNumbers:
    """Every number the facts hold, read once and checked against many figures."""

    values: list[float] = field(default_factory=list)
    dates: set[date] = field(default_factory=set)
    whole_numbers: set[int] = field(default_factory=set)


def extract_figures(text: str) -> list[Figure]:
    """Every figure in ``text``, in order, with ISO dates read as dates and clock times skipped."""
    masked = text
    found: list[Figure] = []
    for match in _ISO_DATE.finditer(text):
        day = _iso_date(match.group("date"))
        if day is not None:
            found.append(Figure(text=match.group(0), start=match.start(), value=day))
        masked = _blank(masked, match.start(), match.end())
    for match in _CLOCK_TIME.finditer(masked):
        masked = _blank(masked, match.start(), match.end())

    numbers: list[tuple[re.Match[str], Figure]] = []
    for match in _FIGURE.finditer(masked):
        numbers.append((match, _figure(match, text)))
    found.extend(_join_ranges(numbers, masked))
    return sorted(found, key=lambda figure: figure.start)


def read_fact_numbers(facts: object) -> FactNumbers:
    """Collect the numbers, dates and counts in ``facts`` (see the module docstring)."""
    numbers = FactNumbers()
    _collect(facts, numbers, depth=0)
    return numbers


def check_figures(text: str, facts: object, *, allowed: Iterable[float] = ()) -> GuardVerdict:
    """Check every figure in ``text`` against ``facts``; ``allowed`` adds numbers the caller
    vouches for (e.g. a policy's cap quoted in the prompt)."""
    numbers = read_fact_numbers(facts)
    numbers.values.extend(float(value) for value in allowed)
    figures = tuple(extract_figures(text))
    offending = tuple(figure for figure in figures if not _matches(figure, numbers))
    return GuardVerdict(figures=figures, offending=offending)


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + " " * (end - start) + text[end:]


def _iso_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _figure(match: re.Match[str], text: str) -> Figure:
    whole = (match.group("whole") or "").replace(",", "")
    frac = match.group("frac") or match.group("bare_frac") or ""
    magnitude = Decimal(f"{whole or '0'}.{frac}" if frac else whole)
    step = Decimal(1).scaleb(-len(frac) if frac else _rounded_zeros(whole))
    scale = _scale_of(match)
    sign_text = match.group("sign") or match.group("sign_after_currency") or ""
    negative = sign_text in ("-", "−")
    value = float(magnitude * scale) * (-1 if negative else 1)
    return Figure(
        text=text[match.start() : match.end()].strip(),
        start=match.start(),
        value=value,
        step=float(step * scale),
        percent=match.group("percent") is not None,
        signed=bool(sign_text),
    )


def _rounded_zeros(whole: str) -> int:
    """How many trailing zeros of a whole number are rounding rather than digits."""
    digits = whole.lstrip("0")
    trailing = len(digits) - len(digits.rstrip("0"))
    return max(0, min(trailing, len(digits) - _SIGNIFICANT_DIGITS_SHOWN))


def _join_ranges(numbers: list[tuple[re.Match[str], Figure]], masked: str) -> list[Figure]:
    """Give the first end of ``10–15%`` or ``$10 to 15k`` the second end's percent and scale."""
    figures = [figure for _, figure in numbers]
    for index in range(len(numbers) - 1):
        (first_match, first), (second_match, second) = numbers[index], numbers[index + 1]
        between = masked[first_match.end() : second_match.start()]
        if not _RANGE_JOIN.fullmatch(between) or second.signed:
            continue
        if first_match.group("percent") or _scale_of(first_match) != 1:
            continue
        if not isinstance(first.value, float):
            continue
        scale = _scale_of(second_match)
        figures[index] = dataclasses.replace(
            first, value=first.value * scale, step=first.step * scale, percent=second.percent
        )
    return figures


def _scale_of(match: re.Match[str]) -> int:
    scale_text = (match.group("scale") or match.group("scale_word") or "").strip().lower()
    return _SCALES.get(scale_text, 1)


def _matches(figure: Figure, numbers: FactNumbers) -> bool:
    if isinstance(figure.value, date):
        return figure.value in numbers.dates
    value = figure.value
    exact_whole = not figure.percent and not figure.signed and figure.step == 1.0
    if exact_whole and value.is_integer() and int(value) in numbers.whole_numbers:
        return True
    tolerance = figure.step / 2 + _RELATIVE_SLACK * max(1.0, abs(value))
    for fact in numbers.values:
        candidates = (fact, fact * 100) if figure.percent else (fact,)
        for candidate in candidates:
            # A signed figure must match the signed fact; an unsigned one matches its size.
            shown = candidate if figure.signed else abs(candidate)
            if abs(shown - value) <= tolerance:
                return True
    return False


_MAX_DEPTH = 20


def _collect(item: object, numbers: FactNumbers, *, depth: int) -> None:
    if depth > _MAX_DEPTH or item is None or isinstance(item, bool):
        return
    if isinstance(item, int | float | Decimal | Fraction):
        number = float(item)
        if math.isfinite(number):
            numbers.values.append(number)
        return
    if isinstance(item, date):  # datetime is a date too
        day = item.date() if isinstance(item, datetime) else item
        numbers.dates.add(day)
        numbers.whole_numbers.update((day.year, day.month, day.day))
        return
    if isinstance(item, str):
        _collect_text(item, numbers)
        return
    if isinstance(item, BaseModel):
        _collect(item.model_dump(), numbers, depth=depth + 1)
        return
    if dataclasses.is_dataclass(item) and not isinstance(item, type):
        _collect(dataclasses.asdict(item), numbers, depth=depth + 1)
        return
    if isinstance(item, Mapping):
        numbers.whole_numbers.add(len(item))
        for key, value in item.items():
            _collect(key, numbers, depth=depth + 1)
            _collect(value, numbers, depth=depth + 1)
        return
    if isinstance(item, list | tuple | set | frozenset):
        numbers.whole_numbers.add(len(item))
        for value in item:
            _collect(value, numbers, depth=depth + 1)


def _collect_text(text: str, numbers: FactNumbers) -> None:
    for figure in extract_figures(text):
        if isinstance(figure.value, date):
            _collect(figure.value, numbers, depth=0)
        elif figure.percent:
            numbers.values.extend((figure.value / 100, figure.value))
        else:
            numbers.values.append(figure.value)
