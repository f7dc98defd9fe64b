"""ConsensusGrid / MultiModelConsensus at 10k, 100k and 1M rows × 4 label models: building the consensus columns, the
first page of disagreements (before its count), the count, the summary (every row counted; after inserts, updates and
deletes of 1,000 rows; unchanged) and a confusion matrix.

Each interaction is measured interleaved with its floor (A, B, A, B …: the raw Pixeltable query doing the same work)
and reported as medians, with the load average beside each figure and the kernel's peak memory (RSS rise and Python
heap, see :mod:`bench.common`). At the smallest size the results are also checked against pandas /
scikit-learn on the collected labels.

The four models are hand-made label columns (simulated classifiers with known accuracies and correlated mistakes),
adopted by the consensus, so the measured work is the consensus's, not a model's.

Run: ``python -m bench.bench_consensus`` (10k and 100k; writes the section "ConsensusGrid"), or
``python -m bench.bench_consensus --million`` (1M rows, only on a quiet machine: its build takes minutes; writes the
section "ConsensusGrid at scale"). ``--rows N`` runs the same with N rows instead (``--million --rows 20000``: a quick
trial of the million run end to end) and writes nothing.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import numpy as np
import pandas as pd

from bench.common import (
    COMPARED_HEADER,
    compared,
    how_measured,
    interleaved,
    is_loaded,
    load_average,
    temporary_home,
    write_section,
)

SIZES = (10_000, 100_000)
MILLION = 1_000_000
REPEAT = 5
ACCURACY = {'alpha': 0.97, 'beta': 0.95, 'gamma': 0.92, 'delta': 0.85}
PAGE = 50
INSERTED = 1_000
"""Rows inserted before each incremental summary."""
CHANGED = 1_000
"""Rows updated (or deleted) before each summary after an update (a delete): every ``n // CHANGED``-th row."""


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
    return c, time.perf_counter() - begin, load_average()


def stored_columns(c: Any) -> list[str]:
    """The consensus's columns that Pixeltable stores (each one a pass over every row when it is added)."""
    columns = c.table().get_metadata()['columns']
    return [n for n in c.state().owned_columns() if columns[n]['is_stored'] and n not in ACCURACY]


def one_pass(t: Any) -> None:
    """The floor of building: one stored computed column over every row (a batched UDF over the four label columns,
    like the consensus's), added and dropped."""
    from pxwidgets.functions.consensus import majority_agreement

    t.add_computed_column(floor_pass=majority_agreement([t[m] for m in ACCURACY]))
    t.drop_column('floor_pass')


def measure(n: int) -> dict[str, Any]:
    """Every figure of one size."""
    from pixeltable.functions import count

    from pxwidgets.panels.consensus_grid import ConsensusGrid
    from pxwidgets.patterns.consensus import counts
    from pxwidgets.patterns.consensus.rows import COUNTS

    c, build_s, build_load = build(f'cb/t{n}', n)
    grid = ConsensusGrid(c)
    t = c.table()
    models = [t[m] for m in ACCURACY]

    def panel(kind: str, payload: dict[str, Any]) -> Any:
        reply = grid.handle_request(kind, payload)
        assert reply['ok'], reply
        return reply['payload']

    out: dict[str, Any] = {'n': n, 'build_s': build_s, 'build_load': build_load, 'stored': stored_columns(c)}
    rounds = 3 if n <= 10_000 else 2
    out['rebuild'] = interleaved(
        {'ours': c.rebuild, 'floor': lambda: one_pass(c.table())}, repeat=rounds, warmup=0, memory=False
    )
    t = c.table()
    out['page'] = interleaved(
        {
            'ours': lambda: panel('rows', {'filter': 'disagreements', 'limit': PAGE, 'count': False}),
            'floor': lambda: t.where(t.consensus_agreement < 1.0).select(*models, t.truth).limit(PAGE).collect(),
        },
        repeat=REPEAT,
    )

    def cold_count() -> Any:
        COUNTS.clear()
        return panel('count', {'filter': 'disagreements'})

    out['count'] = interleaved(
        {'ours': cold_count, 'floor': lambda: t.where(t.consensus_agreement < 1.0).count()}, repeat=REPEAT
    )

    def group_by() -> Any:  # the floor of a summary: the one group by of every label column (the truth's own)
        return t.group_by(*models, t.consensus_label, t.truth).select(n=count(t.idx)).collect()

    def cold_summary() -> Any:
        counts.forget()
        return panel('summary', {})

    out['summary'] = interleaved({'ours': cold_summary, 'floor': group_by}, repeat=REPEAT)
    panel('summary', {})
    out['summary_kept'] = interleaved({'ours': lambda: panel('summary', {}), 'floor': group_by}, repeat=REPEAT)
    out['confusion'] = interleaved(
        {
            'ours': lambda: panel('confusion', {'model': 'delta'}),
            'floor': lambda: t.group_by(t.truth, t.delta).select(t.truth, t.delta, n=count(t.idx)).collect(),
        },
        repeat=REPEAT,
    )
    page = panel('rows', {'filter': 'disagreements', 'limit': PAGE, 'count': False})
    assert page['total'] is None and len(page['rows']) == PAGE
    assert all(r['consensus']['agreement'] < 1.0 for r in page['rows'])
    start = [n + 10_000_000]

    def insert() -> None:
        t.insert({**r, 'idx': r['idx'] + start[0]} for r in simulated_rows(INSERTED, seed=start[0]))
        start[0] += INSERTED

    out['summary_inserts'] = interleaved(
        {'ours': lambda: panel('summary', {}), 'floor': group_by}, repeat=REPEAT, setup={'ours': insert}
    )
    assert_incremental(c)
    step, rounds = n // CHANGED, iter(range(10**6))

    def scattered() -> Any:  # CHANGED of the first n rows, spread over the table, other ones each round
        return (t.idx < n) & (t.idx % step == next(rounds) % step)

    def update() -> None:  # a model's label changes: its label columns and the consensus columns are recomputed
        t.where(scattered()).update({'alpha': (t.alpha + 1) % 10})

    out['summary_updates'] = interleaved(
        {'ours': lambda: panel('summary', {}), 'floor': group_by}, repeat=REPEAT, setup={'ours': update}
    )
    assert_incremental(c)
    out['summary_deletes'] = interleaved(
        {'ours': lambda: panel('summary', {}), 'floor': group_by},
        repeat=REPEAT,
        setup={'ours': lambda: t.where(scattered()).delete()},
    )
    assert_incremental(c)
    return out


def assert_incremental(c: Any) -> None:
    """The last summary counted incrementally (one more change is, too) and equals a full count."""
    from pxwidgets.patterns.consensus import counts

    t = c.table()
    assert c.metrics().counting == 'cached'  # brought up to date by the last summary
    t.where(t.idx % 997 == 5).update({'beta': (t.beta + 3) % 10})
    incremental = c.metrics()
    assert incremental.counting == 'incremental', incremental.counting
    counts.forget()
    full = c.metrics()
    assert full.counting == 'full' and abs((full.fleiss or 0) - (incremental.fleiss or 0)) < 1e-12
    pd.testing.assert_frame_equal(full.summary, incremental.summary, rtol=1e-12)


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


WHAT = {
    'page': ('first page of 50 disagreements (no count)', '≤ 200 ms'),
    'count': ('their count (cold)', '—'),
    'summary': ('summary, every row counted (no kept counts)', '≤ 1000 ms'),
    'summary_inserts': (f'summary after {INSERTED:,} rows inserted (their counts added)', '≤ 1000 ms'),
    'summary_updates': (f'summary after {CHANGED:,} rows updated (row versions read from the store)', '≤ 500 ms'),
    'summary_deletes': (f'summary after {CHANGED:,} rows deleted (row versions read from the store)', '≤ 500 ms'),
    'summary_kept': ('summary again (table unchanged: counts kept)', '≤ 1000 ms'),
    'confusion': ('confusion matrix + per-class table + figure (from the kept counts)', '—'),
}


def report(results: list[dict[str, Any]]) -> str:
    """The RESULTS.md section: the build (with its floor and the 1M extrapolation) and the interactions."""
    builds, rows, scale = [], [], []
    for r in results:
        reb, fl = r['rebuild']['ours'], r['rebuild']['floor']
        scale.append(f'| {r["n"]:,} | rebuild the consensus columns (floor: one stored pass) {compared(reb, fl)}')
        for key, (label, _) in WHAT.items():
            scale.append(f'| {r["n"]:,} | {label} {compared(r[key]["ours"], r[key]["floor"])}')
    for r in results:
        reb, floor = r['rebuild']['ours'], r['rebuild']['floor']
        per_row_us = r['build_s'] / r['n'] * 1e6
        mark = ', loaded' if is_loaded(r['build_load']) else ''
        builds.append(
            f'| {r["n"]:,} | {r["build_s"]:.1f} s (load {r["build_load"]:.1f}{mark}) '
            f'| {per_row_us:.0f} µs | {len(r["stored"])}: {", ".join(r["stored"])} | {reb.ms / 1000:.1f} s | '
            f'{floor.ms / 1000:.1f} s | {reb.ratio(floor):.2f} | {r["build_s"] * MILLION / r["n"] / 60:.1f} min |'
        )
        for key, (label, target) in WHAT.items():
            ours, fl = r[key]['ours'], r[key]['floor']
            rows.append(
                f'| {r["n"]:,} | {label} | {ours.cell()} | {fl.ms:.1f} | {ours.ratio(fl):.2f} | {ours.memory()} | '
                f'{target} |'
            )
    return '\n'.join(
        [
            f'{len(ACCURACY)} label models (hand-made int columns adopted by the consensus), ground truth 5 % missing, '
            + how_measured(REPEAT),
            '',
            'Building: `add_models` of the four models (the stored columns listed: each is one pass of Pixeltable over '
            "every row; the models' label columns are unstored, SQL compares the int columns themselves). Its floor: "
            "`rebuild()` (the consensus's own stored columns, dropped and added again) interleaved with one stored "
            'batched-UDF column over the four labels added and dropped (one pass, the least any stored consensus '
            'column costs). 1M: the build per row times a million (every pass is linear in the rows).',
            '',
            '| rows | build | per row | stored columns | rebuild | one pass (floor) | rebuild ÷ floor | 1M (extrap.) |',
            '|---:|---:|---:|---|---:|---:|---:|---:|',
            *builds,
            '',
            '| rows | what | pxwidgets | floor ms | ÷ floor | memory MB (RSS rise / heap) | target |',
            '|---:|---|---:|---:|---:|---:|---|',
            *rows,
            '',
            "Floors: the summary's is the one SQL `group by` of every label column (the models', the consensus label, "
            "the truth's own column) that a summary without kept counts runs, also for the summary after inserts "
            '(which counts only the inserted rows and adds them: the rows beyond the last counted rowid, when every '
            'version since only inserted rows) and after updates or deletes (which reads from the store the row '
            'versions made and ended since, grouped in SQL, and adds and subtracts them; every '
            f'{CHANGED:,}th row, a model label changed or the row deleted, other rows each round); the '
            "confusion matrix's is the `group by` of its two columns. The summary's reply is always as fresh as the "
            'table: the kept counts are brought up to date by each call.',
            '',
            f'| rows | interaction {COMPARED_HEADER}',
            '|---:|---|---:|---:|---:|---:|---:|',
            *scale,
            '',
            'Results checked at the smallest size against pandas / scikit-learn / statsmodels on the collected labels, '
            'and at every size the summary after inserts, after updates and after deletes against a full count.',
        ]
    )


def main() -> None:
    temporary_home()
    import pixeltable as pxt

    pxt.init()
    pxt.create_dir('cb')
    results = []
    args = sys.argv[1:]
    million = '--million' in args
    trial = int(args[args.index('--rows') + 1]) if '--rows' in args else None
    sizes = [int(x) for x in args if x.isdigit() and (trial is None or int(x) != trial)]
    sizes = [trial] if trial is not None else sizes or ([MILLION] if million else list(SIZES))
    for n in sizes:
        results.append(measure(n))
        if n == sizes[0] and n <= 100_000:
            from pxwidgets import MultiModelConsensus

            check_against_pandas(MultiModelConsensus.open(f'cb/t{n}'))
    body = report(results)
    if trial is None:
        write_section('ConsensusGrid at scale' if million else 'ConsensusGrid', body)
    print(body)


if __name__ == '__main__':
    main()
