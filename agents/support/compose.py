"""The offline answer: the help centre's sentences that answer the question, from the best section.

Retrieval finds the best *article* (one passage per article, ranked by meaning and words); the
passage it ranks first is often the article's one-line overview or a neighbouring section. Here
every section of the best articles is cut into *units* — sentences, and list items — and each
unit is scored against the question:

- ``similarity``: cosine of the question (typos corrected) to the unit, both embedded by the
  knowledge base's model; a list item is embedded with its section's heading, so "common reasons"
  items know what they are reasons for;
- ``coverage``: the share of the question's content words (stop words aside, a crude stem: their
  first five letters) that the unit, its section heading or its article title contains, or
  says in the help centre's words (the glossary's: "store" for the customer's "shop").
- ``typed``: whether the unit states the kind of fact the question asks for, if any ("how long"
  → a duration, "how much" → an amount: ``answer_types``); it breaks near-ties between a
  sentence that shares the question's words and one that answers it.

A section is scored by its best unit and by how well its heading and listed questions match
(plus the multilingual model's closeness to it, when the search has that second opinion:
``SECOND_OPINION_WEIGHT``; plus ``TOP_ARTICLE_PRIOR`` when it is in the article retrieval ranked
first, its words and meaning read over the whole help centre), less ``MISMATCH_PENALTY`` when
its heading asks for another kind of fact ("How often to wash down" for "how do I wash"), and
plus or minus it when its heading names a span of time that the time the question says has
passed is in or not ("After 30 minutes" for "ordered 2 hours ago": ``time_windows``).

The sections come from the best two articles (``composed.COMPOSED_ARTICLES``): retrieval ranks the
right article second often enough, and a section-level score tells them apart better than the
article-level one. The best section is chosen; when the next one scores within ``SECTION_TIE``
of it, both are what the question may mean ("do my points expire": the points' rule and the
rewards' rule), so its best units follow as a second paragraph and both are cited. The answer is
the best section's best unit, the units of the same section that
score nearly as well (at most ``MAX_UNITS`` sentences, in the article's order), and, when the unit
is a list item or the sentence leading a list, the whole list. An article's overview says what
the page covers, not the answer: it is quoted only when the article has no other section. The
composition carries the best unit's similarity and the whole answer's coverage (its quoted
units, headings and titles): the confidence reads them (``confidence``), so it judges the
sentences the customer reads, not the passage retrieval ranked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from agents.support.answer_types import expected_types, mismatched, states_any
from agents.support.fusion import STOPWORDS
from agents.support.kb import Passage
from agents.support.time_windows import fits
from agents.support.vectors import Embed

OVERVIEW = "Overview"
MAX_UNITS = 3
# A unit of the chosen section joins the answer when its score is within this of the best one.
NEAR = 0.06
# A section this short is quoted whole: its sentences belong together.
WHOLE_SECTION_CHARS = 500
COVERAGE_WEIGHT = 0.3
# What a unit stating the kind of fact asked for ("how long" → "3–5 business days") gains.
TYPED_WEIGHT = 0.1
# What a section loses whose heading asks for another kind of fact than the question does, or
# names a span of time ("within 30 minutes") that the time the question says has passed is not in;
# and what it gains when that time is in the span.
MISMATCH_PENALTY = 0.1
# A section whose score is within this of the best one's answers too: its best units follow.
SECTION_TIE = 0.05
# What a section gains per unit of the multilingual model's closeness to it (its text or a
# question listed for it: ``confidence.Meaning``), the second opinion on which section answers.
# Measured on the development set (the fact stated 0.944 -> 0.949) and two sets written after
# it (0.950 -> 0.950, 0.867 -> 0.883); 0.3 and 0.5 lost on the first of those.
SECOND_OPINION_WEIGHT = 0.15
# What a section of the article retrieval ranked first gains (the sections come best article
# first): a close call between two articles goes to the one the whole-help-centre search chose.
# Measured on the development set (the fact stated 0.936 -> 0.942; 0.03 0.943, 0.08 0.936, 0.12
# 0.929) and then on 80 questions written after it (0.887 -> 0.912).
TOP_ARTICLE_PRIOR = 0.05
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“(])")
_LIST_ITEM = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True, slots=True)
class Unit:
    """A sentence or a list item of a section; ``group`` numbers the list it belongs to (None for
    a sentence), ``leads`` says a sentence introduces the list that follows it."""

    section: Passage
    index: int
    text: str
    group: int | None
    leads: bool


@dataclass(frozen=True, slots=True)
class Section:
    """A section of an article and the questions the help centre lists for it."""

    passage: Passage
    questions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Composition:
    """The answer's text (plain, unquoted), the section it is cited from, how well its best unit
    matches the question in meaning, and how much of the question the whole answer speaks to."""

    section: Passage
    text: str
    similarity: float
    coverage: float
    remainder: float
    also: Passage | None = None


def units_of(section: Passage) -> list[Unit]:
    """The section's sentences and list items, in order (wrapped lines joined)."""
    blocks: list[tuple[str, bool]] = []  # (text, is a list item)
    for line in section.text.splitlines():
        if not line.strip():
            blocks.append(("", False))
        elif _LIST_ITEM.match(line):
            blocks.append((_LIST_ITEM.sub("", line).strip(), True))
        elif blocks and blocks[-1][0]:
            text, item = blocks[-1]
            blocks[-1] = (f"{text} {line.strip()}", item)
        else:
            blocks.append((line.strip(), False))
    units: list[Unit] = []
    group, lists = None, 0
    for text, item in blocks:
        if not text:
            group = None
            continue
        if item:
            if group is None:
                lists += 1
                group = lists
                if units and units[-1].group is None:
                    last = units[-1]
                    units[-1] = Unit(section, last.index, last.text, None, leads=True)
            units.append(Unit(section, len(units), text, group, leads=False))
            continue
        group = None
        for sentence in _SENTENCE_END.split(text):
            if sentence.strip():
                units.append(Unit(section, len(units), sentence.strip(), None, leads=False))
    return units


def content_words(text: str) -> set[str]:
    """Words that carry meaning, cut to a crude stem (refunds / refunded → refun)."""
    return {w[:5] for w in _WORD.findall(text.lower()) if _content(w)}


def _content(word: str) -> bool:
    return word not in STOPWORDS and len(word) > 1


class Asked:
    """The question's content words, and the help centre's words that say each of them."""

    def __init__(self, words: set[str], glosses: Sequence[tuple[str, str]]) -> None:
        self.words = words
        self._aliases: dict[str, set[str]] = {}
        for phrase, canonical in glosses:
            for word in content_words(phrase) & words:
                self._aliases.setdefault(word, set()).update(content_words(canonical))

    def unsaid(self, said: set[str]) -> set[str]:
        """The question's words that ``said`` (content words) neither contains nor glosses."""
        return {w for w in self.words if w not in said and not self._aliases.get(w, set()) & said}

    def coverage(self, said: set[str]) -> float:
        """The share of the question's words that ``said`` contains or glosses."""
        if not self.words:
            return 0.0
        return 1.0 - len(self.unsaid(said)) / len(self.words)


class Composer:
    """Chooses the section and joins the units that answer a question, with ``embed``'s vectors
    of the units and of the sections' listed questions (a ``KeptVectors`` keeps them)."""

    def __init__(self, embed: Embed) -> None:
        self._embed = embed

    def compose(
        self,
        question: str,
        sections: Sequence[Section],
        glosses: Sequence[tuple[str, str]] = (),
        second_opinion: Mapping[str, float] | None = None,
    ) -> Composition | None:
        """The composition over ``sections`` (every section of the best articles, best article
        first, each with the questions it answers); None when there is nothing to compose from.
        ``glosses`` pairs the customer's phrases with the help centre's words for them
        (``query.Glossary``): a unit that says "store" speaks to a question's "shop"."""
        units = [unit for section in sections for unit in units_of(section.passage)]
        if not units:
            return None
        asked = Asked(content_words(question), glosses)
        query = self._embed([question])[0]
        similarity = self._embed([_embedded_text(u) for u in units]) @ query
        coverage = np.array([_coverage(asked, unit) for unit in units])
        kinds = expected_types(question)
        typed = np.array([float(bool(kinds) and states_any(kinds, u.text)) for u in units])
        score = similarity + COVERAGE_WEIGHT * coverage + TYPED_WEIGHT * typed
        ranked: list[tuple[float, int, float]] = []  # (value, its best unit, heading match)
        answering = [s for s in sections if s.passage.section != OVERVIEW] or list(sections)
        for section in answering:
            mine = [i for i, u in enumerate(units) if u.section is section.passage]
            if not mine:
                continue
            top = max(mine, key=lambda i: score[i])
            # The heading says what the section answers, as the questions it lists do.
            matched = self._best_match(query, (*section.questions, section.passage.section))
            value = (matched + score[top]) / 2
            if second_opinion is not None:
                value += SECOND_OPINION_WEIGHT * second_opinion.get(section.passage.id, 0.0)
            if section.passage.article == sections[0].passage.article:
                value += TOP_ARTICLE_PRIOR
            if mismatched(question, section.passage.section):
                value -= MISMATCH_PENALTY
            in_window = fits(question, section.passage.section)
            if in_window is not None:
                value += MISMATCH_PENALTY if in_window else -MISMATCH_PENALTY
            ranked.append((value, top, matched))
        ranked.sort(key=lambda item: -item[0])  # stable: the first of equals wins
        (value, best, listed), *others = ranked
        quoted = _chosen(units, score, best)
        text = _joined(quoted)
        # Two sections this close are both what the question may mean: both answer it.
        also = next((top for v, top, _ in others[:1] if value - v <= SECTION_TIE), None)
        cited = [units[best].section]
        if also is not None:
            second = _chosen(units, score, also)
            text += "\n\n" + _joined(second)
            quoted += second
            cited.append(units[also].section)
        said = " ".join([*(u.text for u in quoted), *(f"{p.section} {p.title}" for p in cited)])
        known = content_words(said)
        return Composition(
            section=cited[0],
            text=text,
            similarity=max(float(similarity[best]), listed),
            coverage=asked.coverage(known),
            remainder=self._remainder(question, quoted, asked.unsaid(known)),
            also=cited[1] if also is not None else None,
        )

    def _remainder(self, question: str, quoted: Sequence[Unit], unsaid: set[str]) -> float:
        """Cosine of the question's words that the answer does not say (``unsaid``: neither the
        quoted units, their headings and titles contain them nor the glossary's words for them)
        to the quoted units (the mean of their vectors); 1.0 when it says them all. "are you
        hiring at the Boulder store" answered with the store's address leaves "hiring", which
        the address does not answer; "is the Boulder shop open on Thanksgiving" leaves
        "thanksgiving", which the opening hours do."""
        rest = [w for w in _WORD.findall(question.lower()) if _content(w) and w[:5] in unsaid]
        if not rest:
            return 1.0
        answer = self._embed([_embedded_text(u) for u in quoted]).mean(axis=0)
        rest_vector = self._embed([" ".join(rest)])[0]
        return float(rest_vector @ answer / max(float(np.linalg.norm(answer)), 1e-9))

    def _best_match(self, query: npt.NDArray[np.float32], questions: Sequence[str]) -> float:
        if not questions:
            return 0.0
        return float(np.max(self._embed(questions) @ query))


def _embedded_text(unit: Unit) -> str:
    # A list item alone ("The card has expired.") says little; with its heading it says what
    # question it answers.
    if unit.group is not None or unit.leads:
        return f"{unit.section.section}: {unit.text}"
    return unit.text


def _coverage(asked: Asked, unit: Unit) -> float:
    return asked.coverage(content_words(f"{unit.text} {unit.section.section} {unit.section.title}"))


def _chosen(units: Sequence[Unit], score: npt.NDArray[np.float64], best: int) -> list[Unit]:
    """The best unit, its list (whole) if it leads or belongs to one, and the near-best
    sentences of the same section."""
    top = units[best]
    same = [u for u in units if u.section is top.section]
    if len(top.section.text) <= WHOLE_SECTION_CHARS:
        return same
    offset = units.index(same[0])
    picked = {top.index}
    group = top.group
    if top.leads:
        following = same[top.index + 1 :]
        group = following[0].group if following else None
    if group is not None:
        picked |= {u.index for u in same if u.group == group}
        picked |= {u.index for u in same if u.leads and same[u.index + 1].group == group}
    sentences = sorted(
        (u for u in same if u.group is None and not u.leads and u.index != top.index),
        key=lambda u: -score[offset + u.index],
    )
    for unit in sentences:
        if len([i for i in picked if same[i].group is None]) >= MAX_UNITS:
            break
        if score[offset + unit.index] >= score[best] - NEAR:
            picked.add(unit.index)
    return [u for u in same if u.index in picked]


def _joined(units: Sequence[Unit]) -> str:
    lines: list[str] = []
    for unit in units:
        if unit.group is not None:
            lines.append(f"• {unit.text}")
        elif lines and not lines[-1].startswith("•") and not lines[-1].endswith(":"):
            lines[-1] = f"{lines[-1]} {unit.text}"
        else:
            lines.append(unit.text)
    return "\n".join(lines)
