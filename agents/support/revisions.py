"""A value derived from one revision of the knowledge base's collection (the lexical snapshot,
the multilingual index), kept while the revision stands."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class PerRevision(Generic[T]):
    """What ``build()`` gives for the collection's current revision (``VectorStore.revision``):
    kept while nothing changes, rebuilt by one thread (the others waiting for it) when another
    client or process changed the collection (the clock's nightly rebuild, a human answer learnt
    in another process)."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._held: tuple[str, T] | None = None
        self._rebuilding = threading.Lock()

    def get(self, revision: str) -> T:
        """The value built at ``revision``, built now if the one held is older (or none is)."""
        held = self._held
        if held is not None and held[0] == revision:
            return held[1]
        with self._rebuilding:
            held = self._held
            if held is None or held[0] != revision:
                held = self._held = (revision, self._build())
        return held[1]

    def clear(self) -> None:
        """Forget the value: the next ``get`` builds it again (after this process's own write)."""
        self._held = None
