"""The policy's RFM segment names found in a request, in any spacing, apostrophes or language.

"our champions", "the at-risk customers", "cant loose them" (a near spelling of a name of two
words or more), "clientes en riesgo" (the lexicon's aliases). A name that is also an everyday
word ("lost", "new") counts only with a word for people after it, or before it when written as
the policy spells it ("los clientes Lost"), and a name that is also a metric ("new customers")
only where the clause asks about segments.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from difflib import get_close_matches

from agents.planner.clause import Clause
from agents.planner.lexicon import Lexicon, fold
from agents.planner.words import Word
from integrations.warehouse.metrics import MetricCatalog

_FUZZY_NAME_LENGTH = 8
_FUZZY_NAME_CUTOFF = 0.88


class SegmentNames:
    """The policy's RFM segment names found in a clause, in any spacing or apostrophes."""

    def __init__(self, names: Sequence[str], lexicon: Lexicon, catalog: MetricCatalog) -> None:
        self._lexicon = lexicon
        self._by_key = {_key(fold(name)): name for name in names}
        self._long_keys = [key for key in self._by_key if len(key) >= _FUZZY_NAME_LENGTH]
        self._longest = max((len(fold(name).split()) + 2 for name in names), default=0)
        self._metric_names = {name for name in names if catalog.lookup(name) is not None}
        self._aliases = {
            name: pattern for name, pattern in lexicon.segment_aliases.items() if name in names
        }

    def find(self, clause: Clause) -> tuple[str, int, int] | None:
        """The first segment named (its policy spelling and span), or None."""
        found = [
            (match.start(), match.end(), name)
            for name, pattern in self._aliases.items()
            for match in pattern.finditer(clause.folded)
        ]
        words = clause.words
        for i in range(len(words)):
            for n in range(min(self._longest, len(words) - i), 0, -1):
                name = self._name(words[i : i + n])
                if name is not None and self._meant(name, clause, words, i, n):
                    found.append((words[i].start, words[i + n - 1].end, name))
                    break
        if not found:
            return None
        start, end, name = min(found)
        return name, start, end

    def _name(self, words: Sequence[Word]) -> str | None:
        """The segment these words spell, exactly or nearly ("needs attention", "cant loose
        them"): a near spelling counts for names of two words or more."""
        key = "".join(word.text for word in words)
        name = self._by_key.get(key) or self._by_key.get(f"{key}s")
        if name is None and len(words) > 1 and len(key) >= _FUZZY_NAME_LENGTH:
            close = get_close_matches(key, self._long_keys, n=1, cutoff=_FUZZY_NAME_CUTOFF)
            name = self._by_key[close[0]] if close else None
        return name

    def _meant(self, name: str, clause: Clause, words: Sequence[Word], i: int, n: int) -> bool:
        after = clause.folded[words[i + n - 1].end :]
        if re.match(r"[\s'-]*of\b", after):  # "at risk of churning" is churn, not the segment
            return False
        if name in self._metric_names:  # "new customers" is a metric unless it is a segment
            return bool(clause.find(self._lexicon.analysis_phrasings["segments"]))
        if n == 1 and self._lexicon.everyday_segment_words.fullmatch(words[i].text):
            if self._lexicon.segment_people.match(after.lstrip(" -")):
                return True
            # "los clientes Lost", "nos Promising": spelled as named (capitalised) inside a
            # sentence, where an everyday word would not be
            return i > 0 and clause.text[words[i].start : words[i].end] == name
        return True


def _key(folded: str) -> str:
    return re.sub(r"[\W_]+", "", folded)
