"""ConsensusGrid / MultiModelConsensus on 100k rows × 4 label models: pages of disagreements and the summary.

- A page of 50 disagreements through the panel's 'rows' command (SQL ``where`` on the stored agreement column, the
  filtered count included) against the same page done with pandas after ``collect()`` of the label columns.
- The same for "one model wrong against the ground truth" and "least agreement first" (an ``order by``).
- The summary (per-model accuracy / precision / recall / F1, Cohen's kappa matrix, Fleiss' kappa), through the
  library and through the panel's 'summary' command (plotly figures included), against pandas + scikit-learn on the
  collected labels.
- The kappa heatmap's payload at 1k and at 100k rows: it must not grow with the rows.

The four models are hand-made label columns (simulated classifiers with known accuracies and correlated mistakes),
adopted by the consensus, so the measured work is the consensus's, not a model's.
"""

from __future__ import annotations

import json
import time
from typing import Any

import numpy as np

from bench.common import median_ms, temporary_home, write_section

N_ROWS = 100_000
SMALL_ROWS = 1_000
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


def build(path: str, n: int) -> Any:
    import pixeltable as pxt

    from pxwidgets import MultiModelConsensus

    schema = {'idx': pxt.Int, 'truth': pxt.Int | None, **dict.fromkeys(ACCURACY, pxt.Int)}
    t = pxt.create_table(path, schema)
    rows = simulated_rows(n)
    for start in range(0, n, 20_000):
        t.insert(rows[start : start + 20_000])
    c = MultiModelConsensus(t, ground_truth='truth')
    c.add_models({m: m for m in ACCURACY})
    return c


def main() -> None:
    temporary_home()
    import pandas as pd
    import pixeltable as pxt
    from sklearn.metrics import accuracy_score, cohen_kappa_score, precision_recall_fscore_support
    from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

    from pxwidgets.panels.consensus_grid import ConsensusGrid

    pxt.init()
    pxt.create_dir('cb')
    start = time.perf_counter()
    c = build('cb/big', N_ROWS)
    build_s = time.perf_counter() - start
    small = build('cb/small', SMALL_ROWS)
    grid = ConsensusGrid(c)
    t = c.table()
    models = list(ACCURACY)

    def panel(kind: str, payload: dict[str, Any]) -> Any:
        reply = grid.handle_request(kind, payload)
        assert reply['ok'], reply
        return reply['payload']

    # ---- a page of disagreements: cold (its count not known yet) and paging on (the count is kept per version)
    from pxwidgets.patterns.consensus.rows import COUNTS

    cold_dis = median_ms(lambda: panel('rows', {'filter': 'disagreements', 'limit': PAGE}), before=COUNTS.clear)
    ours_dis = median_ms(lambda: panel('rows', {'filter': 'disagreements', 'offset': 5 * PAGE, 'limit': PAGE}))

    def pandas_dis() -> pd.DataFrame:
        df = t.select(t.idx, t.truth, *[t[m] for m in models]).collect().to_pandas()
        return df[df[models].nunique(axis=1) > 1].head(PAGE)

    raw_dis = median_ms(pandas_dis, repeat=5)
    page = panel('rows', {'filter': 'disagreements', 'limit': PAGE})
    expected = pandas_dis()
    assert page['total'] == int((t.select(*[t[m] for m in models]).collect().to_pandas().nunique(axis=1) > 1).sum())
    assert len(page['rows']) == len(expected) == PAGE
    assert all(len({cell['label'] for cell in r['models'].values()}) > 1 for r in page['rows'])

    # ---- a model wrong against the ground truth; least agreement first
    ours_wrong = median_ms(
        lambda: panel('rows', {'filter': 'model_wrong', 'model': 'delta', 'limit': PAGE}), before=COUNTS.clear
    )

    def pandas_wrong() -> pd.DataFrame:
        df = t.select(t.idx, t.truth, t.delta).collect().to_pandas()
        return df[df['truth'].notna() & (df['delta'] != df['truth'])].head(PAGE)

    raw_wrong = median_ms(pandas_wrong, repeat=5)
    ours_sorted = median_ms(lambda: panel('rows', {'order': 'agreement', 'limit': PAGE}), before=COUNTS.clear)

    def pandas_sorted() -> pd.DataFrame:
        df = t.select(t.idx, *[t[m] for m in models]).collect().to_pandas()
        top = df[models].apply(lambda r: r.value_counts().iloc[0], axis=1, raw=False)
        return df.assign(agreement=top / len(models)).sort_values('agreement', kind='stable').head(PAGE)

    raw_sorted = median_ms(pandas_sorted, repeat=3, warmup=0)

    # ---- the summary
    lib_summary = median_ms(lambda: c.metrics(), repeat=5)
    panel_summary = median_ms(lambda: panel('summary', {}), repeat=5)

    def pandas_summary() -> dict[str, Any]:
        df = t.select(t.truth, *[t[m] for m in models]).collect().to_pandas()
        scored = df[df['truth'].notna()]
        out: dict[str, Any] = {}
        for m in models:
            p, r, f, _ = precision_recall_fscore_support(scored['truth'], scored[m], average='macro', zero_division=0)
            out[m] = (accuracy_score(scored['truth'], scored[m]), p, r, f)
        out['kappa'] = {(a, b): cohen_kappa_score(df[a], df[b]) for a in models for b in models if a < b}
        out['fleiss'] = fleiss_kappa(aggregate_raters(df[models].to_numpy())[0])
        return out

    raw_summary = median_ms(pandas_summary, repeat=3)
    check = pandas_summary()
    m = c.metrics()
    by_model = m.summary.set_index('model')
    for name in models:
        assert abs(by_model.loc[name, 'accuracy'] - check[name][0]) < 1e-9
        assert abs(by_model.loc[name, 'f1'] - check[name][3]) < 1e-9
    assert m.kappa is not None and abs(m.kappa.loc['alpha', 'beta'] - check['kappa'][('alpha', 'beta')]) < 1e-9
    assert m.fleiss is not None and abs(m.fleiss - check['fleiss']) < 1e-9

    # ---- the heatmap's payload does not grow with the rows
    big_kappa = len(json.dumps(panel('summary', {})['kappa']))
    small_grid = ConsensusGrid(small)
    small_reply = small_grid.handle_request('summary', {})
    assert small_reply['ok'], small_reply
    small_kappa = len(json.dumps(small_reply['payload']['kappa']))
    page_bytes = len(json.dumps(page))

    body = '\n'.join(
        [
            f'{N_ROWS:,} rows × {len(models)} label models (hand-made columns adopted by the consensus) with ground '
            f'truth (5 % missing); building the consensus columns took {build_s:.0f} s. Median ms; pandas = the same '
            'result from `collect()` of the needed columns, then pandas (and scikit-learn / statsmodels for the '
            'summary). Results checked equal.',
            '',
            '| what | pxwidgets | pandas after collect() | ratio | target |',
            '|---|---|---|---|---|',
            f'| panel: the first page of {PAGE} disagreements + their count | {cold_dis:.0f} | {raw_dis:.0f} | '
            f'{cold_dis / raw_dis:.2f} | ≤ 200 ms, ≤ 0.5 |',
            f'| panel: a later page of disagreements (count known for this version) | {ours_dis:.0f} | '
            f'{raw_dis:.0f} | {ours_dis / raw_dis:.2f} | ≤ 200 ms, ≤ 0.5 |',
            f'| panel: the first page where one model is wrong vs truth + count | {ours_wrong:.0f} | {raw_wrong:.0f} | '
            f'{ours_wrong / raw_wrong:.2f} | ≤ 0.5 |',
            f'| panel: the first page, least agreement first | {ours_sorted:.0f} | {raw_sorted:.0f} | '
            f'{ours_sorted / raw_sorted:.2f} | ≤ 0.5 |',
            f'| library: summary (metrics, kappa matrix, Fleiss) | {lib_summary:.0f} | {raw_summary:.0f} | '
            f'{lib_summary / raw_summary:.2f} | ≤ 1000 ms |',
            f'| panel: summary with its three plotly figures | {panel_summary:.0f} | {raw_summary:.0f} | '
            f'{panel_summary / raw_summary:.2f} | ≤ 1000 ms |',
            '',
            f'Metrics were computed from {m.groups:,} label combinations (one SQL `group by`), not {N_ROWS:,} rows. '
            f'Kappa heatmap payload: {small_kappa:,} bytes at {SMALL_ROWS:,} rows, {big_kappa:,} bytes at '
            f'{N_ROWS:,} rows (it does not grow with the rows). A page of {PAGE} rows on the wire: '
            f'{page_bytes:,} bytes.',
        ]
    )
    write_section('ConsensusGrid', body)
    print(body)


if __name__ == '__main__':
    main()
