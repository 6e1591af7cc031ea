"""Words of a request: typo correction, and the catalog's metric words found in a text.

``TypoCorrector`` mends a misspelt word into one the planner knows — the catalog's metric words,
the lexicon's spelled-out words, the segment names — with the support agent's
``SpellingCorrector`` (one edit up to seven letters, two from eight, a swap counting one:
"revnue", "ordrs", "umstaz", "wohce"). A real word is never mended: a word of any of the four
languages (``common_words``), a word the lexicon spells, a metric's word. ``TermIndex`` finds
the catalog's names, labels and synonyms in a text, longest first, in any spacing ("avg order
value", "e-mail"), a plural s either way, and a shared head word ("new vs returning
customers").
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from agents.planner.common_words import real_words
from agents.planner.lexicon import Lexicon

_WORD = re.compile(r"[^\W\d_]+")
# A plural or singular of a catalog word is found only from this many letters ("sale" is an
# event, "sales" revenue).
_MIN_LENGTH = 4
_MAX_TERM_WORDS = 8
_METRIC_FIRST = 100
_MIN_AIMED = 5
# Words that join two heads sharing one noun: "new and returning customers".
_SHARED_HEAD_JOINS = frozenset({"vs", "versus", "and", "or", "und", "oder", "y", "o", "et", "ou"})


@dataclass(frozen=True, slots=True)
class Word:
    """A word of folded text and where it is."""

    text: str
    start: int
    end: int


def words_of(folded: str) -> tuple[Word, ...]:
    return tuple(Word(m[0], m.start(), m.end()) for m in _WORD.finditer(folded))


class TypoCorrector:
    """Mends words the planner does not know into ones it does (see the module docstring)."""

    def __init__(self, lexicon: Lexicon, metric_words: Iterable[str], names: Iterable[str]) -> None:
        # The support agent's corrector; imported here, as its package loads the vector store.
        from agents.support.query import SpellingCorrector

        metric_words = frozenset(metric_words)
        # A lexicon word is aimed at from five letters: a German, Spanish or French word
        # unknown here is more often right than a slip of "para" or "neue". On a tie, a
        # metric's word is the one meant, then the longer word: a letter left out is the
        # commoner slip ("canda" is Canada, not "cada").
        aimed = [word for word in lexicon.vocabulary if len(word) >= _MIN_AIMED]
        targets = Counter({word: len(word) for word in (*aimed, *names)})
        targets.update({word: _METRIC_FIRST for word in metric_words})
        known = real_words() | lexicon.spelled | metric_words
        self._spelling = SpellingCorrector(targets, known)
        self._metric_words = metric_words
        self.correct_word = functools.lru_cache(maxsize=4096)(self._correct_word)

    def correct(self, text: str, folded: str, keep: Sequence[tuple[int, int]] = ()) -> Mended:
        """``text`` and its folded form with each misspelt word, outside the spans in
        ``keep`` (what periods already read), replaced by the one meant."""
        pieces, folded_pieces, mends, last, shift = [], [], [], 0, 0
        for word in words_of(folded):
            if any(start <= word.start < end for start, end in keep):
                continue
            mended = self.correct_word(word.text)
            if mended is None:
                continue
            pieces += [text[last : word.start], mended]
            folded_pieces += [folded[last : word.start], mended]
            start = word.start + shift
            mends.append(Mend(start, start + len(mended), text[word.start : word.end]))
            shift += len(mended) - len(word.text)
            last = word.end
        if not pieces:
            return Mended(text, folded, ())
        return Mended(
            "".join([*pieces, text[last:]]), "".join([*folded_pieces, folded[last:]]), tuple(mends)
        )

    def _correct_word(self, word: str) -> str | None:
        """The word meant, or None. A change of the last letter alone is an inflection, not a
        slip ("corren" is Spanish, not "correo"), unless it gives a metric's word; a change of
        the first letter is another word, not a slip ("wandern" is no "ländern", "racheté" no
        "acheté")."""
        mended = self._spelling.correct_word(word)
        if mended == word or mended[:1] != word[:1]:
            return None
        inflected = word[:-1] in (mended, mended[:-1]) or word == mended[:-1]
        if inflected and mended not in self._metric_words:
            return None
        return mended


@dataclass(frozen=True, slots=True)
class Mend:
    """A typo mended: where the word meant now stands, and what was written."""

    start: int
    end: int
    written: str


@dataclass(frozen=True, slots=True)
class Mended:
    """A text with its typos mended, folded, and the mends made."""

    text: str
    folded: str
    mends: tuple[Mend, ...]


@dataclass(frozen=True, slots=True)
class TermMatch:
    """A catalog word found in a text: the metric it names and the characters it covers."""

    metric: str
    start: int
    end: int


class TermIndex:
    """The catalog's terms (normalised word → metric name), matched over a text's words."""

    def __init__(self, terms: Mapping[str, str]) -> None:
        self._metrics: dict[str, str] = {}
        for term, metric in terms.items():
            self._metrics.setdefault(term.replace(" ", ""), metric)
        self.words = frozenset(word for term in terms for word in term.split())

    def find(self, words: Sequence[Word], skip: Sequence[tuple[int, int]] = ()) -> list[TermMatch]:
        """Every term in ``words`` (longest first, left to right), none inside ``skip``."""
        free = [not _inside(word, skip) for word in words]
        found: list[TermMatch] = []
        i = 0
        while i < len(words):
            match = self._longest(words, free, i)
            if match is None:
                i += 1
                continue
            metric, n = match
            found.append(TermMatch(metric, words[i].start, words[i + n - 1].end))
            shared = self._shared_head(words, free, i, n)
            if shared is not None:
                found.append(shared)
            i += n
        return found

    def _longest(
        self, words: Sequence[Word], free: Sequence[bool], i: int
    ) -> tuple[str, int] | None:
        for n in range(min(_MAX_TERM_WORDS, len(words) - i), 0, -1):
            if not all(free[i : i + n]):
                continue
            metric = self._lookup("".join(word.text for word in words[i : i + n]))
            if metric is not None:
                return metric, n
        return None

    def _lookup(self, key: str) -> str | None:
        """The metric of ``key``, or of its plural or singular; a short word takes no plural
        ("sale" is an event, "sales" revenue)."""
        return (
            self._metrics.get(key)
            or (self._metrics.get(f"{key}s") if len(key) > _MIN_LENGTH else None)
            or (
                self._metrics.get(key[:-1])
                if key.endswith("s") and len(key) > _MIN_LENGTH + 1
                else None
            )
        )

    def _shared_head(
        self, words: Sequence[Word], free: Sequence[bool], i: int, n: int
    ) -> TermMatch | None:
        """ "new vs returning customers": the word before the join takes the term's head."""
        if n < 2 or i < 2 or words[i - 1].text not in _SHARED_HEAD_JOINS or not free[i - 2]:
            return None
        head = "".join(word.text for word in words[i + 1 : i + n])
        metric = self._lookup(words[i - 2].text + head)
        if metric is None:
            return None
        return TermMatch(metric, words[i - 2].start, words[i - 2].end)


def _inside(word: Word, spans: Sequence[tuple[int, int]]) -> bool:
    return any(start <= word.start and word.end <= end for start, end in spans)
