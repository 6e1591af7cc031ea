"""The offline all-MiniLM-L6-v2 embedding function: shapes, unit length, sensible similarity."""

from __future__ import annotations

import numpy as np
import pytest

from integrations.vectorstore import MiniLMEmbeddingFunction
from integrations.vectorstore.embeddings import DIMENSION, model_file, tokenizer_file


@pytest.fixture(scope="module")
def embedding() -> MiniLMEmbeddingFunction:
    return MiniLMEmbeddingFunction()


def test_the_model_and_tokenizer_are_found_inside_installed_packages() -> None:
    assert model_file().name == "model.onnx"
    assert tokenizer_file().name == "tokenizer.json"


def test_texts_become_unit_vectors_of_384_dimensions(embedding: MiniLMEmbeddingFunction) -> None:
    vectors = embedding.embed(["hi", "a much longer sentence about returning hiking boots " * 5])
    assert vectors.shape == (2, DIMENSION)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedding.embed([]).shape == (0, DIMENSION)


def test_a_text_gets_the_same_vector_alone_or_padded_in_a_batch(
    embedding: MiniLMEmbeddingFunction,
) -> None:
    alone = embedding.embed(["free shipping"])[0]
    batched = embedding.embed(["free shipping", "a far longer text that forces padding " * 8])[0]
    assert float(alone @ batched) > 0.9999


def test_texts_embedded_in_length_sorted_batches_come_back_in_their_order() -> None:
    texts = [f"{'a long passage about tents and poles ' * (i % 7)} question {i}" for i in range(9)]
    embedding = MiniLMEmbeddingFunction(batch_size=2)
    together = embedding.embed(texts)
    alone = np.concatenate([embedding.embed([t]) for t in texts])
    assert np.allclose(np.sum(together * alone, axis=1), 1.0, atol=1e-4)


def test_paraphrases_are_closer_than_unrelated_text(embedding: MiniLMEmbeddingFunction) -> None:
    a, b, c = embedding.embed(
        [
            "How do I return boots?",
            "Can I send back shoes I bought?",
            "What is the capital of France?",
        ]
    )
    assert float(a @ b) > float(a @ c) + 0.3


def test_it_answers_chromas_embedding_function_protocol(embedding: MiniLMEmbeddingFunction) -> None:
    vectors = embedding(["one", "two"])
    assert len(vectors) == 2 and len(vectors[0]) == DIMENSION
    assert embedding.default_space() == "cosine"
    rebuilt = MiniLMEmbeddingFunction.build_from_config(embedding.get_config())
    assert rebuilt.get_config() == embedding.get_config()
