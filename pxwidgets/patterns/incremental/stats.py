"""Window metrics from confusion counts, and drift statistics from scipy, with the anchors' definitions.

Metrics follow scikit-learn: macro averages over the classes present in a window's labels or predictions, an
undefined precision or recall counts as 0 (``zero_division=0``). Drift follows Evidently: the population stability
index and Jensen-Shannon distance on category shares (a zero share counts as 0.0001 in the PSI), the Kolmogorov-Smirnov
two-sample p-value, and the Wasserstein distance divided by the reference's standard deviation (at least 0.001).

Example:
    >>> m = metrics_from_counts({(0, 0): 8, (1, 0): 2, (1, 1): 10})
    >>> round(m['accuracy'], 2), m['labeled']
    (0.9, 20)
    >>> round(psi({'a': 50, 'b': 50}, {'a': 80, 'b': 20}), 4)
    0.4159
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
from scipy import special, stats
from scipy.spatial import distance

PSI_EPSILON = 0.0001
"""The share a category absent from one side counts as in the PSI (Evidently's value)."""

MIN_STD = 0.001
"""The smallest reference standard deviation the Wasserstein distance is divided by (Evidently's value)."""


def metrics_from_counts(cells: Mapping[tuple[Hashable, Hashable], int]) -> dict[str, Any]:
    """Accuracy, macro precision / recall / F1 and per-class figures from ``{(prediction, truth): count}``.

    Only labeled rows belong in ``cells``. With no labeled rows every metric is ``None``.

    Returns:
        ``labeled``, ``correct``, ``accuracy``, ``precision``, ``recall``, ``f1`` and ``per_class``: one
        ``{'class', 'support', 'predicted', 'tp', 'precision', 'recall', 'f1'}`` per class (strings as classes).
    """
    labeled = int(sum(cells.values()))
    classes = sorted({c for pair in cells for c in pair}, key=_sort_key)
    if labeled == 0:
        return {
            'labeled': 0,
            'correct': 0,
            'accuracy': None,
            'precision': None,
            'recall': None,
            'f1': None,
            'per_class': [],
        }
    per_class = []
    for c in classes:
        tp = int(cells.get((c, c), 0))
        predicted = int(sum(n for (p, _), n in cells.items() if p == c))
        support = int(sum(n for (_, g), n in cells.items() if g == c))
        fp, fn = predicted - tp, support - tp
        per_class.append(
            {
                'class': c,
                'support': support,
                'predicted': predicted,
                'tp': tp,
                'precision': tp / predicted if predicted else 0.0,
                'recall': tp / support if support else 0.0,
                'f1': 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0,
            }
        )
    correct = int(sum(n for (p, g), n in cells.items() if p == g))
    return {
        'labeled': labeled,
        'correct': correct,
        'accuracy': correct / labeled,
        'precision': float(np.mean([r['precision'] for r in per_class])),
        'recall': float(np.mean([r['recall'] for r in per_class])),
        'f1': float(np.mean([r['f1'] for r in per_class])),
        'per_class': per_class,
    }


def _sort_key(value: Hashable) -> tuple[int, Any]:
    return (0, value) if isinstance(value, (int, float)) else (1, str(value))


def shares(reference: Mapping[Hashable, int], current: Mapping[Hashable, int]) -> tuple[np.ndarray, np.ndarray]:
    """The two distributions over the union of their categories, as shares summing to 1."""
    keys = sorted({*reference, *current}, key=_sort_key)
    ref = np.array([reference.get(k, 0) for k in keys], dtype=np.float64)
    cur = np.array([current.get(k, 0) for k in keys], dtype=np.float64)
    return ref / ref.sum(), cur / cur.sum()


def psi(reference: Mapping[Hashable, int], current: Mapping[Hashable, int]) -> float | None:
    """Population stability index of category counts: ``sum((r - c) * ln(r / c))``, via scipy's ``rel_entr``.

    ``None`` when either side has no rows.
    """
    if not sum(reference.values()) or not sum(current.values()):
        return None
    ref, cur = shares(reference, current)
    ref, cur = np.where(ref == 0, PSI_EPSILON, ref), np.where(cur == 0, PSI_EPSILON, cur)
    return float(np.sum(special.rel_entr(ref, cur) + special.rel_entr(cur, ref)))


def js_distance(reference: Mapping[Hashable, int], current: Mapping[Hashable, int]) -> float | None:
    """Jensen-Shannon distance (natural log, 0 to sqrt(ln 2)) of category counts, by scipy; ``None`` if one is empty."""
    if not sum(reference.values()) or not sum(current.values()):
        return None
    ref, cur = shares(reference, current)
    return float(distance.jensenshannon(ref, cur))


def finite(values: Any) -> np.ndarray:
    """The finite values of a sequence as float64 (``None`` and NaN dropped)."""
    arr = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    return arr[np.isfinite(arr)]


def ks(reference: np.ndarray, current: np.ndarray) -> dict[str, float] | None:
    """Two-sample Kolmogorov-Smirnov test (scipy): ``{'statistic', 'pvalue'}``; ``None`` if a side has no values."""
    if len(reference) == 0 or len(current) == 0:
        return None
    result = stats.ks_2samp(reference, current)
    return {'statistic': float(result.statistic), 'pvalue': float(result.pvalue)}


def wasserstein_normed(reference: np.ndarray, current: np.ndarray) -> float | None:
    """Wasserstein distance (scipy) divided by the reference's standard deviation (at least ``MIN_STD``)."""
    if len(reference) == 0 or len(current) == 0:
        return None
    norm = max(float(np.std(reference)), MIN_STD)
    return float(stats.wasserstein_distance(reference, current)) / norm


def clean(value: Any) -> Any:
    """JSON-safe: NaN and infinities become ``None``, numpy scalars become Python numbers."""
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(float(value)) else None
    if isinstance(value, np.integer):
        return int(value)
    return value
