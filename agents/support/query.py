"""A customer's question in the help centre's words: typos corrected, everyday words glossed.

Customers write "reciept", "giftcard" and "call it off"; the articles say "receipt", "gift card"
and "cancel". Two general, content-free steps close that gap before retrieval:

- ``SpellingCorrector`` replaces a word that is neither in the knowledge base's vocabulary nor a
  known English word (the embedding model's whole-word vocabulary) by the knowledge base's most
  frequent word at the smallest edit distance (Damerau-Levenshtein, optimal string alignment: one
  edit up to 7 letters, two from 8), or splits it into two knowledge-base words ("giftcard").
  Candidates come from a symmetric-delete index (Garbe's SymSpell), so a word costs microseconds.
- ``Glossary`` (``glossary.yaml``) adds the help centre's words for the customers' words it finds.
  Only the BM25 query is expanded; the embedded question is the corrected one, because appended
  keywords pull a sentence embedding away from the question's meaning.

``QueryRewriter`` does both; ``KnowledgeBase`` builds one from its stored passages.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from agents.support._exceptions import KnowledgeBaseSourceError
from integrations.vectorstore import EmbeddingModelMissingError

logger = logging.getLogger(__name__)

DEFAULT_GLOSSARY = Path(__file__).with_name("glossary.yaml")
_WORD = re.compile(r"[a-z]+")
# A web address, with the bracket a Slack link's label leaves before it ("my order (https://…)").
_LINK = re.compile(r"\(?(?:https?://|www\.)\S+")
# A mention of a person or a group ("@sam", "@here"; not an email address's "@").
_MENTION = re.compile(r"(?<![\w.])@[\w.-]+")
# An emoji's name between colons that Slack's text kept (a workspace's own emoji).
_EMOJI_NAME = re.compile(r":[a-z0-9_+'-]*[a-z][a-z0-9_+'-]*:")
_MIN_CORRECTED = 4  # shorter words are too often right and too close to others to correct
_MIN_PART = 3  # the shortest half of a split compound ("giftcard" → "gift card")
# Inflections: a word that is a known word plus or minus one of these is itself a real word
# ("mailed", "perks", "giver"), not a typo of a nearer knowledge-base word.
_SUFFIXES = ("s", "es", "d", "ed", "ing", "r", "er", "ers", "ly", "y")
# English contractions typed without their apostrophe ("whats", "cant") are words, not typos.
_CONTRACTIONS = frozenset(
    {
        "arent", "cant", "couldnt", "didnt", "doesnt", "dont", "hadnt", "hasnt", "havent",
        "isnt", "shouldnt", "wasnt", "werent", "wont", "wouldnt", "im", "ive", "youre",
        "youve", "theyre", "theyve", "weve", "theres", "heres", "whats", "thats", "wheres",
        "whos", "hows",
    }
)  # fmt: skip


def searched_text(question: str) -> str:
    """What the search reads in ``question``: its words, without web addresses, mentions and
    emoji. A link names a page, a mention a person and an emoji a mood, not what is asked; their
    words ("https", a domain, a name) would count as words no answer says, and an emoji pulls
    the question's embedding away from its meaning. As written when it is nothing but those."""
    # Here, not at the top: the emoji package loads its data.
    import emoji

    text = _MENTION.sub(" ", _EMOJI_NAME.sub(" ", _LINK.sub(" ", question)))
    text = emoji.replace_emoji(text, replace=" ")
    text = " ".join(text.split())
    return text if re.search(r"\w", text) else question


@dataclass(frozen=True, slots=True)
class RewrittenQuery:
    """A question as retrieval uses it: corrected for embedding, expanded for BM25."""

    original: str
    corrected: str
    glosses: tuple[tuple[str, str], ...]

    @property
    def expansion(self) -> tuple[str, ...]:
        """The help centre's words for the customer's phrases, each once."""
        return tuple(dict.fromkeys(c for _, c in self.glosses))

    @property
    def lexical(self) -> str:
        """The BM25 query: the corrected question plus the glossary's help-centre words."""
        return " ".join((self.corrected, *self.expansion))


class Glossary:
    """Customers' phrases → the help centre's words (``glossary.yaml``), matched whole."""

    def __init__(self, terms: Mapping[str, Iterable[str]]) -> None:
        # A phrase may stand for several things ("switch" a size, "switch" an order's address).
        self._canonical: dict[str, list[str]] = {}
        for canonical, phrases in terms.items():
            for phrase in filter(None, map(_normalise, phrases)):  # "" would match everywhere
                self._canonical.setdefault(phrase, []).append(canonical)
        ordered = sorted(self._canonical, key=len, reverse=True)
        self._pattern = (
            re.compile(
                r"(?<![a-z0-9])(" + "|".join(re.escape(p) for p in ordered) + r")(?![a-z0-9])"
            )
            if ordered
            else None
        )

    def glosses(self, text: str) -> tuple[tuple[str, str], ...]:
        """(the customer's phrase, the help centre's words) for each phrase found in ``text``."""
        if self._pattern is None:
            return ()
        matches = self._pattern.findall(_normalise(text))
        return tuple(dict.fromkeys((m, c) for m in matches for c in self._canonical[m]))


@cache
def load_glossary(path: Path = DEFAULT_GLOSSARY) -> Glossary:
    """The glossary in ``path``: ``terms:`` mapping help-centre words to customers' phrases
    (read once per process: a ``Glossary`` is never changed)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise KnowledgeBaseSourceError(f"{path}: cannot read the glossary ({error})") from None
    terms = data.get("terms") if isinstance(data, dict) else None
    if not isinstance(terms, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(p, str) for p in v)
        for k, v in terms.items()
    ):
        raise KnowledgeBaseSourceError(
            f"{path}: expected 'terms:' mapping help-centre words to a list of customers' phrases"
        )
    return Glossary(terms)


def _normalise(text: str) -> str:
    return " ".join(text.lower().replace("\u2019", "'").split())


@cache
def english_words() -> frozenset[str]:
    """Whole words of the embedding model's WordPiece vocabulary: real words, not typos.

    Empty when the tokenizer is not installed; the corrector then trusts the knowledge base's
    vocabulary alone.
    """
    # Here, not at the top: the embeddings module loads chromadb.
    from integrations.vectorstore.embeddings import tokenizer_file

    try:
        vocabulary = json.loads(tokenizer_file().read_text(encoding="utf-8"))["model"]["vocab"]
    except (EmbeddingModelMissingError, OSError, KeyError, ValueError) as error:
        logger.warning("no English word list for spelling correction: %s", error)
        return frozenset()
    return frozenset(w for w in vocabulary if _WORD.fullmatch(w))


def _deletes(word: str, distance: int) -> set[str]:
    """Every string made by deleting up to ``distance`` letters of ``word``."""
    found = {word}
    frontier = {word}
    for _ in range(distance):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


def edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance, optimal-string-alignment variant (a swap costs one)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def _allowed_distance(word: str) -> int:
    return 1 if len(word) <= 7 else 2


class SpellingCorrector:
    """Corrects words against a vocabulary with counts; words in ``known`` are left alone."""

    def __init__(self, vocabulary: Mapping[str, int], known: Iterable[str] = ()) -> None:
        self._counts = {w: n for w, n in vocabulary.items() if len(w) >= _MIN_PART}
        self._known = frozenset(known) | frozenset(self._counts)
        self._index: dict[str, set[str]] = {}
        for word in self._counts:
            for deleted in _deletes(word, _allowed_distance(word)):
                self._index.setdefault(deleted, set()).add(word)

    @classmethod
    def from_texts(cls, texts: Iterable[str], known: Iterable[str] = ()) -> SpellingCorrector:
        """A corrector whose vocabulary is the words of ``texts``, counted."""
        counts = Counter(w for text in texts for w in _WORD.findall(text.lower()))
        return cls(counts, known)

    def correct_word(self, word: str) -> str:
        """``word`` corrected, or unchanged when it is known or nothing is close enough."""
        lower = word.lower()
        if len(lower) < _MIN_CORRECTED or lower in _CONTRACTIONS or self._is_known(lower):
            return word
        limit = _allowed_distance(lower)
        candidates = {c for d in _deletes(lower, limit) for c in self._index.get(d, ())}
        scored = [(edit_distance(lower, c), -self._counts[c], c) for c in candidates]
        scored = [s for s in scored if s[0] <= min(limit, _allowed_distance(s[2]))]
        if scored:
            return min(scored)[2]
        return self._split(lower) or word

    def _is_known(self, word: str) -> bool:
        if word in self._known:
            return True
        for suffix in _SUFFIXES:
            if word + suffix in self._known:
                return True
            stem = word.removesuffix(suffix)
            if stem != word and len(stem) >= _MIN_PART and stem in self._known:
                return True
        return False

    def _split(self, word: str) -> str | None:
        splits = [
            (min(self._counts[word[:i]], self._counts[word[i:]]), word[:i], word[i:])
            for i in range(_MIN_PART, len(word) - _MIN_PART + 1)
            if word[:i] in self._counts and word[i:] in self._counts
        ]
        if not splits:
            return None
        _, left, right = max(splits)
        return f"{left} {right}"

    def correct(self, text: str) -> str:
        """``text`` with each unknown word corrected; everything else kept as written."""
        return re.sub(r"[A-Za-z]+", lambda m: self.correct_word(m.group(0)), text)


class QueryRewriter:
    """Spelling correction, then the glossary: ``rewrite`` gives what retrieval searches for."""

    def __init__(self, glossary: Glossary, corrector: SpellingCorrector) -> None:
        self.glossary = glossary
        self.corrector = corrector

    @classmethod
    def for_passages(cls, texts: Iterable[str], glossary: Glossary) -> QueryRewriter:
        """A rewriter whose vocabulary is the knowledge base's passages."""
        return cls(glossary, SpellingCorrector.from_texts(texts, english_words()))

    def rewrite(self, query: str) -> RewrittenQuery:
        corrected = self.corrector.correct(query)
        # Glossary phrases are matched in what the customer wrote and in the correction.
        glosses = self.glossary.glosses(f"{query} | {corrected}")
        return RewrittenQuery(original=query, corrected=corrected, glosses=glosses)
