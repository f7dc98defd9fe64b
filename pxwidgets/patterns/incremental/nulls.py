"""How large a drift statistic gets by chance: its distribution under no drift, for a window of ``n`` values, estimated
by resampling the reference (pure numpy / scipy, no Pixeltable).

A fixed threshold ignores the window's size: the normed Wasserstein distance between a reference and a window of 300
values drawn from the very same distribution is often above 0.1 (Evidently's threshold), while between 5,000 values
and the reference it stays far below. The *sample-size rule* alerts when a statistic exceeds the ``1 - alpha``
quantile of its own no-drift distribution for a window of that many values: a pseudo-reference of the reference's
size and a window of ``n`` values are both drawn from the reference (so both samples' noise counts), ``DRAWS`` times.
Limits are computed once per reference, statistic and window size (rounded down to a grid of ``2**(k/4)``, which
errs on the side of fewer alarms) and cached.

Example:
    >>> rng = np.random.default_rng(0)
    >>> ref = rng.normal(size=1176)
    >>> small, large = numeric_limit(ref, 300, 0.01), numeric_limit(ref, 5000, 0.01)
    >>> small > 0.1 > large
    True
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
from scipy import stats as sps
from scipy.spatial import distance

from pxwidgets.patterns.incremental.stats import MIN_STD, PSI_EPSILON, _sort_key

DRAWS = 400
"""Resamples per limit (the 0.99 quantile then rests on the 4 largest of 400)."""

MAX_PSEUDO_REFERENCE = 20_000
"""Pseudo-references larger than this are drawn at this size (more noise: fewer alarms, never more)."""


def size_bin(n: int) -> int:
    """``n`` rounded down to the grid ``floor(2**(k/4))``, so that one limit serves windows of similar sizes.

    Example:
        >>> [size_bin(n) for n in (1, 50, 300, 5000)]
        [1, 45, 256, 4870]
    """
    if n <= 1:
        return 1
    k = math.floor(4 * math.log2(n) + 1e-9)
    return max(1, math.floor(2 ** (k / 4)))


def _rng(*key: Any) -> np.random.Generator:
    seed = int.from_bytes(hashlib.sha256(repr(key).encode()).digest()[:8], 'big')
    return np.random.default_rng(seed)


def numeric_limit(reference: np.ndarray, n: int, alpha: float, *, draws: int = DRAWS, salt: str = '') -> float | None:
    """The ``1 - alpha`` quantile of the normed Wasserstein distance between the reference and a window of ``n``
    values of the same distribution (``None`` without values on either side)."""
    ref = np.asarray(reference, dtype=np.float64)
    if len(ref) < 2 or n < 1:
        return None
    rng = _rng('w', salt, len(ref), n, alpha, draws)
    m = min(len(ref), MAX_PSEUDO_REFERENCE)
    values = np.empty(draws)
    for i in range(draws):
        pseudo = rng.choice(ref, m)
        window = rng.choice(ref, n)
        norm = max(float(np.std(pseudo)), MIN_STD)
        values[i] = sps.wasserstein_distance(pseudo, window) / norm
    return float(np.quantile(values, 1 - alpha))


def category_limits(
    reference: Mapping[Hashable, int], n: int, alpha: float, *, draws: int = DRAWS, salt: str = ''
) -> dict[str, float] | None:
    """The ``1 - alpha`` quantiles of the PSI and the Jensen-Shannon distance between the reference's category
    counts and a window of ``n`` values of the same shares (``None`` without counts on either side)."""
    ordered = sorted(reference, key=_sort_key)  # the same counts give the same limits, whatever their order
    counts = np.asarray([reference[k] for k in ordered if reference[k] > 0], dtype=np.int64)
    m = int(counts.sum())
    if m == 0 or n < 1:
        return None
    rng = _rng('c', salt, tuple(counts.tolist()), n, alpha, draws)
    shares = counts / m
    ref = rng.multinomial(m, shares, size=draws).astype(np.float64)
    cur = rng.multinomial(n, shares, size=draws).astype(np.float64)
    ref /= ref.sum(axis=1, keepdims=True)
    cur /= cur.sum(axis=1, keepdims=True)
    r, c = np.where(ref == 0, PSI_EPSILON, ref), np.where(cur == 0, PSI_EPSILON, cur)
    psi = np.sum((r - c) * np.log(r / c), axis=1)
    js = distance.jensenshannon(ref, cur, axis=1)
    return {'psi': float(np.quantile(psi, 1 - alpha)), 'js': float(np.quantile(np.nan_to_num(js), 1 - alpha))}


class NullLimits:
    """Limits per (reference digest, column, statistic, size bin, alpha), kept in a dict the store persists.

    Example:
        >>> limits = NullLimits({}, 'ref1', 0.01)
        >>> limits.numeric('confidence', np.linspace(0, 1, 500), 300) == limits.numeric('x', np.zeros(1), 300)
        False
    """

    def __init__(self, cache: dict[str, Any], digest: str, alpha: float) -> None:
        self.cache = cache
        self.digest = digest
        self.alpha = alpha
        self.computed = 0
        """How many limits were computed (not found in the cache)."""

    def _key(self, kind: str, column: str, n: int) -> str:
        return f'{self.digest}|{self.alpha:g}|{kind}|{column}|{size_bin(n)}'

    def numeric(self, column: str, reference: np.ndarray, n: int) -> float | None:
        """The Wasserstein limit of a numeric column for a window of ``n`` values."""
        key = self._key('w', column, n)
        if key not in self.cache:
            self.cache[key] = numeric_limit(reference, size_bin(n), self.alpha, salt=column)
            self.computed += 1
        value = self.cache[key]
        return None if value is None else float(value)

    def categories(self, column: str, reference: Mapping[Hashable, int], n: int) -> dict[str, float] | None:
        """The PSI and Jensen-Shannon limits of a categorical column for a window of ``n`` values."""
        key = self._key('c', column, n)
        if key not in self.cache:
            self.cache[key] = category_limits(reference, size_bin(n), self.alpha, salt=column)
            self.computed += 1
        value = self.cache[key]
        return None if value is None else dict(value)

    def prune(self) -> dict[str, Any]:
        """The cache without the limits of other references (what the store keeps)."""
        return {k: v for k, v in self.cache.items() if k.startswith(f'{self.digest}|')}
