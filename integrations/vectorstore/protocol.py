"""What the agents need from a vector store, as a ``Protocol``, and the records it returns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeAlias

import numpy as np
import numpy.typing as npt

# Chroma keeps flat metadata: one level of strings, numbers and booleans.
Metadata: TypeAlias = Mapping[str, str | int | float | bool]


@dataclass(frozen=True, slots=True)
class StoredText:
    """One stored passage: its id, its text and its metadata."""

    id: str
    text: str
    metadata: Metadata


@dataclass(frozen=True, slots=True)
class VectorHit:
    """A passage found for a query, with its cosine similarity to the query (higher is closer)."""

    id: str
    text: str
    metadata: Metadata
    similarity: float


class VectorStore(Protocol):
    """Named collections of passages embedded with one embedding model, queried by meaning."""

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Unit vectors for ``texts`` from the store's embedding model, shape (n, dimension)."""
        ...

    def upsert(
        self,
        collection: str,
        ids: Sequence[str],
        texts: Sequence[str],
        metadatas: Sequence[Metadata],
        *,
        embed_texts: Sequence[str] | None = None,
    ) -> None:
        """Add or replace passages; ``embed_texts`` (same length) is embedded instead of ``texts``
        when the text to match on is not the text to show (a human answer matches its question).
        """
        ...

    def query(self, collection: str, queries: Sequence[str], k: int) -> list[list[VectorHit]]:
        """The ``k`` closest passages to each query, closest first."""
        ...

    def all_texts(self, collection: str) -> list[StoredText]:
        """Every passage in the collection (for the lexical index and for rebuilds)."""
        ...

    def delete(self, collection: str, ids: Sequence[str]) -> None:
        """Remove passages by id; unknown ids are ignored."""
        ...

    def drop(self, collection: str) -> None:
        """Remove the whole collection; dropping a missing collection does nothing."""
        ...

    def count(self, collection: str) -> int:
        """How many passages the collection holds (0 when it does not exist)."""
        ...

    def revision(self, collection: str) -> str:
        """A token that changes whenever the collection's passages change, whichever process
        or client changed them ("" when it does not exist)."""
        ...
