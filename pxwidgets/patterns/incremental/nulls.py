"""How large a drift statistic gets by chance: its distribution under no drift, for a window of ``n`` values, estimated
by resampling the reference (pure numpy / scipy, no Pixeltable).

A fixed threshold ignores the window's size: the normed Wasserstein distance between a reference and a window of 300
values drawn from the very same distribution is often above 0.1 (Evidently's threshold), while between 5,000 values
and the reference it stays far below. The *sample-size rule* alerts when a statistic exceeds the ``1 - alpha``
quantile of its own no-drift distribution for a window of that many values: a pseudo-reference of the reference's
size and a window of ``n`` values are both drawn from the reference (so both samples' noise counts), ``DRAWS`` times.
Limits are computed once per reference, statistic and window size (rounded down to a grid of ``2**(k/4)``, which
errs on the side of fewer alarms) and cached. Samples larger than :data:`SIMULATED` values are simulated at that size
and the quantile scaled (:func:`numeric_limit`), so a limit costs the same for a window of 40,000 values as of 4,000.

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
from scipy.spatial import distance

from pxwidgets.patterns.incremental.stats import MIN_STD, PSI_EPSILON, _sort_key

POOLS = (2, 4)
"""Besides each window alone, the sample-size rule tests it pooled with the window before it (2 windows) and with
the 3 before it (4 windows): a small drift that persists is seen in the pooled values first, as their own noise
shrinks (the windows are taken against the same reference, whose own noise the limits include)."""


def alpha_shares(alpha: float) -> dict[int, float]:
    """The false-alarm rate split between the tests of one window (Bonferroni: their union alerts on at most
    ``alpha`` of undrifted windows): half to the window alone, the rest evenly to the pools.

    Example:
        >>> alpha_shares(0.02)
        {1: 0.01, 2: 0.005, 4: 0.005}
    """
    return {1: alpha / 2, **{k: alpha / (2 * len(POOLS)) for k in POOLS}}


DRAWS = 2000
"""Resamples per limit (the 0.9975 quantile — a pooled test's share of a 0.01 false-alarm rate — then rests on the
5 largest of 2,000)."""

SIMULATED = 4096
"""The largest pseudo-reference and window drawn; larger ones are simulated at this size and scaled."""

BATCH = 64
"""Resamples computed together (memory: a few ``BATCH × distinct reference values`` arrays)."""


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


MAX_SUPPORT = 4096
"""References with more distinct values are resampled on this many quantile bins (each bin's values at their mean):
a draw costs ``O(bins)``, and the limit moves by far less than its own resampling noise."""


def support(reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sorted values the resamples are drawn on and, for each reference value in sorted order, the index of its
    value: the distinct values, or up to :data:`MAX_SUPPORT` quantile bins of equal counts (each at the mean of its
    values) for larger references. Sorted first, so the limits never depend on the order the rows came in.

    Example:
        >>> u, inverse = support(np.array([3.0, 1.0, 3.0, 2.0]))
        >>> u.tolist(), inverse.tolist()
        ([1.0, 2.0, 3.0], [0, 1, 2, 2])
    """
    ordered = np.sort(np.asarray(reference, dtype=np.float64))
    u, inverse = np.unique(ordered, return_inverse=True)
    if len(u) <= MAX_SUPPORT:
        return u, inverse
    bins = np.arange(len(ordered)) * MAX_SUPPORT // len(ordered)  # equal counts, in value order
    means = np.bincount(bins, weights=ordered) / np.bincount(bins)
    return means, bins


def null_wasserstein(reference: np.ndarray, m: int, n: int, draws: int, rng: np.random.Generator) -> np.ndarray:
    """``draws`` normed Wasserstein distances between a pseudo-reference of ``m`` values and a window of ``n`` values,
    both drawn with replacement from ``reference``.

    Computed on the reference's distinct values ``u`` (sorted) from how often each was drawn: the Wasserstein-1
    distance of two samples on ``u`` is ``sum(|F_a(u_i) - F_b(u_i)| * (u_(i+1) - u_i))`` (the area between their
    empirical distribution functions, what ``scipy.stats.wasserstein_distance`` computes), divided by the
    pseudo-reference's standard deviation (at least ``MIN_STD``). The same draws as resampling the values one by one,
    without sorting each resample (on :func:`support`'s bins for references of many distinct values).
    """
    u, inverse = support(reference)
    k, size = len(u), len(reference)
    gaps, centred = np.diff(u), u - u.mean()
    out = np.empty(draws)
    for start in range(0, draws, BATCH):
        b = min(BATCH, draws - start)
        offset = (np.arange(b) * k)[:, None]

        def counts(size_: int, offset: np.ndarray = offset, b: int = b) -> np.ndarray:
            drawn = inverse[rng.integers(0, size, (b, size_))] + offset
            return np.bincount(drawn.ravel(), minlength=b * k).reshape(b, k)

        a, w = counts(m), counts(n)
        fa, fw = np.cumsum(a[:, :-1], axis=1) / m, np.cumsum(w[:, :-1], axis=1) / n
        mean = a @ centred / m
        std = np.sqrt(np.maximum(a @ centred**2 / m - mean**2, 0.0))
        out[start : start + b] = (np.abs(fa - fw) @ gaps) / np.maximum(std, MIN_STD)
    return out


def numeric_limit(reference: np.ndarray, n: int, alpha: float, *, draws: int = DRAWS, salt: str = '') -> float | None:
    """The ``1 - alpha`` quantile of the normed Wasserstein distance between the reference (``m`` values) and a window
    of ``n`` values of the same distribution (``None`` without values on either side).

    A pseudo-reference or window above :data:`SIMULATED` values is drawn at that size (``m'``, ``n'``) and the
    quantile multiplied by ``sqrt((1/m + 1/n) / (1/m' + 1/n'))``: the difference of two samples' empirical
    distribution functions tends to a Brownian bridge of that scale (Donsker), so the area between them — the distance
    — scales with it. Measured against the full simulation on beta, lognormal and two-peaked references of 1,176 to
    40,000 values and windows of 5,000 to 31,000: within 5.3 % (the quantile itself moves by ~5 % between seeds);
    ``tests/unit/test_incremental_stats.py`` checks lognormal and two-peaked references within 12 %.
    """
    ref = np.asarray(reference, dtype=np.float64)
    if len(ref) < 2 or n < 1:
        return None
    m = len(ref)
    m_drawn, n_drawn = min(m, SIMULATED), min(n, SIMULATED)
    rng = _rng('w2', salt, m, n_drawn, alpha, draws)
    values = null_wasserstein(ref, m_drawn, n_drawn, draws, rng)
    scale = math.sqrt((1 / m + 1 / n) / (1 / m_drawn + 1 / n_drawn))
    return float(np.quantile(values, 1 - alpha)) * scale


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

    def _key(self, kind: str, column: str, n: int, alpha: float) -> str:
        return f'{self.digest}|{alpha:g}|{kind}|{column}|{size_bin(n)}'

    def numeric(self, column: str, reference: np.ndarray, n: int, alpha: float | None = None) -> float | None:
        """The Wasserstein limit of a numeric column for a window of ``n`` values (at ``alpha``, default the
        instance's)."""
        alpha = self.alpha if alpha is None else alpha
        key = self._key('w2', column, n, alpha)
        if key not in self.cache:
            self.cache[key] = numeric_limit(reference, size_bin(n), alpha, salt=column)
            self.computed += 1
        value = self.cache[key]
        return None if value is None else float(value)

    def categories(
        self, column: str, reference: Mapping[Hashable, int], n: int, alpha: float | None = None
    ) -> dict[str, float] | None:
        """The PSI and Jensen-Shannon limits of a categorical column for a window of ``n`` values (at ``alpha``,
        default the instance's)."""
        alpha = self.alpha if alpha is None else alpha
        key = self._key('c', column, n, alpha)
        if key not in self.cache:
            self.cache[key] = category_limits(reference, size_bin(n), alpha, salt=column)
            self.computed += 1
        value = self.cache[key]
        return None if value is None else dict(value)

    def prune(self) -> dict[str, Any]:
        """The cache without the limits of other references (what the store keeps)."""
        return {k: v for k, v in self.cache.items() if k.startswith(f'{self.digest}|')}
