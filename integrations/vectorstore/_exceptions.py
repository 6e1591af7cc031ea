"""The vector store's exceptions; the tree is drawn in the package docstring."""

from __future__ import annotations


class VectorStoreError(RuntimeError):
    """Base of the vector store's exceptions."""


class EmbeddingModelMissingError(VectorStoreError):
    """The embedding model or its tokenizer is not installed; the message names the package."""


class VectorStoreUnavailableError(VectorStoreError):
    """The Chroma server cannot be reached, or the local store cannot be opened."""
