"""Versioned experiments at 10k, 100k and 1M rows: the row diff between two table versions against pulling both into
pandas, the diff summary, and the timeline of 1,000 runs.

- A table of N rows (an image column holding file references, a string, a float, JSON), then an update of 1 % of
  its rows (version b). The reference pulls both versions with Pixeltable time travel (``pxt.get_table('t:N')``,
  media as file URLs, nothing decoded) into pandas, merges them on ``id`` and finds the changed rows and columns.
  ``row_diff`` gives the counts, the changed columns and a first window of 25 rows, in the database (no key column
  needed); ``diff_stat`` adds the row counts of both versions (``dolt diff --stat``).
- Each figure is measured interleaved with its reference (A, B, A, B, …) and reported as the median, with the
  kernel's peak memory and the machine's 1-minute load average (``bench.common.interleaved``); a figure taken while
  the load average exceeded the core count is marked loaded.
- The panel's 'timeline' command over a registry of 1,000 runs (registry read, metric chart, parallel coordinates).
  The 1,000 registry rows are inserted in one batch (as ``adopt`` records runs), not built by 1,000 setup calls: the
  timeline reads only the registry.

Run: ``python -m bench.bench_versioned`` (10k and 100k), ``python -m bench.bench_versioned --rows 1000000`` (1M).
"""

from __future__ import annotations

import argparse
import datetime
import time
from pathlib import Path
from typing import Any

from bench.common import (
    compared,
    how_measured,
    interleaved,
    temporary_home,
    write_section,
)

CHANGED_EVERY = 100  # 1 %
N_RUNS = 1_000
TARGET_RATIO = 0.3


def _tiny_photos(directory: Path, n: int) -> list[str]:
    """``n`` distinct 32×32 JPEGs: the diff compares file references, and Pixeltable decodes every image it inserts
    (a 512×512 photo costs ~7 ms, which made a 1M-row build take hours)."""
    import PIL.Image

    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = directory / f'photo_{i:03d}.jpg'
        PIL.Image.new('RGB', (32, 32), (30 * i % 256, 90, 160)).save(path)
        paths.append(str(path))
    return paths


def _build_table(pxt: Any, path: str, n_rows: int, photos: list[str]) -> tuple[int, int]:
    t = pxt.create_table(
        path, {'id': pxt.Int, 'img': pxt.Image, 'label': pxt.String, 'score': pxt.Float, 'meta': pxt.Json}
    )
    batch = 50_000
    for start in range(0, n_rows, batch):
        t.insert(
            [
                {
                    'id': i,
                    'img': photos[i % len(photos)],
                    'label': f'l{i % 7}',
                    'score': i / n_rows,
                    'meta': {'k': i % 5},
                }
                for i in range(start, min(start + batch, n_rows))
            ]
        )
    a = int(t.get_metadata()['version'])
    t.update({'label': 'relabelled'}, where=t.id % CHANGED_EVERY == 0)
    return a, int(t.get_metadata()['version'])


def _pandas_diff(pxt: Any, path: str, a: int, b: int) -> tuple[int, dict[str, int]]:
    frames = []
    for v in (a, b):
        old = pxt.get_table(f'{path}:{v}')
        frames.append(old.select(old.id, old.label, old.score, old.meta, img=old.img.fileurl).collect().to_pandas())
    left, right = frames
    left['meta'] = left['meta'].map(repr)
    right['meta'] = right['meta'].map(repr)
    merged = left.merge(right, on='id', how='outer', suffixes=('_a', '_b'), indicator=True)
    both = merged[merged['_merge'] == 'both']
    by_col = {c: int((both[f'{c}_a'] != both[f'{c}_b']).sum()) for c in ('img', 'label', 'score', 'meta')}
    differs = [both[f'{c}_a'] != both[f'{c}_b'] for c in ('img', 'label', 'score', 'meta')]
    changed = int((differs[0] | differs[1] | differs[2] | differs[3]).sum())
    return changed, by_col


def _size(pxt: Any, n_rows: int, photos: list[str], repeat: int) -> str:
    from pxwidgets.patterns.versioned import diff_stat, row_diff

    path = f'bv/items_{n_rows}'
    start = time.perf_counter()
    a, b = _build_table(pxt, path, n_rows, photos)
    build_s = time.perf_counter() - start
    expected = n_rows // CHANGED_EVERY
    d = row_diff(path, a, b, limit=25)
    assert (d.added, d.removed, d.changed) == (0, 0, expected), d
    assert d.changed_by_column == {'id': 0, 'img': 0, 'label': expected, 'score': 0, 'meta': 0}, d
    changed, by_col = _pandas_diff(pxt, path, a, b)
    assert changed == expected and by_col['label'] == expected, (changed, by_col)
    figs = interleaved(
        {
            'row_diff': lambda: row_diff(path, a, b, limit=25),
            'pandas': lambda: _pandas_diff(pxt, path, a, b),
            'diff_stat': lambda: diff_stat(path, a, b),
        },
        repeat=repeat,
    )
    ref = figs['pandas']
    ratio = figs['row_diff'].ratio(ref)
    verdict = 'met' if ratio <= TARGET_RATIO else 'missed'
    return f"""\
**{n_rows:,} rows** (built in {build_s:.0f} s; version b updates {expected:,} rows, 1 %). The reference: both versions
via time travel → pandas, merged on `id` ({ref.cell()}, memory {ref.memory()} MB).

| rows | interaction | pxwidgets | pandas reference | ÷ reference | pxwidgets memory MB | reference memory MB |
|---|---|---|---|---|---|---|
| {n_rows:,} | `row_diff(t, a, b)`: counts, changed columns, first 25 rows (SQL) {compared(figs['row_diff'], ref)}
| {n_rows:,} | `diff_stat(t, a, b)`: the same counts + both versions' row counts {compared(figs['diff_stat'], ref)}

`row_diff` ÷ the pandas reference: {ratio:.3f} (target ≤ {TARGET_RATIO}: {verdict}).
"""


def _timeline(pxt: Any, repeat: int) -> str:
    from pxwidgets.panels.experiment_timeline import ExperimentTimeline
    from pxwidgets.patterns.versioned import VersionedExperiment

    exp = VersionedExperiment('bv/many')
    now = datetime.datetime.now(datetime.UTC)
    exp._registry.adopt(
        [
            {
                'version': i,
                'params': {'alpha': i / N_RUNS, 'model': ('small', 'large')[i % 2]},
                'metrics': {'loss': round(1 - i / N_RUNS, 4), 'accuracy': round(0.5 + i / N_RUNS / 2, 4)},
                'started_at': now,
                'result': None,
                'tables': [],
            }
            for i in range(1, N_RUNS + 1)
        ]
    )
    panel = ExperimentTimeline(exp)

    def timeline() -> None:
        reply = panel.handle_request('timeline', {'metric': 'loss'})
        assert reply['ok'] and len(reply['payload']['runs']) == N_RUNS, reply

    fig = interleaved({'timeline': timeline}, repeat=repeat)['timeline']
    met = 'met' if fig.ms <= 1000 else 'missed'
    return f"""\
Timeline of an experiment with {N_RUNS:,} runs (the panel's 'timeline' command: registry read, runs as JSON, the
metric chart and the parallel-coordinates chart): **{fig.cell()}** (target ≤ 1 s: {met}); memory (RSS rise / heap)
{fig.memory()} MB.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rows', type=int, nargs='*', default=[10_000, 100_000], help='sizes (none: timeline only)')
    parser.add_argument('--repeat', type=int, default=5)
    args = parser.parse_args()
    home = temporary_home()
    import pixeltable as pxt

    pxt.init()
    pxt.create_dir('bv')
    photos = _tiny_photos(home / 'photos', 8)
    conditions = (
        f'Each interaction {how_measured(args.repeat).replace("its floor", "the pandas reference")} '
        'The reference pulls both versions into pandas (time travel, '
        'media as file URLs). Target (issue 16): `row_diff` of 1M rows with 1 % changed ≤ 0.3× the pandas reference; '
        'the timeline of 1,000 runs ≤ 1 s.\n\n'
    )
    # one section per size: a run at one size leaves the figures of the others as they were measured
    for n in args.rows:
        body = conditions + _size(pxt, n, photos, args.repeat)
        write_section(f'Versioned experiments: row diff of {n:,} rows', body)
        print(body)
    body = conditions + _timeline(pxt, args.repeat)
    write_section('Versioned experiments: timeline of 1,000 runs', body)
    print(body)


if __name__ == '__main__':
    main()
