"""Real words of the team's four languages, which a typo corrector must never "mend".

A word that is itself a real word was written on purpose: "about" is not a typo of French
"août", "nombre" not of "noviembre", "find" not of German "Finde". The words known to be real:
- English: the embedding model's vocabulary (``agents.support.query.english_words``);
- every language: its stop words as bm25s ships them (NLTK's lists: articles, pronouns,
  prepositions, the forms of "to be" and "to have"), so the guard holds without the model;
- every language: the everyday words below that a question to the control room uses and
  that lie one letter or two from a period word or a metric word ("nombre", "zahlen").
All are folded as the planner folds text (lower case, no accents). A word the planner itself
knows (a period word, a metric's synonym) is looked up before these, so it is never refused.
"""

from __future__ import annotations

import unicodedata
from functools import cache

# Frequent words of business questions that are not stop words, one line per language.
_EVERYDAY = """
ask asks find fine hit letter net pat site sit sum total number numbers name names weekly
monthly quarterly yearly least lasts lasted mayor anzahl zahl zahlen frage fragen finden kunde
kunden nombre nombres numero numeros cifra cifras cliente clientes pregunta client clients
question chiffre chiffres cosy neu neue neuen neues neuer gibt machen hacen hacer nuevo nuevos
nueva nuevas semanal semanales mensual mensuales comprar compras cobrar cobraron gamme nouveau
nouvelle nouveaux nouvelles
"""


def _fold(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word.lower()) if c.isalpha())


@cache
def stop_words() -> frozenset[str]:
    """The four languages' function words (articles, pronouns, prepositions …), folded."""
    # Imported on first use: bm25s loads numpy.
    from bm25s import stopwords

    lists = (
        stopwords.STOPWORDS_EN_PLUS,
        stopwords.STOPWORDS_GERMAN,
        stopwords.STOPWORDS_SPANISH,
        stopwords.STOPWORDS_FRENCH,
    )
    return frozenset(_fold(word) for words in lists for word in words)


@cache
def real_words() -> frozenset[str]:
    """Every word known to be real in English, German, Spanish or French (folded)."""
    # The support agent's word list; imported here, as its package loads the vector store.
    from agents.support.query import english_words

    return english_words() | stop_words() | frozenset(_EVERYDAY.split())
