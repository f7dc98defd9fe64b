"""ConsensusGrid / MultiModelConsensus at 10k, 100k and 1M rows × 4 label models: building the consensus columns, the
first page of disagreements (before its count), the count, the summary and a confusion matrix.

Each interaction is measured interleaved with its floor (A, B, A, B …: the raw Pixeltable query doing the same work)
and reported as medians, with the kernel's peak Python heap during the call (tracemalloc), its resident memory after
it (RSS) and the load average beside each figure. At the smallest size the results are also checked against pandas /
scikit-learn on the collected labels.

The four models are hand-made label columns (simulated classifiers with known accuracies and correlated mistakes),
adopted by the consensus, so the measured work is the consensus's, not a model's.

Run: ``python -m bench.bench_consensus`` (10k and 100k; 1M too when the load average is below 3, or with ``--million``).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

from bench.common import temporary_home, write_section

SIZES = (10_000, 100_000)
MILLION = 1_000_000
QUIET_LOAD = 3.0
CORES = 2
LOADED = ' ⚠'
"""Marks a figure taken while the load average exceeded the core count (to be measured again on a quiet machine)."""
ACCURACY = {'alpha': 0.97, 'beta': 0.95, 'gamma': 0.92, 'delta': 0.85}
PAGE = 50


def simulated_rows(n: int, seed: int = 0) -> list[dict[str, Any]]:
    """Ground truth (10 classes, 5 % missing) and four models that are right with their accuracy; when two models
    err on a row they often make the same mistake (a shared confusion), as real classifiers do."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 10, n)
    confusion = (truth + rng.integers(1, 10, n)) % 10  # the "easy mistake" for each row
    labels = {}
    for name, acc in ACCURACY.items():
        wrong = rng.random(n) > acc
        other = np.where(rng.random(n) < 0.6, confusion, (truth + rng.integers(1, 10, n)) % 10)
        labels[name] = np.where(wrong, other, truth)
    missing = rng.random(n) < 0.05
    return [
        {'idx': i, 'truth': None if missing[i] else int(truth[i]), **{m: int(labels[m][i]) for m in ACCURACY}}
        for i in range(n)
    ]


def build(path: str, n: int) -> tuple[Any, float, float]:
    """The table with its four model columns, and the consensus on it; returns it, the seconds the consensus columns
    took to build and the load average then."""
    import pixeltable as pxt

    from pxwidgets import MultiModelConsensus

    schema = {'idx': pxt.Int, 'truth': pxt.Int | None, **dict.fromkeys(ACCURACY, pxt.Int)}
    t = pxt.create_table(path, schema)
    for start in range(0, n, 50_000):
        t.insert(simulated_rows(min(50_000, n - start), seed=start))
    c = MultiModelConsensus(t, ground_truth='truth')
    begin = time.perf_counter()
    c.add_models({m: m for m in ACCURACY})
    return c, time.perf_counter() - begin, os.getloadavg()[0]


def rss_mb() -> float:
    import psutil

    return float(psutil.Process().memory_info().rss) / 2**20


def interleaved(
    a: Callable[[], Any], b: Callable[[], Any], *, repeat: int = 5, before: Callable[[], None] | None = None
) -> dict[str, float]:
    """A and B run alternately (A, B, A, B …) after one warm-up each: medians in ms, A's peak Python heap (MB,
    tracemalloc), RSS after A (MB) and the load average."""
    times: dict[str, list[float]] = {'a': [], 'b': []}
    heap: list[float] = []
    for k in range(repeat + 1):
        for key, fn in (('a', a), ('b', b)):
            if before:
                before()
            if key == 'a':
                tracemalloc.start()
            start = time.perf_counter()
            fn()
            elapsed = (time.perf_counter() - start) * 1000
            if key == 'a':
                heap.append(tracemalloc.get_traced_memory()[1] / 2**20)
                tracemalloc.stop()
            if k:
                times[key].append(elapsed)
    return {
        'ours': statistics.median(times['a']),
        'floor': statistics.median(times['b']),
        'heap': max(heap),
        'rss': rss_mb(),
        'load': os.getloadavg()[0],
    }


def measure(n: int) -> dict[str, Any]:
    """Every figure of one size."""
    from pixeltable.functions import count

    from pxwidgets.panels.consensus_grid import ConsensusGrid
    from pxwidgets.patterns.consensus.rows import COUNTS

    c, build_s, build_load = build(f'cb/t{n}', n)
    grid = ConsensusGrid(c)
    t = c.table()
    labels = [t[f'{m}_label'] for m in ACCURACY]

    def panel(kind: str, payload: dict[str, Any]) -> Any:
        reply = grid.handle_request(kind, payload)
        assert reply['ok'], reply
        return reply['payload']

    out: dict[str, Any] = {'n': n, 'build_s': build_s, 'build_load': build_load}
    out['page'] = interleaved(
        lambda: panel('rows', {'filter': 'disagreements', 'limit': PAGE, 'count': False}),
        lambda: t.where(t.consensus_agreement < 1.0).select(*labels, t.consensus_truth).limit(PAGE).collect(),
    )
    out['count'] = interleaved(
        lambda: panel('count', {'filter': 'disagreements'}),
        lambda: t.where(t.consensus_agreement < 1.0).count(),
        before=COUNTS.clear,
    )
    out['summary'] = interleaved(
        lambda: panel('summary', {}),
        lambda: (
            t.group_by(*labels, t.consensus_label, t.consensus_truth)
            .select(*labels, n=count(t.consensus_tie))
            .collect()
        ),
        repeat=3,
    )
    out['confusion'] = interleaved(
        lambda: panel('confusion', {'model': 'delta'}),
        lambda: (
            t.group_by(t.consensus_truth, t.delta_label)
            .select(t.consensus_truth, t.delta_label, n=count(t.idx))
            .collect()
        ),
        repeat=3,
    )
    page = panel('rows', {'filter': 'disagreements', 'limit': PAGE, 'count': False})
    assert page['total'] is None and len(page['rows']) == PAGE
    assert all(r['consensus']['agreement'] < 1.0 for r in page['rows'])
    return out


def check_against_pandas(c: Any) -> None:
    """At the smallest size: the count and the summary equal pandas / scikit-learn / statsmodels on the labels."""
    from sklearn.metrics import accuracy_score, precision_recall_fscore_support
    from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

    t = c.table()
    models = list(ACCURACY)
    df = t.select(t.truth, *[t[m] for m in models]).collect().to_pandas()
    assert c.count('disagreements') == int((df[models].nunique(axis=1) > 1).sum())
    scored = df[df['truth'].notna()]
    by_model = c.metrics().summary.set_index('model')
    for m in models:
        _, _, f, _ = precision_recall_fscore_support(scored['truth'], scored[m], average='macro', zero_division=0)
        assert abs(by_model.loc[m, 'accuracy'] - accuracy_score(scored['truth'], scored[m])) < 1e-9
        assert abs(by_model.loc[m, 'f1'] - f) < 1e-9
    assert abs(c.metrics().fleiss - fleiss_kappa(aggregate_raters(df[models].to_numpy())[0])) < 1e-9


def main() -> None:
    temporary_home()
    import pixeltable as pxt

    pxt.init()
    pxt.create_dir('cb')
    results = []
    for n in SIZES:
        results.append(measure(n))
        if n == SIZES[0]:
            from pxwidgets import MultiModelConsensus

            check_against_pandas(MultiModelConsensus.open(f'cb/t{n}'))
    load = os.getloadavg()[0]
    million = '--million' in sys.argv or load < QUIET_LOAD
    if million:
        results.append(measure(MILLION))
    rows = []
    for r in results:
        what = {
            'page': 'first page of 50 disagreements (no count)',
            'count': 'their count (cold)',
            'summary': 'summary (metrics, kappa, Fleiss, 3 figures)',
            'confusion': 'confusion matrix + per-class table + figure',
        }
        target = {'page': '≤ 200 ms', 'count': '—', 'summary': '≤ 1000 ms', 'confusion': '—'}
        for key, label in what.items():
            m = r[key]
            mark = LOADED if m['load'] > CORES else ''
            rows.append(
                f'| {r["n"]:,} | {label} | {m["ours"]:.0f} | {m["floor"]:.0f} | {m["ours"] / m["floor"]:.2f} | '
                f'{m["heap"]:.1f} | {m["rss"]:.0f} | {m["load"]:.1f}{mark} | {target[key]} |'
            )
    builds = [
        f'| {r["n"]:,} | {r["build_s"]:.0f} s | {r["n"] / r["build_s"]:,.0f} rows/s | {r["build_load"]:.1f} |'
        for r in results
    ]
    body = '\n'.join(
        [
            f'{len(ACCURACY)} label models (hand-made columns adopted by the consensus), ground truth 5 % missing. '
            'Each figure is the median of interleaved runs (A = pxwidgets, B = its floor: the raw Pixeltable query '
            'doing the same work, A, B, A, B …); heap = peak Python heap during A (tracemalloc), RSS = the kernel '
            'after A; load = the 1-minute load average on 2 shared cores; ⚠ = taken above 2, slowed by the other '
            'work on the machine: to be measured again on a quiet machine.',
            '',
            "Building the consensus columns (the models' label columns, the truth column, label / agreement / tie and "
            'the accuracy-weighted label, each a batched UDF; the full vote unstored, computed per page):',
            '',
            '| rows | build | rate | load |',
            '|---:|---:|---:|---:|',
            *builds,
            '',
            '| rows | what | ms | floor ms | ratio | heap MB | RSS MB | load | target |',
            '|---:|---|---:|---:|---:|---:|---:|---:|---|',
            *rows,
            '',
            (
                ''
                if million
                else f'1M rows not run: the load average was {load:.1f} (≥ {QUIET_LOAD:.0f}) when the 100k run ended. '
                'Run it on a quiet machine with `python -m bench.bench_consensus --million`.'
            ),
            'Results checked at 10k against pandas / scikit-learn / statsmodels on the collected labels.',
        ]
    )
    write_section('ConsensusGrid', body)
    print(body)


if __name__ == '__main__':
    main()
