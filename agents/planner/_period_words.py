"""Words of a question → period tokens, for ``agents.planner.periods``.

Each known word or phrase becomes one or more symbols (``last``, ``week``, ``mon`` with its
month, ``num`` with its value …) in English, German, Spanish and French: "la semana pasada",
"letzte Woche" and "last week" all become ``last week``. Fillers ("the", "im", "de") are
dropped; any other word is kept as ``_``, so it breaks a phrase. A word that is not known is
corrected when it is a slip of exactly one period word with the same first letter ("lst",
"novmber", "blacck friday"), unless it is a real word itself ("about" is not "août":
``common_words``). Month
and weekday names come from dateparser's language data, and dateparser reads numeric dates:
month/day as the team is in the US (day/month when the first part is over 12), day.month when
written with dots as in German, year-month-day when written with dashes.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache, lru_cache

from agents.planner.common_words import real_words, stop_words

# symbols ← words, accents folded; "|" separates entries, an entry may be several words, and a
# key of several symbols expands to several tokens ("vorjahr" → last year), each with value 0
# unless written symbol=value ("fortnight" → two weeks). "" is filler.
_WORDS: dict[str, str] = {
    "last": "last|past|previous|prior|trailing|rolling|letzte|letzten|letzter|letztes|vorige"
    "|vorigen|voriges|vergangene|vergangenen|vergangener|vergangenes",
    # Spanish and French put these before or after the unit: "la semana pasada", "le dernier mois"
    "lastp": "pasada|pasado|pasadas|pasados|anterior|ultimo|ultima|ultimos|ultimas|dernier"
    "|derniere|derniers|dernieres|passe|passee",
    "this": "this|current|diese|diesen|dieser|dieses|este|esta|ce|cet|cette|laufende|laufenden"
    "|laufender|laufendes",
    # after the unit: "el trimestre en curso", "le mois en cours"
    "thisp": "en curso|en cours",
    # the current unit to date: "en lo que va del trimestre", "so far this quarter"
    "sofar": "en lo que va de|en lo que va del|en lo que llevamos de|en lo que llevamos del"
    "|so far this",
    "next": "next|coming|upcoming|nachste|nachsten|nachster|nachstes|kommende|kommenden",
    "nextp": "proximo|proxima|proximos|proximas|que viene|prochain|prochaine|prochains",
    "before_last": "vorletzte|vorletzten|vorletztes|antepasada|antepasado|avant derniere",
    "before": "before|davor|antes|avant",
    "after": "after|following|nach|despues|apres",
    "ago": "ago",
    "ago_pre": "vor|hace|il y a",
    "same": "same|selben|gleichen|mismo|misma|meme",
    "period": "period|time|zeitraum|periodo|periode",
    "week": "week|weeks|wk|wks|kw|woche|wochen|semana|semanas|semaine|semaines",
    "weekend": "weekend|weekends|week end|week - end|wochenende|fin de semana|finde|fin de semaine",
    "month": "month|months|monat|monate|monaten|monats|mes|meses|mois",
    "quarter": "quarter|quarters|qtr|quartal|quartale|quartals|trimestre|trimestres",
    "year": "year|years|yr|jahr|jahre|jahren|jahres|ano|anos|annee|annees|l an",
    "day": "day|days|tag|tage|tagen|dia|dias|jour|jours",
    "yesterday": "yesterday|yday|yest|gestern|ayer|hier",
    "today": "today|heute|hoy|aujourd hui",
    "daybefore": "day before yesterday|vorgestern|anteayer|avant hier",
    "since": "since|seit|seitdem|desde|depuis",
    "from": "from|von|vom|del|du",
    "to": "to|through|thru|till|until|bis|al|au|hasta|-",
    "and": "and|und|y|et",
    "between": "between|zwischen|entre",
    "of": "of|starting|beginning|commencing|ab",
    # "since the start of October", "seit Anfang Oktober", "depuis le début de l'année"
    "start": "start of|beginning of|start|anfang|beginn|inicio|principios|comienzos|debut",
    "half": "half|halbjahr|semester|semestre",
    "count=2 week": "fortnight|fortnights",
    "on": "on|am",
    "week of": "w c|wc",
    "last week": "vorwoche",
    "last month": "vormonat|vormonats",
    "last quarter": "vorquartal|vorquartals",
    "last year": "vorjahr|vorjahres|ly",
    "last weekend": "over the weekend",
    "same period last year": "vorjahreszeitraum",
    "this month": "mtd|month to date|month - to - date|since the start of the month"
    "|seit monatsbeginn|seit monatsanfang|en lo que va del mes|en lo que va de mes"
    "|depuis le debut du mois",
    "this quarter": "qtd|quarter to date|quarter - to - date|seit quartalsbeginn"
    "|seit quartalsanfang",
    "this year": "ytd|year to date|year - to - date|since the start of the year"
    "|since the beginning of the year|seit jahresbeginn|seit jahresanfang|en lo que va del ano"
    "|en lo que va de ano|desde principios de ano|depuis le debut de l annee",
    "": "the|in|at|for|during|over|so|far|s|im|der|die|das|den|dem|des|zum|zur|el|la|los|las"
    "|lo|en|de|durante|le|les|l|d|pendant|ci"
    # "the last 12 complete weeks", "the past 3 full months"
    "|complete|completed|full|whole|entire|closed|calendar",
}
_COUNTS = (  # 1..12
    "a|an|one|ein|eine|einen|un|une|uno|una", "two|zwei|dos|deux", "three|drei|tres|trois",
    "four|vier|cuatro|quatre", "five|funf|cinco|cinq", "six|sechs|seis", "seven|sieben|siete",
    "eight|acht|ocho|huit", "nine|neun|nueve|neuf", "ten|zehn|diez|dix", "eleven|elf|once|onze",
    "twelve|zwolf|doce|douze",
)  # fmt: skip
_SEASONS = (  # 1..4 from spring: meteorological seasons, winter from December
    "spring|fruhling|fruhjahr|primavera|printemps",
    "summer|sommer|verano|ete",
    "fall|autumn|herbst|otono|automne",
    "winter|invierno|hiver",
)
_ORDINALS = (  # 1..4, for quarters
    "first|erste|erstes|ersten|erster|primer|primero|primera|premier|premiere",
    "second|zweite|zweites|zweiten|segundo|segunda|deuxieme|seconde",
    "third|dritte|drittes|dritten|tercer|tercero|tercera|troisieme",
    "fourth|vierte|viertes|vierten|cuarto|cuarta|quatrieme",
)
# The retail calendar's days by name; a token's value is the index in this order.
EVENTS: dict[str, str] = {
    "black_friday": "black friday|blackfriday|bf",
    "black_friday_weekend": "black friday weekend|bf weekend",
    "cyber_monday": "cyber monday",
    "bfcm": "bfcm|black friday cyber monday|black friday to cyber monday"
    "|black friday - cyber monday|black friday through cyber monday|black friday and cyber monday",
    "thanksgiving": "thanksgiving|thanksgiving day",
    "thanksgiving_week": "thanksgiving week|black friday week",
    "christmas": "christmas|xmas|weihnachten|navidad|navidades|noel",
    "christmas_eve": "christmas eve|heiligabend|nochebuena",
    "christmas_day": "christmas day|dia de navidad|jour de noel",
    "holiday_season": "holiday season|holidays|festive season|weihnachtsgeschaft|weihnachtszeit"
    "|temporada navidena|temporada de fiestas|fetes de fin d annee|periode des fetes",
    "new_years_eve": "new year s eve|new years eve|nye|silvester|nochevieja|saint sylvestre",
    "new_years_day": "new year s day|new years day|neujahr|ano nuevo|jour de l an",
    "valentines_day": "valentine s day|valentines day|valentine s|valentinstag|san valentin"
    "|saint valentin",
    "easter": "easter|ostern|pascua|semana santa|paques",
    "mothers_day": "mother s day|mothers day|muttertag|dia de la madre|fete des meres",
    "memorial_day": "memorial day",
    "memorial_day_weekend": "memorial day weekend",
    "fathers_day": "father s day|fathers day|vatertag|dia del padre|fete des peres",
    "independence_day": "independence day|fourth of july|july fourth",
    "labor_day": "labor day|labour day",
    "labor_day_weekend": "labor day weekend|labour day weekend",
    "halloween": "halloween",
    "boxing_day": "boxing day",
}
# Month names that are also ordinary words: a month only beside a number ("Mar 3", "May 2025"),
# and "May" also when capitalised after the first word.
_WEAK_MONTHS = {"may": 5, "mar": 3, "set": 9}
# A numeric date without a year is one only after these ("on 2/11", "since 9/1"), after a word
# the caller names (a metric: "revenue 11/3"), before another date ("11/1 to 11/7"), or as a
# month/day ending a sentence ("orders 11/3?"); "24/7", "50/50" and "1/2 price" are none.
_DATE_CONTEXT = {"on", "since", "from", "to", "between", "and", "of", "week"}
_US_DAY = re.compile(r"(?:1[0-2]|0?[1-9])/\d\d?")
_SENTENCE_END = re.compile(r"\s*(?:$|[?!.,;:)])")
_LONGEST = 6  # words in the longest entry
_AIMED_SYMBOLS = {"mon", "weekday", "week", "month", "quarter", "year", "day", "weekend", "last",
                  "lastp", "this", "thisp", "next", "nextp", "yesterday", "today", "daybefore",
                  "event", "season", "half", "since"}  # fmt: skip
# "L30D", "L4W", "T12M": the last 30 days, 4 weeks, 12 months.
_ABBREVIATED_UNITS = {"d": "day", "w": "week", "m": "month", "q": "quarter", "y": "year"}
_MONTH_KEYS = ("january", "february", "march", "april", "may", "june", "july", "august",
               "september", "october", "november", "december")  # fmt: skip
_WEEKDAY_KEYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_RAW = re.compile(
    r"(?P<date>\d{4}-\d\d?-\d\d?|\d\d?/\d\d?(?:/\d\d(?:\d\d)?)?|\d\d?\.\d\d?\.(?:\d\d(?:\d\d)?)?)"
    r"(?![\d/]|\.\d)|(?P<q>[qt][1-4])(?!\w)|(?P<yq>(?P<yqy>\d{4}) ?[qt](?P<yqn>[1-4]))(?!\w)"
    r"|(?P<kw>(?:kw|cw|wk)(?P<kwn>\d\d?))(?!\w)"
    r"|(?P<half>h[12])(?!\w)|(?P<trail>[lt](?P<tn>\d{1,3})(?P<tu>[dwmqy]))(?!\w)"
    r"|(?P<skip>[$€£#]\s?\d[\d.,]*|\d+(?:[.,]\d+)+|\d+\s?%)"  # money, decimals, percents
    r"|(?P<num>(?P<digits>\d{1,4})(?P<ord>st|nd|rd|th|ere|er|re|eme|e|o|a|\.(?!\d))?)(?!\w)"
    r"|(?P<word>[^\W\d_]+)|(?P<dash>[-\u2013\u2014]|\.\.)|(?P<other>\d\w*)"
)


@dataclass(frozen=True, slots=True)
class Token:
    """One symbol, its value (a month, a number, a year …) and its span in the text."""

    symbol: str
    value: int
    start: int
    end: int


def tokens(text: str, today: date, date_cues: frozenset[str] = frozenset()) -> list[Token]:
    """``text`` as period tokens, in order; a month/day right after a word of ``date_cues``
    is a date."""
    folded = _fold(text)
    raw = list(_RAW.finditer(folded))
    lexicon = _lexicon()
    found: list[Token] = []

    def emit(start: int, end: int, *symbols: tuple[str, int]) -> None:
        found.extend(Token(symbol, value, start, end) for symbol, value in symbols)

    spelled = [
        _spelled(r[0]) if r.lastgroup == "word" else "-" if r.lastgroup == "dash" else r[0]
        for r in raw
    ]
    i = 0
    while i < len(raw):
        m, kind = raw[i], raw[i].lastgroup
        for n in range(min(_LONGEST, len(raw) - i), 0, -1):
            words = raw[i : i + n]
            key = tuple(spelled[i : i + n])
            if key in lexicon and all(r.lastgroup in ("word", "dash") for r in words):
                emit(m.start(), words[-1].end(), *lexicon[key])
                break
        else:
            n = 1
            if kind == "word" and m[0] in _WEAK_MONTHS:
                beside = [raw[k].lastgroup for k in (i - 1, i + 1) if 0 <= k < len(raw)]
                capital = m[0] == "may" and text[m.start()] == "M" and i > 0
                month = "num" in beside or "date" in beside or capital or _ranged(spelled, i)
                emit(m.start(), m.end(), ("mon", _WEAK_MONTHS[m[0]]) if month else ("_", 0))
            elif kind == "word":
                emit(m.start(), m.end(), ("_", 0))
            elif kind == "q":
                emit(m.start(), m.end(), ("qn", int(m[0][1])))
            elif kind == "yq":  # "2026Q1", "2027 q1"
                emit(m.start(), m.end(), ("qn", int(m["yqn"])), _number(m["yqy"], None))
            elif kind == "half":
                emit(m.start(), m.end(), ("ord", int(m[0][1])), ("half", 0))
            elif kind == "trail":
                unit = _ABBREVIATED_UNITS[m["tu"]]
                emit(m.start(), m.end(), ("last", 0), ("num", int(m["tn"])), (unit, 0))
            elif kind == "kw":
                emit(m.start(), m.end(), ("week", 0), ("num", int(m["kwn"])))
            elif kind == "num":
                emit(m.start(), m.end(), _number(m["digits"], m["ord"]))
            elif kind == "date":
                value = _numeric_date(m[0], today)
                after = found[-1].symbol if found else ""
                cued = i > 0 and raw[i - 1][0] in date_cues
                # the first of a range of dates: "11/1 through 11/7"
                cued = cued or (
                    i + 2 < len(raw)
                    and lexicon.get((raw[i + 1][0],)) == (("to", 0),)
                    and raw[i + 2].lastgroup == "date"
                )
                ending = bool(_SENTENCE_END.match(folded, m.end()))
                dated = value is not None and (
                    value >= 10_000
                    or after in _DATE_CONTEXT
                    or (bool(_US_DAY.fullmatch(m[0])) and (cued or ending))
                )
                emit(m.start(), m.end(), ("numdate", value) if value and dated else ("_", 0))
            else:
                emit(m.start(), m.end(), ("_", 0))
        i += n
    return found


def _ranged(spelled: list[str], i: int) -> bool:
    """Whether the word at ``i`` is one end of a range whose other end is a month ("jan
    through mar", "mar-jun", "between Mar and June"), so a month itself."""
    lexicon = _lexicon()

    def symbols(k: int) -> set[str]:
        inside = 0 <= k < len(spelled)
        return {symbol for symbol, _ in lexicon.get((spelled[k],), ())} if inside else set()

    return any(
        symbols(joint) & {"to", "and"} and "mon" in symbols(other)
        for joint, other in ((i - 1, i - 2), (i + 1, i + 2))
    )


def _fold(text: str) -> str:
    """Lower case without accents, one character for one, so offsets still match the text."""
    return "".join(unicodedata.normalize("NFKD", ch.lower())[:1] or ch for ch in text)


@cache
def _lexicon() -> dict[tuple[str, ...], tuple[tuple[str, int], ...]]:
    """Every word and phrase known, folded, → its symbols and their values."""
    # dateparser's language data, for month and weekday names: imported here, on first use,
    # as importing dateparser takes 100-150 ms.
    from dateparser.data.date_translation_data import de, en, es, fr  # type: ignore[import-untyped]

    lexicon: dict[tuple[str, ...], tuple[tuple[str, int], ...]] = {}

    def add(words: str, *symbols: tuple[str, int]) -> None:
        lexicon.update((tuple(_fold(entry).split()), symbols) for entry in words.split("|"))

    for names in (language.info for language in (en, de, es, fr)):
        for n, key in enumerate(_MONTH_KEYS, 1):
            add("|".join(w for w in names[key] if len(w) > 2 and _fold(w) not in _WEAK_MONTHS),
                ("mon", n))  # fmt: skip
        for n, key in enumerate(_WEEKDAY_KEYS):
            add(max(names[key], key=len), ("weekday", n))
    for symbols, words in _WORDS.items():
        add(words, *(_symbol(symbol) for symbol in symbols.split()))
    for values, symbol in (
        (_COUNTS, "count"),
        (_ORDINALS, "ord"),
        (_SEASONS, "season"),
        (tuple(EVENTS.values()), "event"),
    ):
        for n, words in enumerate(values):
            add(words, (symbol, n if symbol == "event" else n + 1))
    return lexicon


def _symbol(written: str) -> tuple[str, int]:
    symbol, _, value = written.partition("=")
    return symbol, int(value or 0)


@lru_cache(maxsize=4096)
def _spelled(word: str) -> str:
    """``word``, or the period word it is a slip of: the closest known word with the same
    first letter, one edit away (two from eight letters; a swap is one), when one is closest.
    A real word of any of the four languages is never a slip ("about" is not "août")."""
    # The support agent's edit distance; imported here, as its package loads the vector store.
    from agents.support.query import edit_distance

    words = _period_words()
    if len(word) < 3 or word in words or word in real_words():
        return word
    limit = 1 if len(word) < 8 else 2
    close = sorted(
        (distance, -len(known), known)
        for known in _aimed_words()
        if known[0] == word[0]
        and abs(len(known) - len(word)) <= limit
        and (distance := edit_distance(word, known)) <= limit
    )
    # On a tie the longer word is meant, a letter left out being the commoner slip
    # ("quater" is quarter, not French "quatre"); words of one meaning tie for nothing
    # ("septembr": September or septembre).
    best = [known for distance, length, known in close if (distance, length) == close[0][:2]]
    meanings = {str(_lexicon().get((known,), known)) for known in best}
    return best[0] if len(meanings) == 1 else word


@cache
def _period_words() -> frozenset[str]:
    """Every word of a known period phrase ("black", "semaine", "año")."""
    return frozenset(w for key in _lexicon() for w in key if w.isalpha())


@cache
def _aimed_words() -> frozenset[str]:
    """The period words a slip is mended into: names and units, in a phrase of two words at
    most or a named day's, never a number, an ordinal or a little word, which other
    languages' words lie too close to ("cuanto" is no "cuarto", "hacen" no "hace", "debug"
    no "début")."""
    return frozenset(
        word
        for key, symbols in _lexicon().items()
        if {symbol for symbol, _ in symbols} <= _AIMED_SYMBOLS
        and (len(key) <= 2 or symbols[0][0] == "event")
        for word in key
        if len(word) > 3 and word.isalpha() and word not in stop_words()
    )


def _number(digits: str, suffix: str | None) -> tuple[str, int]:
    value = int(digits)
    if suffix and not (suffix == "." and value > 31):  # "3." is German for 3rd, "2025." is not
        return "ord", value
    if len(digits) == 4:
        return ("yr", value) if 1900 <= value < 2100 else ("_", 0)
    return ("num", value) if value <= 99 else ("_", 0)


def _numeric_date(text: str, today: date) -> int | None:
    """A numeric date as year·10⁴ + month·100 + day (year 0 when not written)."""
    import dateparser  # type: ignore[import-untyped]  # on first use: see _lexicon

    text = text.rstrip(".")
    order = "YMD" if "-" in text else "DMY" if "." in text else "MDY"
    settings = {
        "DATE_ORDER": order,
        "PREFER_DATES_FROM": "past",
        "REQUIRE_PARTS": ["day", "month"],
        "RELATIVE_BASE": datetime.combine(today, time()),
    }
    parsed = dateparser.parse(text, languages=["en"], settings=settings)
    if parsed is None:
        return None
    year = parsed.year if len(re.split(r"[-/.]", text)) == 3 else 0
    return year * 10_000 + parsed.month * 100 + parsed.day
