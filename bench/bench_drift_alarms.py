"""False alarms and detection delay of the drift rules, over many seeded scenarios (numpy / scipy only; no database).

For every scenario (a reference, a window size, a kind and strength of drift, or none) and seed, a stream of
``CLEAN`` undrifted windows is followed by ``DRIFTED`` drifted ones. Two rules decide each window:

- ``evidently``: Evidently's defaults — above 1,000 reference values the normed Wasserstein distance (numeric) or the
  Jensen-Shannon distance (categories) at 0.1, else the KS test / chi-squared test at p < 0.05;
- ``sample_size`` (pxwidgets' default): the same statistic (Wasserstein / Jensen-Shannon) against a quantile of its
  no-drift distribution for a window of that many values, estimated once per reference by resampling
  (:mod:`pxwidgets.patterns.incremental.nulls`) — for the window alone (at half the false-alarm rate) and for the
  window pooled with the 1 and 3 windows before it (a quarter each), as the library decides;
- ``single``: the previous default, the window alone at the 0.99 quantile (no pooling).

Reported: false alarms per 100 undrifted windows, and for drifts, the mean number of drifted windows until the
first alarm (a stream without any alarm counts as ``DRIFTED + 1``) and the share of streams caught.

Run: ``python -m bench.bench_drift_alarms [--seeds 20] [--only shift]`` (writes a section of bench/RESULTS.md with
``--write``; ``--only`` keeps the scenarios whose name contains one of its ``;``-separated words).
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy import stats as sps
from scipy.spatial import distance

from pxwidgets.patterns.incremental.nulls import POOLS, alpha_shares, category_limits, numeric_limit
from pxwidgets.patterns.incremental.stats import MIN_STD

CLEAN = 10
DRIFTED = 10
ALPHA = 0.02
"""The default false-alarm rate of the sample-size rule (split between its tests)."""
SINGLE_ALPHA = 0.01
"""The previous default: the window alone at the 0.99 quantile."""
RULES = ('sample_size', 'single', 'evidently')
EVIDENTLY_SMALL = 1000
WINDOW_SIZES = (50, 300, 1000, 5000)
REFERENCE_SIZES = (500, 1176, 5000)


def _confidence(rng: np.random.Generator, n: int, drift: str, s: float) -> np.ndarray:
    """A classifier's confidence (beta distributed), drifted by a shift, a spread or a mixture."""
    x = rng.beta(8, 2, n)
    if drift == 'shift':
        x = x - s * 0.13  # s = shift in reference standard deviations (std of beta(8, 2) ~ 0.12)
    elif drift == 'spread':  # (named 'scale' here before: the 'spread' scenarios were not drifted at all)
        x = 0.8 + (x - 0.8) * (1 + s)
    elif drift == 'mixture':
        k = rng.random(n) < s
        x[k] = rng.beta(2, 2, int(k.sum()))
    return x


def _classes(rng: np.random.Generator, n: int, s: float) -> np.ndarray:
    """Predicted classes of 10 digits; drift moves share ``s`` of the rows to class 7."""
    c = rng.integers(0, 10, n)
    move = rng.random(n) < s
    c[move] = 7
    return c


SCENARIOS: dict[str, tuple[str, float]] = {
    'none': ('numeric', 0.0),
    'shift 0.1 sd': ('numeric', 0.1),
    'shift 0.25 sd': ('numeric', 0.25),
    'shift 0.5 sd': ('numeric', 0.5),
    'spread +20 %': ('numeric', 0.2),
    'spread +50 %': ('numeric', 0.5),
    'mixture 10 %': ('numeric', 0.1),
    'mixture 30 %': ('numeric', 0.3),
    'classes: none': ('categories', 0.0),
    'classes: 3 % to one class': ('categories', 0.03),
    'classes: 10 % to one class': ('categories', 0.1),
}


def _drift_kind(name: str) -> str:
    return name.split()[0] if name.split()[0] in ('shift', 'spread', 'mixture') else 'none'


def _counts(values: np.ndarray) -> dict[int, int]:
    keys, n = np.unique(values, return_counts=True)
    return {int(k): int(v) for k, v in zip(keys, n, strict=True)}


def evidently_numeric(ref: np.ndarray, cur: np.ndarray) -> bool:
    if len(ref) <= EVIDENTLY_SMALL:
        return bool(sps.ks_2samp(ref, cur).pvalue < 0.05)
    return bool(sps.wasserstein_distance(ref, cur) / max(float(np.std(ref)), MIN_STD) >= 0.1)


def evidently_categories(ref: np.ndarray, cur: np.ndarray) -> bool:
    r, c = _counts(ref), _counts(cur)
    keys = sorted(set(r) | set(c))
    rv = np.array([r.get(k, 0) for k in keys], float)
    cv = np.array([c.get(k, 0) for k in keys], float)
    if len(ref) <= EVIDENTLY_SMALL:  # chi-squared of the window's counts against the reference's shares
        expected = rv / rv.sum() * cv.sum()
        keep = expected > 0
        return bool(sps.chisquare(cv[keep], expected[keep] * cv[keep].sum() / expected[keep].sum()).pvalue < 0.05)
    return bool(distance.jensenshannon(rv / rv.sum(), cv / cv.sum()) >= 0.1)


def _js(rc: dict[int, int], cur: np.ndarray) -> float:
    cc = _counts(cur)
    keys = sorted(set(rc) | set(cc))
    rv = np.array([rc.get(k, 0) for k in keys], float)
    cv = np.array([cc.get(k, 0) for k in keys], float)
    return float(distance.jensenshannon(rv / rv.sum(), cv / cv.sum()))


def _decisions(
    stat: Callable[[np.ndarray], float], limits: dict[int, float | None], stream: list[np.ndarray]
) -> list[bool]:
    """The sample-size rule on each window of a stream: the window alone, or pooled with the 1 and 3 before it."""
    out = []
    for i in range(len(stream)):
        fired = False
        for k, limit in limits.items():
            if limit is None or i + 1 < k:
                continue
            pooled = stream[i] if k == 1 else np.concatenate(stream[i - k + 1 : i + 1])
            if stat(pooled) > limit:
                fired = True
                break
        out.append(fired)
    return out


def run(seeds: int, only: list[str] | None = None) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    limits: dict[tuple[object, ...], float | None] = {}  # once per reference, window size and test
    shares = alpha_shares(ALPHA)
    sizes = (1, *POOLS)
    for name, (kind, strength) in SCENARIOS.items():
        if only and not any(word in name for word in only):
            continue
        drift = _drift_kind(name)
        for m in REFERENCE_SIZES:
            for n in WINDOW_SIZES:
                alarms = dict.fromkeys(RULES, 0)
                clean_windows = 0
                delays: dict[str, list[int]] = {rule: [] for rule in RULES}
                for seed in range(seeds):
                    ref_rng = np.random.default_rng([seed, m, 1 if kind == 'numeric' else 2])
                    rng = np.random.default_rng([seed, m, n, sum(map(ord, name))])
                    stat: Callable[[np.ndarray], float]
                    evidently: Callable[[np.ndarray], bool]
                    if kind == 'numeric':
                        ref = _confidence(ref_rng, m, 'none', 0)
                        for k in sizes:
                            key = ('w', seed, m, n, k)
                            if key not in limits:
                                limits[key] = numeric_limit(ref, k * n, shares[k], salt=str(seed))
                        key = ('w', seed, m, n, 0)
                        if key not in limits:
                            limits[key] = numeric_limit(ref, n, SINGLE_ALPHA, salt=str(seed))
                        norm = max(float(np.std(ref)), MIN_STD)

                        def stat(cur: np.ndarray, ref: np.ndarray = ref, norm: float = norm) -> float:
                            return float(sps.wasserstein_distance(ref, cur)) / norm

                        def evidently(cur: np.ndarray, ref: np.ndarray = ref) -> bool:
                            return evidently_numeric(ref, cur)

                        clean = [_confidence(rng, n, 'none', 0) for _ in range(CLEAN)]
                        drifted = [_confidence(rng, n, drift, strength) for _ in range(DRIFTED)] if strength else []
                        prefix = 'w'
                    else:
                        ref = _classes(ref_rng, m, 0)
                        rc = _counts(ref)
                        for k in sizes:
                            key = ('c', seed, m, n, k)
                            if key not in limits:
                                found = category_limits(rc, k * n, shares[k], salt=str(seed))
                                limits[key] = None if found is None else found['js']
                        key = ('c', seed, m, n, 0)
                        if key not in limits:
                            found = category_limits(rc, n, SINGLE_ALPHA, salt=str(seed))
                            limits[key] = None if found is None else found['js']

                        def stat(cur: np.ndarray, rc: dict[int, int] = rc) -> float:
                            return _js(rc, cur)

                        def evidently(cur: np.ndarray, ref: np.ndarray = ref) -> bool:
                            return evidently_categories(ref, cur)

                        clean = [_classes(rng, n, 0.0) for _ in range(CLEAN)]
                        drifted = [_classes(rng, n, strength) for _ in range(DRIFTED)] if strength else []
                        prefix = 'c'
                    stream = clean + drifted
                    decided = {
                        'sample_size': _decisions(stat, {k: limits[(prefix, seed, m, n, k)] for k in sizes}, stream),
                        'single': _decisions(stat, {1: limits[(prefix, seed, m, n, 0)]}, stream),
                        'evidently': [evidently(w) for w in stream],
                    }
                    clean_windows += len(clean)
                    for rule, fired in decided.items():
                        alarms[rule] += sum(fired[:CLEAN])
                        if drifted:
                            after = fired[CLEAN:]
                            delays[rule].append(next((i + 1 for i, f in enumerate(after) if f), DRIFTED + 1))
                row: dict[str, object] = {'scenario': name, 'reference': m, 'window': n}
                for rule in RULES:
                    row[f'{rule}_fa'] = 100.0 * alarms[rule] / clean_windows
                    if delays[rule]:
                        row[f'{rule}_delay'] = float(np.mean(delays[rule]))
                        row[f'{rule}_caught'] = float(np.mean([d <= DRIFTED for d in delays[rule]]))
                out.append(row)
    return out


RULE = (
    "The rule (pxwidgets' default, `drift_rule='sample_size'`, `false_alarm_rate=0.02`): each window's normed "
    'Wasserstein distance (numbers) or Jensen-Shannon distance (classes) against the reference is compared with the '
    'quantile of its own no-drift distribution for that many values (resampled from the reference, 2,000 draws, '
    "cached per reference and size): the window alone at half the rate (0.01, the previous rule's level), and the "
    'window pooled with the 1 and with the 3 windows before it at a quarter each (0.005); it alerts when any test '
    'crosses (Bonferroni: at most 0.02 of undrifted windows). Pooling is what gives a small persistent drift power: '
    "the pooled values' own noise shrinks, and the limits, drawn for the pooled size, still include the reference's "
    'noise. Predictions and numeric columns are pooled; labels, which arrive late, are tested window by window. The '
    '"spread" scenarios were not drifted in the previous version of this bench (the generator knew them under another '
    'name): the spread figures before this section were false alarms.\n\n'
    "Where it is still later than Evidently's rule: mostly with a reference of 500 values. There the no-drift limit "
    "is set by the reference's own sampling noise, which no pooling of windows reduces, and Evidently's rule (KS at "
    'p < 0.05 up to 1,000 reference values) is earlier because it accepts more alarms (3–9 per 100 undrifted windows '
    'in those scenarios, against 0–3); a larger reference, or a higher `false_alarm_rate`, buys the same. A 3 % class '
    'shift in windows of 300 against 1,176 values is caught by neither rule in most streams.'
)


def summarize(rows: list[dict[str, object]]) -> str:
    lines = [
        '| scenario | reference | window | false alarms / 100: ours | previous rule | Evidently '
        '| windows to detect: ours | previous rule | Evidently | caught: ours | previous rule | Evidently |',
        '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ]
    for r in rows:
        fa = ' | '.join(f'{float(r[f"{rule}_fa"]):.1f}' for rule in RULES)  # type: ignore[arg-type]
        if 'sample_size_delay' in r:
            delay = ' | '.join(f'{float(r[f"{rule}_delay"]):.1f}' for rule in RULES)  # type: ignore[arg-type]
            caught = ' | '.join(f'{100 * float(r[f"{rule}_caught"]):.0f} %' for rule in RULES)  # type: ignore[arg-type]
        else:
            delay = caught = ' |  | '
        lines.append(f'| {r["scenario"]} | {r["reference"]:,} | {r["window"]:,} | {fa} | {delay} | {caught} |')
    return '\n'.join(lines)


def verdict(rows: list[dict[str, object]]) -> dict[str, object]:
    """Means and the scenarios where a rule detects later than Evidently's (all, and where Evidently's own false
    alarms stay ≤ 5 per 100 windows)."""

    def f(r: dict[str, object], k: str) -> float:
        return float(r[k])  # type: ignore[arg-type]

    drifted = [r for r in rows if 'sample_size_delay' in r]
    fair = [r for r in drifted if f(r, 'evidently_fa') <= 5.0]
    out: dict[str, object] = {'drifted': len(drifted), 'fair': len(fair)}
    for rule in ('sample_size', 'single'):
        worst = max(rows, key=lambda r: f(r, f'{rule}_fa'))
        out[rule] = {
            'fa': float(np.mean([f(r, f'{rule}_fa') for r in rows])),
            'worst': f(worst, f'{rule}_fa'),
            'worst_at': f'{worst["scenario"]}, reference {worst["reference"]:,}, window {worst["window"]:,}',
            'later': [r for r in drifted if f(r, f'{rule}_delay') > f(r, 'evidently_delay')],
            'later_fair': [r for r in fair if f(r, f'{rule}_delay') > f(r, 'evidently_delay')],
        }
    out['evidently_fa'] = float(np.mean([f(r, 'evidently_fa') for r in rows]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--seeds', type=int, default=20)
    parser.add_argument('--only', default='', help="';'-separated words: keep the scenarios whose name has one")
    parser.add_argument('--write', action='store_true')
    args = parser.parse_args()
    start = time.perf_counter()
    rows = run(args.seeds, [w for w in args.only.split(';') if w] or None)
    elapsed = time.perf_counter() - start
    table = summarize(rows)
    v = verdict(rows)
    ours, single = v['sample_size'], v['single']
    assert isinstance(ours, dict) and isinstance(single, dict)
    late = '; '.join(
        f'{r["scenario"]} (reference {r["reference"]:,}, window {r["window"]:,}: {float(r["sample_size_delay"]):.1f} '  # type: ignore[arg-type]
        f'windows against {float(r["evidently_delay"]):.1f})'  # type: ignore[arg-type]
        for r in ours['later_fair']
    )
    print(table)
    summary = (
        f'{len(rows)} scenarios × {args.seeds} seeds × {CLEAN} undrifted (+ {DRIFTED} drifted) windows, '
        f'false-alarm rate {ALPHA} (previous rule: {SINGLE_ALPHA}), {elapsed:.0f} s, load average '
        f'{os.getloadavg()[0]:.1f} (2 cores).\n\n'
        f'False alarms per 100 undrifted windows: **{ours["fa"]:.2f}** with the sample-size rule (worst scenario '
        f'{ours["worst"]:.1f}: {ours["worst_at"]}), {single["fa"]:.2f} with the previous rule (window alone), '
        f"**{v['evidently_fa']:.2f}** with Evidently's rule. Detection later than Evidently's in "
        f'{len(ours["later"])} of {v["drifted"]} drifted scenarios (previous rule: {len(single["later"])}); among '
        f"the {v['fair']} where Evidently's rule itself keeps ≤ 5 false alarms per 100 windows, later in "
        f'{len(ours["later_fair"])} (previous rule: {len(single["later_fair"])})' + (f': {late}.' if late else '.')
    )
    print(summary)
    if args.write:
        path = Path(__file__).with_name('RESULTS.md')
        text = path.read_text()
        marker = "## Drift alarms: sample-size rule against Evidently's"
        section = (
            f'{marker}\n\nWritten by `python -m bench.bench_drift_alarms --write`. {summary}\n\n{RULE}\n\n{table}\n'
        )
        if marker in text:
            head, _, rest = text.partition(marker)
            nxt = rest.find('\n## ')
            text = head + section + (rest[nxt:] if nxt >= 0 else '')
        else:
            text = text.rstrip() + '\n\n' + section
        path.write_text(text)


if __name__ == '__main__':
    main()
