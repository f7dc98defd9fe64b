"""The JSON records a consensus sends to a panel, declared once (the TypeScript types are generated from them).

Example:
    >>> entry: ModelEntry = state.model('knn').to_json()  # doctest: +SKIP
    >>> entry['marker']  # doctest: +SKIP
    'knn_label'
"""

from __future__ import annotations

from typing import TypedDict


class ModelEntry(TypedDict):
    """One model of a consensus (``ModelInfo.to_json()``; the attributes are described there)."""

    name: str
    column: str
    kind: str
    """``'labels'``, ``'detections'`` or ``'text'``."""
    marker: str
    label_column: str | None
    confidence_column: str | None
    adopted: bool
    seconds_per_row: float | None
    rows_timed: int | None
    definition: str
    computed: bool
