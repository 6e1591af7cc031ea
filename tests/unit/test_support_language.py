"""Which search reads a support question: the language identifier's gate (crosslingual.py)."""

from __future__ import annotations

import numpy as np
import pytest

from agents.support import crosslingual
from agents.support.crosslingual import language
from agents.support.vectors import KeptVectors


@pytest.mark.parametrize(
    ("question", "code"),
    [
        ("¿Cuánto cuesta el envío a Canadá?", "es"),
        ("cuantos puntos summit gano por cada dolar que gasto?", "es"),  # no accents: es or pt
        ("Combien coûte la livraison au Canada ?", "fr"),
        ("Wie lange hebt ihr meine Abholbestellung im Laden auf?", "de"),
        ("Posso pagare con Klarna un ordine da 40 dollari?", "it"),
        ("Hoe lang duurt verzending naar Nederland?", "nl"),
        ("ギフトメッセージは何文字まで書けますか？", "ja"),
    ],
)
def test_a_question_in_another_language_goes_to_the_multilingual_search(
    question: str, code: str
) -> None:
    assert language(question) == code


@pytest.mark.parametrize(
    "question",
    [
        "how long do refunds take?",
        "r u guys open saturdays?",
        "whats ur phone #",
        "can i pay w klarna",
        "msr stove i got from u 2 years ago died, what do i do",
        "im between a M and L for a puffer, which way should i go",
        "hola",  # too short to tell
        "Klarna?",
    ],
)
def test_english_however_chatty_and_messages_too_short_to_tell_stay_with_the_english_search(
    question: str,
) -> None:
    assert language(question) is None


class _CountingModel:
    """Stands in for the multilingual model: a text's vector is its length, and every text
    it is asked to encode is counted."""

    def __init__(self) -> None:
        self.encoded: list[str] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.encoded += texts
        return np.array([[float(len(t))] * crosslingual.WIDTH for t in texts], dtype=np.float32)


def test_each_text_is_encoded_once_while_it_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    model = _CountingModel()
    monkeypatch.setattr(crosslingual, "_encoder", lambda: model)
    monkeypatch.setattr(crosslingual, "encode", KeptVectors(crosslingual._encoded, kept=3))

    first = crosslingual.encode(["a", "bb"])
    again = crosslingual.encode(["bb", "a", "ccc", "a"])

    assert model.encoded == ["a", "bb", "ccc"]  # what was new, once
    assert again.shape == (4, crosslingual.WIDTH)
    assert again[1].tolist() == first[0].tolist() == again[3].tolist()
    # Past the limit the kept vectors are dropped, and encoded again when asked.
    crosslingual.encode(["dddd"])
    crosslingual.encode(["a"])
    assert model.encoded == ["a", "bb", "ccc", "dddd", "a"]
    assert crosslingual.encode([]).shape == (0, crosslingual.WIDTH)
