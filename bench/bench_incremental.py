"""IncrementalEvaluation / DriftDashboard: refresh cost, incremental against full recomputes, memory, Evidently.

On a stream of drifting digits predictions (100 hourly windows, 10k / 100k / 1M rows, 30 % of labels late):

- The dashboard's refresh (the panel's 'refresh' command: refresh + window table + alerts + three figures) when
  nothing changed, and ``IncrementalEvaluation.refresh()`` alone.
- After inserting 1k new rows (a new hour), the refresh, against a full recompute in pandas over all rows: every
  row into pandas, then the same metrics (confusion counts per window) and the same scipy drift statistics.
- The first (full) refresh, which recomputes every window inside Pixeltable, against its floor: one collect of the
  columns it reads (window key, prediction, label, confidence); and a forced full refresh interleaved with that
  collect (target for the first full refresh: ≤ 3× the collect).
- The refresh after +1k rows interleaved with its floor: one collect of the new window's rows (the work cannot be
  less than reading them). Both pairs also go to a table in the standard scale format (``| rows | interaction |``
  + ``bench.common.COMPARED_HEADER``).
- Memory: the Python heap's peak (tracemalloc) during the incremental refresh and during the full one, per size.
- Evidently 0.7 (in a virtual environment of its own under ``.pxw-cache/``: it pins plotly < 6) computing the same
  drift report — PSI and Jensen-Shannon on the predictions, KS and Wasserstein on the confidence, every window
  against the reference — on the same rows, as a ratio; and its values against ours on one window.

Run: ``python -m bench bench_incremental`` (``PXW_BENCH_ROWS=10000,100000`` to skip the 1M rows — ``PXW_BENCH_SIZES``
is read too; ``PXW_BENCH_ROWS=1000000`` for the 1M run alone; ``PXW_BENCH_REPEAT`` rounds per interleaved pair,
default 3).
"""

from __future__ import annotations

import datetime
import gc
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import (
    COMPARED_HEADER,
    Measure,
    _reset_peak_rss,
    _status_kb,
    bench_repeat,
    compared,
    how_measured,
    interleaved,
    is_loaded,
    load_average,
    median_ms,
    peak_memory,
    temporary_home,
    write_section,
)

REPO = Path(__file__).resolve().parents[1]
WINDOWS = 100
REFERENCE_WINDOWS = 4
DRIFT_FROM = 60
EVIDENTLY = ['evidently==0.7.23', 'pandas<3', 'pyarrow']
"""Evidently 0.7.23 pins plotly < 6 and breaks on pandas 3 (it imports a function pandas 3 removed)."""
EVIDENTLY_VENV = REPO / '.pxw-cache' / 'evidently-venv'
START = datetime.datetime(2026, 1, 5, 0, 0, tzinfo=datetime.UTC)


def _sizes() -> list[int]:
    text = os.environ.get('PXW_BENCH_ROWS') or os.environ.get('PXW_BENCH_SIZES') or '10000,100000,1000000'
    return [int(s) for s in text.split(',') if s.strip()]


def _fill(tbl: Any, n: int) -> Any:
    """``n`` rows in ``WINDOWS`` hourly batches, inserted 10 batches at a time (memory stays small)."""
    from pxwidgets.demo.drifting_digits import drifting_batches

    per = n // WINDOWS
    last = None
    for group in range(WINDOWS // 10):
        batches = drifting_batches(
            n_batches=10,
            batch_size=per,
            drift_from=max(0, DRIFT_FROM - group * 10),
            start=START + datetime.timedelta(hours=10 * group),
            first_id=group * 10 * per,
            seed=group,
        )
        tbl.insert([row for b in batches for row in b.rows])
        last = batches[-1]
    return last


def _after_insert(
    insert: Callable[[], None], fn: Callable[[], object], floor: Callable[[], object], *, repeat: int
) -> tuple[Measure, Measure]:
    """``fn`` after each ``insert`` (untimed), interleaved with ``floor`` (insert, fn, floor, insert, fn, floor …):
    medians, load averages, and the peak memory of one more round each."""
    times: dict[str, list[float]] = {'fn': [], 'floor': []}
    loads: dict[str, list[float]] = {'fn': [], 'floor': []}
    for _ in range(repeat):
        insert()
        for name, f in (('fn', fn), ('floor', floor)):
            start = time.perf_counter()
            f()
            times[name].append((time.perf_counter() - start) * 1000)
            loads[name].append(load_average())
    out = []
    for name, f in (('fn', fn), ('floor', floor)):
        if name == 'fn':  # each call needs an insert before it: one for the RSS peak, one for the heap peak
            insert()
            rss, _ = peak_memory(f, heap=False)
            insert()
            heap = _peak_kib(f) / 1024
        else:
            rss, heap = peak_memory(f)
        out.append(Measure(statistics.median(times[name]), statistics.median(loads[name]), rss, heap, times[name]))
    return out[0], out[1]


def _peak_kib(fn: Callable[[], object]) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 1024


def pandas_full_recompute(tbl: Any, width: int = 3600) -> dict[int, dict[str, Any]]:
    """The reference: every row into pandas, then the same metrics and scipy drift statistics per window."""
    import pandas as pd

    from pxwidgets.patterns.incremental import stats

    frame = tbl.select(tbl.ts, tbl.prediction, tbl.label, tbl.confidence).collect().to_pandas()
    frame['bucket'] = (frame['ts'] - pd.Timestamp(0, tz='UTC')) // pd.Timedelta(seconds=width)
    first = frame['bucket'].min()
    ref = frame[frame['bucket'] < first + REFERENCE_WINDOWS]
    ref_pred = ref['prediction'].value_counts().to_dict()
    ref_conf = stats.finite(ref['confidence'])
    out = {}
    for bucket, g in frame.groupby('bucket'):
        labeled = g[g['label'].notna()]
        cells = labeled.groupby(['prediction', 'label']).size().to_dict()
        cur = stats.finite(g['confidence'])
        out[int(bucket)] = {
            **stats.metrics_from_counts({(int(p), int(t)): int(n) for (p, t), n in cells.items()}),
            'pending': int(g['label'].isna().sum()),
            'psi': stats.psi(ref_pred, g['prediction'].value_counts().to_dict()),
            'js': stats.js_distance(ref_pred, g['prediction'].value_counts().to_dict()),
            'ks': stats.ks(ref_conf, cur),
            'wasserstein': stats.wasserstein_normed(ref_conf, cur),
        }
    return out


# ---- Evidently, in its own environment ------------------------------------------------------------------------

EVIDENTLY_SCRIPT = r"""
import json, sys, time
import pandas as pd
from evidently import DataDefinition, Dataset, Report
from evidently.metrics import ValueDrift

data = pd.read_parquet(sys.argv[1])
ref = data[data['bucket'] < data['bucket'].min() + int(sys.argv[2])]
definition = DataDefinition(numerical_columns=['confidence'], categorical_columns=['prediction'])
metrics = [ValueDrift(column='prediction', method='psi'), ValueDrift(column='prediction', method='jensenshannon'),
           ValueDrift(column='confidence', method='ks'), ValueDrift(column='confidence', method='wasserstein')]
reference = Dataset.from_pandas(ref[['prediction', 'confidence']], data_definition=definition)
out = {}
start = time.perf_counter()
for bucket, group in data.groupby('bucket'):
    current = Dataset.from_pandas(group[['prediction', 'confidence']], data_definition=definition)
    result = Report(metrics).run(current_data=current, reference_data=reference).dict()
    out[int(bucket)] = [m['value'] for m in result['metrics']]
elapsed = time.perf_counter() - start
print(json.dumps({'seconds': elapsed, 'values': out}))
"""


def ensure_evidently() -> Path | None:
    """The Python of a virtual environment with Evidently (made once under .pxw-cache/), or None if pip fails."""
    python = EVIDENTLY_VENV / 'bin' / 'python'
    if python.exists() and subprocess.run([str(python), '-c', 'import evidently'], capture_output=True).returncode == 0:
        return python
    subprocess.run([sys.executable, '-m', 'venv', str(EVIDENTLY_VENV)], check=True)
    pip = subprocess.run([str(python), '-m', 'pip', 'install', '-q', *EVIDENTLY], capture_output=True, text=True)
    if pip.returncode != 0:
        print(f'Evidently could not be installed:\n{pip.stderr[-2000:]}')
        return None
    return python


def run_evidently(tbl: Any, workdir: Path) -> dict[str, Any] | None:
    import pandas as pd

    python = ensure_evidently()
    if python is None:
        return None
    frame = tbl.select(tbl.ts, tbl.prediction, tbl.confidence).collect().to_pandas()
    frame['bucket'] = (frame['ts'] - pd.Timestamp(0, tz='UTC')) // pd.Timedelta(hours=1)
    frame['prediction'] = frame['prediction'].astype(str)  # a category for Evidently
    path = workdir / 'evidently_input.parquet'
    frame[['bucket', 'prediction', 'confidence']].to_parquet(path)
    script = workdir / 'evidently_drift.py'
    script.write_text(EVIDENTLY_SCRIPT)
    result = subprocess.run(
        [str(python), str(script), str(path), str(REFERENCE_WINDOWS)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        print(f'Evidently failed:\n{result.stderr[-3000:]}')
        return None
    return json.loads(result.stdout.strip().splitlines()[-1])


# ---- the run -----------------------------------------------------------------------------------------------------


def measure(n: int) -> dict[str, Any]:
    from pxwidgets.demo.drifting_digits import drifting_batches, predictions_table
    from pxwidgets.panels.drift_dashboard import DriftDashboard
    from pxwidgets.patterns.incremental import IncrementalEvaluation

    path = f'bench_inc/p{n}'
    tbl = predictions_table(path)
    ev = IncrementalEvaluation(
        tbl,
        'prediction',
        'label',
        'ts',
        numeric=['confidence'],
        reference=(START, START + datetime.timedelta(hours=REFERENCE_WINDOWS)),
        thresholds={'min_accuracy': 0.85},
    )
    t0 = time.perf_counter()
    _fill(tbl, n)
    insert_s = time.perf_counter() - t0
    repeat = bench_repeat(3)
    key = tbl[ev.spec.key]
    needed = [key, tbl.prediction, tbl.label, tbl.confidence]  # what a full refresh reads of every row

    def collect_needed() -> None:
        tbl.select(*needed).collect()

    collect_needed()  # warm, like the refresh's own queries are after the inserts
    gc.collect()
    load0, rss0 = load_average(), _status_kb('VmRSS')
    reset = _reset_peak_rss()
    t0 = time.perf_counter()
    ev.refresh()
    full_s = time.perf_counter() - t0
    rss = max(0, _status_kb('VmHWM') - rss0) / 1024 if reset else float('nan')
    # its heap peak is the forced full refresh's (tracing would slow the timed first refresh down)
    first = Measure(full_s * 1000, max(load0, load_average()), rss, float('nan'), [full_s * 1000])
    full = interleaved({'forced': lambda: ev.refresh(force=True), 'collect': collect_needed}, repeat=repeat, warmup=0)
    full_peak = full['forced'].heap_mb * 1024
    first.heap_mb = full['forced'].heap_mb
    panel = DriftDashboard(ev)
    assert panel.handle_request('refresh')['ok']
    noop_panel = median_ms(lambda: panel.handle_request('refresh'), repeat=5)
    noop_lib = median_ms(ev.refresh, repeat=5)

    counter = {'hour': WINDOWS, 'id': n}

    def insert_1k() -> None:
        (batch,) = drifting_batches(
            n_batches=1,
            batch_size=1000,
            drift_from=0,
            start=START + datetime.timedelta(hours=counter['hour']),
            first_id=counter['id'],
            seed=counter['hour'],
        )
        tbl.insert(batch.rows)
        counter['hour'] += 1
        counter['id'] += 1000

    insert_1k()
    ev.refresh()  # warm

    def collect_window() -> None:
        lo = (counter['hour'] - 1) * 3600 + int(START.timestamp())
        tbl.where((key >= lo) & (key < lo + 3600)).select(*needed).collect()

    incr_pair = _after_insert(insert_1k, ev.refresh, collect_window, repeat=max(repeat, 3))
    incr = incr_pair[0].ms
    incr_peak = incr_pair[0].heap_mb * 1024
    pandas_ms = median_ms(lambda: pandas_full_recompute(tbl), repeat=3 if n <= 100_000 else 1, warmup=0)
    count_ms = median_ms(tbl.count, repeat=5)

    # the stored windows agree with the pandas recompute
    stored = {int(r['bucket']): r for r in ev.to_pandas().to_dict('records')}
    reference = pandas_full_recompute(tbl)
    worst = max(abs((stored[b]['accuracy'] or 0) - (r['accuracy'] or 0)) for b, r in reference.items())
    assert worst < 1e-9, worst
    return {
        'n': n,
        'tbl': tbl,
        'ev': ev,
        'insert_s': insert_s,
        'full_s': full_s,
        'full_peak_kib': full_peak,
        'noop_panel_ms': noop_panel,
        'noop_lib_ms': noop_lib,
        'incr_ms': incr,
        'incr_peak_kib': incr_peak,
        'first': first,
        'full_pair': (full['forced'], full['collect']),
        'incr_pair': incr_pair,
        'repeat': repeat,
        'pandas_ms': pandas_ms,
        'count_ms': count_ms,
        'windows': len(stored),
    }


def main() -> None:
    home = temporary_home()
    import pixeltable as pxt

    pxt.init()
    pxt.create_dir('bench_inc')
    results = []
    for n in _sizes():
        print(f'incremental evaluation: {n:,} rows ...', flush=True)
        results.append(measure(n))
        r = results[-1]
        print({k: v for k, v in r.items() if isinstance(v, (int, float))}, flush=True)

    lines = [
        'Drifting digits predictions in 100 hourly windows (reference: the first 4; 30 % of labels late), '
        f'one Pixeltable home, {os.cpu_count()} cores (load average {os.getloadavg()[0]:.1f} at the end). '
        'Times are medians.',
        '',
        '| rows | dashboard refresh, nothing changed | `refresh()` alone | refresh after +1k rows '
        '| full recompute in pandas | ratio (target ≤ 10 %) | first full refresh | heap peak, +1k refresh '
        '| heap peak, full refresh | `count()` of the table (machine speed) |',
        '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ]
    for r in results:
        lines.append(
            f'| {r["n"]:,} | {r["noop_panel_ms"]:.0f} ms | {r["noop_lib_ms"]:.0f} ms | {r["incr_ms"]:.0f} ms '
            f'| {r["pandas_ms"]:.0f} ms | {100 * r["incr_ms"] / r["pandas_ms"]:.1f} % | {r["full_s"]:.1f} s '
            f'| {r["incr_peak_kib"] / 1024:.1f} MiB | {r["full_peak_kib"] / 1024:.1f} MiB | {r["count_ms"]:.0f} ms |'
        )
    repeat = results[0]['repeat']
    lines += [
        '',
        'Against their floors, in the standard scale format: the first full refresh (measured once) and a forced full '
        'refresh against one collect of the columns a full refresh reads (window key, prediction, label, '
        'confidence; target for the first full refresh ≤ 3×), and the refresh after +1k rows (a new hour; the '
        "insert untimed) against one collect of the new window's rows. " + how_measured(repeat),
        '',
        f'| rows | interaction {COMPARED_HEADER}',
        '|---:|---|---:|---:|---:|---:|---:|',
    ]
    for r in results:
        forced, collect = r['full_pair']
        incr_m, window_m = r['incr_pair']
        lines += [
            f'| {r["n"]:,} | first full refresh ÷ one collect of its columns {compared(r["first"], collect)}',
            f'| {r["n"]:,} | forced full refresh ÷ one collect of its columns {compared(forced, collect)}',
            f'| {r["n"]:,} | refresh after +1k rows ÷ one collect of the new window {compared(incr_m, window_m)}',
        ]
    verdicts = []
    for r in results:
        collect = r['full_pair'][1]
        ratio = r['first'].ratio(collect)
        incr_m = r['incr_pair'][0]
        loaded = ' (loaded)' if is_loaded(incr_m.load) or is_loaded(r['first'].load) else ''
        verdicts.append(
            f'{r["n"]:,} rows{loaded}: first full refresh {ratio:.1f}× one collect (target ≤ 3: '
            f'{"met" if ratio <= 3 else "missed"}), refresh after +1k rows {incr_m.ms:.0f} ms (target ≤ 500 ms at '
            f'1M: {"met" if incr_m.ms <= 500 else "missed"} at this size)'
        )
    lines += ['', '; '.join(verdicts) + '.']
    mid = next((r for r in results if r['n'] == 100_000), results[-1])
    evidently = run_evidently(mid['tbl'], home)
    lines.append('')
    if evidently is None:
        lines.append('Evidently: could not be installed or run in its own environment (see the bench output).')
    else:
        ours = {int(r['bucket']): r['drift'] for r in mid['ev'].to_pandas().to_dict('records')}
        diffs = []
        for bucket, (psi, js, ks_p, wd) in evidently['values'].items():
            mine = ours[int(bucket)]
            pairs = [
                (psi, mine['prediction']['psi']),
                (js, mine['prediction']['js']),
                (ks_p, mine['confidence']['ks_pvalue']),
                (wd, mine['confidence']['wasserstein']),
            ]
            diffs.append(max(abs(a - b) for a, b in pairs if a is not None and b is not None))
        ratio = evidently['seconds'] * 1000 / (mid['full_s'] * 1000)
        lines.append(
            f'Evidently 0.7.23 (own virtual environment), the same drift report on the {mid["n"]:,} rows — PSI and '
            f'Jensen-Shannon of the predictions, KS and Wasserstein of the confidence, {mid["windows"]} windows '
            f'against the reference: {evidently["seconds"]:.1f} s, against {mid["full_s"]:.1f} s for our first full '
            f'refresh (which also computes every metric): ×{ratio:.1f}. After a 1k-row insert we recompute one '
            f'window ({mid["incr_ms"]:.0f} ms); Evidently has no incremental mode and recomputes its report. '
            f'Largest difference between its values and ours over all windows and statistics: {max(diffs):.2e}.'
        )
    body = '\n'.join(lines)
    print(body)
    write_section('IncrementalEvaluation / DriftDashboard', body)


def estimate_main(n_batches: int = 12, drift_from: int = 6) -> None:
    """The accuracy estimated from confidences (before labels) against the realized accuracy (after), per window of
    the drifting digits demo; written as its own section of RESULTS.md."""
    temporary_home()
    import pixeltable as pxt

    from pxwidgets.demo.drifting_digits import drifting_batches
    from pxwidgets.patterns.incremental import IncrementalEvaluation
    from tests.support.incremental import predictions_table

    pxt.init()
    batches = drifting_batches(n_batches=n_batches, batch_size=300, drift_from=drift_from, seed=3)
    tbl = predictions_table('bench_estimate', batches)
    ev = IncrementalEvaluation(tbl, 'prediction', 'label', 'ts', window='1h', confidence='confidence')
    ev.refresh()
    ev.add_labels({k: v for b in batches for k, v in b.late_labels.items()})
    ev.refresh()
    errors = ev.estimation_error()
    before, after = errors.iloc[: drift_from - 1], errors.iloc[drift_from - 1 :]
    lines = [
        f'Drifting digits demo: {n_batches} hourly windows of 300 predictions, drift from window {drift_from} '
        '(reference: the first window; its labelled rows calibrate the confidences by isotonic regression). '
        'Estimated accuracy (from confidences only) against the realized accuracy once every label arrived. '
        f'Mean absolute error: **{before["error"].abs().mean():.3f}** before the drift, '
        f'**{after["error"].abs().mean():.3f}** after it (load average {os.getloadavg()[0]:.1f}).',
        '',
        '| window | estimated | realized | error |',
        '|---|---:|---:|---:|',
        *(
            f'| {r.label} | {r.estimated:.3f} | {r.realized:.3f} | {r.error:+.3f} |'
            for r in errors.itertuples(index=False)
        ),
    ]
    body = '\n'.join(lines)
    print(body)
    write_section('Accuracy before labels: confidence-based estimate', body)


if __name__ == '__main__':
    if '--estimate' in sys.argv:
        estimate_main()
    else:
        main()
