"""The ChromaDB adapter: an embedded ``PersistentClient`` under ``var/``, or a Chroma server.

Every collection call passes the embedding function explicitly: without it Chroma builds its
default function (which downloads a model, and fails offline) and rebuilds it per call.
Telemetry is off. Chroma's own exceptions become ``VectorStoreError`` subclasses here.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TypeVar, cast
from urllib.parse import urlsplit

import chromadb
import httpx
import numpy as np
import numpy.typing as npt
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import ChromaError, NotFoundError

from integrations.urls import mask_url
from integrations.vectorstore._exceptions import VectorStoreError, VectorStoreUnavailableError
from integrations.vectorstore.embeddings import MiniLMEmbeddingFunction
from integrations.vectorstore.protocol import Metadata, StoredText, VectorHit

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

# The collection metadata key holding the id of the collection's last write.
_REVISION = "two_peaks_revision"
# Chroma limits one write to max_batch_size records (about 5,000 on SQLite); stay well under.
_WRITE_BATCH = 1_000
# One query call reads its hits' records with one SQL statement per call, a variable per hit:
# 2,305 questions x 50 hits (an evaluation run) passed SQLite's limit ("too many SQL
# variables"). Queries go in batches of at most this many hits.
_QUERY_HITS = 10_000


class ChromaVectorStore:
    """``VectorStore`` over a Chroma client, with cosine collections and the MiniLM function."""

    def __init__(self, client: ClientAPI, embedding: MiniLMEmbeddingFunction) -> None:
        self._client = client
        self._embedding = embedding
        self._collections: dict[str, Collection] = {}

    @classmethod
    def persistent(
        cls, path: Path, embedding: MiniLMEmbeddingFunction | None = None
    ) -> ChromaVectorStore:
        """An embedded store in the folder ``path`` (created if missing)."""
        path.mkdir(parents=True, exist_ok=True)
        with _translated(f"local Chroma store {path}"):
            client = chromadb.PersistentClient(path=str(path), settings=_chroma_settings())
        return cls(client, embedding or MiniLMEmbeddingFunction())

    @classmethod
    def server(
        cls, url: str, embedding: MiniLMEmbeddingFunction | None = None
    ) -> ChromaVectorStore:
        """A store on the Chroma server at ``url`` (``http://host:8000`` or ``https://…``)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise VectorStoreError(
                f"CHROMA_URL {mask_url(url)!r}: expected http://host:port or https://…"
            )
        ssl = parts.scheme == "https"
        with _translated(f"Chroma server {parts.hostname}"), _refused_as_unavailable(url):
            client = chromadb.HttpClient(
                host=parts.hostname,
                port=parts.port or (443 if ssl else 8000),
                ssl=ssl,
                settings=_chroma_settings(),
            )
        return cls(client, embedding or MiniLMEmbeddingFunction())

    def _collection(self, name: str) -> Collection:
        found = self._collections.get(name)
        if found is None:
            with _translated(f"collection {name}"):
                found = self._client.get_or_create_collection(
                    name,
                    configuration={"hnsw": {"space": "cosine"}},
                    embedding_function=self._embedding,  # type: ignore[arg-type]
                )
            self._collections[name] = found
        return found

    def _on(self, name: str, operation: Callable[[Collection], _T]) -> _T:
        """``operation`` on the named collection, once more on a fresh handle when another
        client dropped and re-created it since (the clock's nightly rebuild, another process's
        ``kb rebuild``): a cached handle names the old collection's id."""
        with _translated(f"collection {name}"):
            try:
                return operation(self._collection(name))
            except NotFoundError:
                self._collections.pop(name, None)
                logger.info("collection %s was re-created by another client; reopened", name)
                return operation(self._collection(name))

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return self._embedding.embed(texts)

    def upsert(
        self,
        collection: str,
        ids: Sequence[str],
        texts: Sequence[str],
        metadatas: Sequence[Metadata],
        *,
        embed_texts: Sequence[str] | None = None,
    ) -> None:
        if not len(ids) == len(texts) == len(metadatas):
            raise ValueError("ids, texts and metadatas must have the same length")
        if embed_texts is not None and len(embed_texts) != len(texts):
            raise ValueError("embed_texts must have one text per passage")
        source = embed_texts if embed_texts is not None else texts
        for start in range(0, len(ids), _WRITE_BATCH):
            end = start + _WRITE_BATCH
            write = partial(
                Collection.upsert,
                ids=list(ids[start:end]),
                documents=list(texts[start:end]),
                metadatas=[dict(m) for m in metadatas[start:end]],
                embeddings=self._embedding.embed(source[start:end]),
            )
            self._on(collection, write)
        self._revised(collection)

    def query(self, collection: str, queries: Sequence[str], k: int) -> list[list[VectorHit]]:
        if not queries:
            return []
        vectors = self._embedding.embed(queries)
        batch = max(1, _QUERY_HITS // max(1, k))
        hits: list[list[VectorHit]] = []
        for start in range(0, len(queries), batch):
            part = vectors[start : start + batch]
            search = partial(
                Collection.query,
                query_embeddings=part,
                n_results=k,
                include=["documents", "metadatas", "distances"],
            )
            result = self._on(collection, search)
            ids = result["ids"]
            documents = cast(list[list[str]], result["documents"])
            metadatas = cast(list[list[Metadata]], result["metadatas"])
            distances = cast(list[list[float]], result["distances"])
            hits.extend(
                [
                    # Chroma's cosine distance is 1 - cosine similarity.
                    VectorHit(id=i, text=d, metadata=m, similarity=1.0 - float(dist))
                    for i, d, m, dist in zip(
                        ids[q], documents[q], metadatas[q], distances[q], strict=True
                    )
                ]
                for q in range(len(part))
            )
        return hits

    def all_texts(self, collection: str) -> list[StoredText]:
        result = self._on(collection, lambda target: target.get(include=["documents", "metadatas"]))
        documents = cast(list[str], result["documents"])
        metadatas = cast(list[Metadata], result["metadatas"])
        return [
            StoredText(id=i, text=d, metadata=m)
            for i, d, m in zip(result["ids"], documents, metadatas, strict=True)
        ]

    def delete(self, collection: str, ids: Sequence[str]) -> None:
        if not ids:
            return
        for start in range(0, len(ids), _WRITE_BATCH):
            batch = list(ids[start : start + _WRITE_BATCH])
            self._on(collection, partial(Collection.delete, ids=batch))
        self._revised(collection)

    def drop(self, collection: str) -> None:
        self._collections.pop(collection, None)
        try:
            self._client.delete_collection(collection)
        except (NotFoundError, ValueError):
            logger.debug("collection %s did not exist", collection)
        except ChromaError as error:
            raise VectorStoreError(f"collection {collection}: {error}") from error

    def count(self, collection: str) -> int:
        return self._on(collection, lambda target: target.count())

    def revision(self, collection: str) -> str:
        # The collection's id (a rebuild re-creates it) and the revision its last write stored,
        # read afresh: a cached handle keeps the metadata it was opened with.
        with _translated(f"collection {collection}"):
            try:
                found = self._client.get_collection(
                    collection,
                    embedding_function=self._embedding,  # type: ignore[arg-type]
                )
            except (NotFoundError, ValueError):
                return ""
        return f"{found.id}:{(found.metadata or {}).get(_REVISION, '')}"

    def _revised(self, collection: str) -> None:
        """A new revision for the collection, so every process's readers see it changed."""
        revision = {_REVISION: uuid.uuid4().hex}
        self._on(collection, lambda target: target.modify(metadata=revision))


def build_vector_store(
    var_dir: Path, chroma_url: str | None, *, threads: int = 1
) -> ChromaVectorStore:
    """The configured store: the Chroma server at ``chroma_url``, else ``var_dir/chroma``;
    ``threads`` for the embedding model (one to answer questions beside other work, every core
    to embed a whole help centre)."""
    embedding = MiniLMEmbeddingFunction(threads=threads)
    if chroma_url:
        return ChromaVectorStore.server(chroma_url, embedding)
    return ChromaVectorStore.persistent(var_dir / "chroma", embedding)


def _chroma_settings() -> ChromaSettings:
    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


@contextmanager
def _refused_as_unavailable(url: str) -> Iterator[None]:
    """HttpClient says "Could not connect" with a ValueError when it cannot reach the server."""
    try:
        yield
    except ValueError as error:
        raise VectorStoreUnavailableError(
            f"Chroma server {mask_url(url)} unavailable: {error}"
        ) from error


@contextmanager
def _translated(what: str) -> Iterator[None]:
    """Chroma's and the network's errors as this package's, naming what failed."""
    try:
        yield
    except ChromaError as error:
        raise VectorStoreError(f"{what}: {error}") from error
    except (httpx.TransportError, ConnectionError) as error:
        # HttpClient talks to the server through httpx: no route, refused, timed out.
        raise VectorStoreUnavailableError(f"{what} unavailable: {error}") from error
