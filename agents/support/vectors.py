"""Texts to unit vectors: the one signature every model here has (``Embed``), and a view of
one that encodes each text once while it is kept (``KeptVectors``)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

Embed = Callable[[Sequence[str]], npt.NDArray[np.float32]]


class KeptVectors:
    """``embed`` with each text's vector kept, at most ``kept`` of them (all dropped at once
    past that): a knowledge base's units, listed questions and passages are encoded once per
    process, whichever question or rebuilt index asks. Safe to share between threads: a text
    asked by two at once may be encoded twice, never lost."""

    def __init__(self, embed: Embed, *, kept: int) -> None:
        self._embed = embed
        self._kept = kept
        self._vectors: dict[str, npt.NDArray[np.float32]] = {}
        self._lock = threading.Lock()

    def __call__(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """One unit vector per text, in ``embed``'s shape."""
        if not texts:
            return self._embed(texts)
        with self._lock:
            found = {text: self._vectors[text] for text in texts if text in self._vectors}
        missing = [text for text in dict.fromkeys(texts) if text not in found]
        if missing:
            fresh = np.asarray(self._embed(missing), dtype=np.float32).reshape(len(missing), -1)
            found |= dict(zip(missing, fresh, strict=True))
            with self._lock:
                if len(self._vectors) + len(missing) > self._kept:
                    self._vectors.clear()
                self._vectors.update(zip(missing, fresh, strict=True))
        return np.stack([found[text] for text in texts])
