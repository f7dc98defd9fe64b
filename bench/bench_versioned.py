"""Versioned experiments: the row diff between two table versions against pulling both into pandas; the timeline.

- A 100k-row table (an image column holding file references, a string, a float, JSON), then an update of 1 % of
  its rows (version b). The reference pulls both versions with Pixeltable time travel (``pxt.get_table('t:N')``,
  media as file URLs, nothing decoded) into pandas, merges them on the ``id`` column and finds the changed rows and
  columns. ``row_diff`` gives the counts, the changed columns and a first window of rows, in the database (and needs
  no key column). Also measured: ``row_diff`` reading every changed row (pages of 500), and the panel's 'diff'
  command (with thumbnails of the window's image cells, before and after).
- The 'timeline' command of an experiment with 100 runs (registry read + metric chart), which the panel draws first.
"""

from __future__ import annotations

import os
import time
from typing import Any

from bench.common import median_ms, temporary_home, write_section

N_ROWS = 100_000
CHANGED_EVERY = 100  # 1 %
N_RUNS = 100


def _build_table(pxt: Any, photos: list[str]) -> tuple[Any, int, int]:
    t = pxt.create_table(
        'bv/items',
        {'id': pxt.Int, 'img': pxt.Image, 'label': pxt.String, 'score': pxt.Float, 'meta': pxt.Json},
    )
    batch = 20_000
    for start in range(0, N_ROWS, batch):
        t.insert(
            [
                {
                    'id': i,
                    'img': photos[i % len(photos)],
                    'label': f'l{i % 7}',
                    'score': i / N_ROWS,
                    'meta': {'k': i % 5},
                }
                for i in range(start, min(start + batch, N_ROWS))
            ]
        )
    a = int(t.get_metadata()['version'])
    t.update({'label': 'relabelled'}, where=t.id % CHANGED_EVERY == 0)
    b = int(t.get_metadata()['version'])
    return t, a, b


def _pandas_diff(pxt: Any, a: int, b: int) -> tuple[int, dict[str, int]]:
    frames = []
    for v in (a, b):
        old = pxt.get_table(f'bv/items:{v}')
        frames.append(old.select(old.id, old.label, old.score, old.meta, img=old.img.fileurl).collect().to_pandas())
    left, right = frames
    left['meta'] = left['meta'].map(repr)
    right['meta'] = right['meta'].map(repr)
    merged = left.merge(right, on='id', how='outer', suffixes=('_a', '_b'), indicator=True)
    both = merged[merged['_merge'] == 'both']
    by_col = {c: int((both[f'{c}_a'] != both[f'{c}_b']).sum()) for c in ('img', 'label', 'score', 'meta')}
    changed = int(
        (
            (both['img_a'] != both['img_b'])
            | (both['label_a'] != both['label_b'])
            | (both['score_a'] != both['score_b'])
            | (both['meta_a'] != both['meta_b'])
        ).sum()
    )
    return changed, by_col


def _timeline_bench(pxt: Any) -> tuple[float, float]:
    from pxwidgets.panels.experiment_timeline import ExperimentTimeline
    from pxwidgets.patterns.versioned import VersionedExperiment
    from pxwidgets.patterns.versioned.experiment import Run

    exp = VersionedExperiment('bv/many', _tiny_setup)
    start = time.perf_counter()
    for i in range(N_RUNS):
        exp.run(alpha=i / N_RUNS)
    per_run = (time.perf_counter() - start) / N_RUNS * 1000
    panel = ExperimentTimeline(exp)

    def timeline() -> None:
        reply = panel.handle_request('timeline', {'metric': 'loss'})
        assert reply['ok'] and len(reply['payload']['runs']) == N_RUNS, reply

    assert isinstance(exp.get(1), Run)
    return median_ms(timeline, repeat=5), per_run


def _tiny_setup(path: str, *, alpha: float) -> tuple[Any, dict[str, float]]:
    import pixeltable as pxt

    t = pxt.create_table(f'{path}/t', {'x': pxt.Int})
    return t, {'loss': round(1 - alpha, 4), 'accuracy': round(0.5 + alpha / 2, 4)}


def main() -> None:
    home = temporary_home()
    import pixeltable as pxt

    from pxwidgets.panels.experiment_timeline import ExperimentTimeline
    from pxwidgets.patterns.versioned import row_diff
    from tests.support.tables import write_photos

    pxt.init()
    pxt.create_dir('bv')
    photos = write_photos(home / 'photos', 8)
    start = time.perf_counter()
    t, a, b = _build_table(pxt, photos)
    build_s = time.perf_counter() - start

    expected = N_ROWS // CHANGED_EVERY
    d = row_diff('bv/items', a, b, limit=25)
    assert (d.added, d.removed, d.changed) == (0, 0, expected), d
    assert d.changed_by_column == {'id': 0, 'img': 0, 'label': expected, 'score': 0, 'meta': 0}, d
    changed, by_col = _pandas_diff(pxt, a, b)
    assert changed == expected and by_col['label'] == expected, (changed, by_col)

    ours = median_ms(lambda: row_diff('bv/items', a, b, limit=25), repeat=5)

    def every_row() -> None:
        offset, seen = 0, 0
        while True:
            page = row_diff('bv/items', a, b, offset=offset, limit=500)
            seen += len(page.rows)
            if len(page.rows) < 500:
                break
            offset += 500
        assert seen == expected

    ours_all = median_ms(every_row, repeat=3)
    reference = median_ms(lambda: _pandas_diff(pxt, a, b), repeat=3)
    panel = ExperimentTimeline(t)

    def panel_diff() -> None:
        reply = panel.handle_request('diff', {'a': a, 'b': b, 'limit': 25})
        assert reply['ok'] and len(reply['payload']['rows']) == 25, reply

    ours_panel = median_ms(panel_diff, repeat=5)
    timeline_ms, per_run_ms = _timeline_bench(pxt)

    body = f"""\
Machine: {os.cpu_count()} cores. Table: {N_ROWS:,} rows (image file references, string, float, JSON), built in
{build_s:.1f} s; version b updates {expected:,} rows (1 %). Medians.

| what | ms | ratio to the pandas reference |
|---|---:|---:|
| pandas reference: both versions via time travel → pandas, merged on `id` | {reference:.0f} | 1.00 |
| `row_diff(t, a, b)`: counts, changed columns, first 25 rows (SQL) | {ours:.0f} | **{ours / reference:.3f}** |
| `row_diff` reading all {expected:,} changed rows (pages of 500) | {ours_all:.0f} | {ours_all / reference:.3f} |
| panel 'diff' (same + 25 rows' image thumbnails, before/after) | {ours_panel:.0f} | {ours_panel / reference:.3f} |

Timeline of an experiment with {N_RUNS} runs: the panel's 'timeline' command (registry read, 100 runs, metric chart)
takes **{timeline_ms:.0f} ms** (target < 1 s; the JS draws the table and chart after it). A trivial run
(claim, setup, record) costs {per_run_ms:.0f} ms of bookkeeping.
"""
    write_section('Versioned experiments (row diff, timeline)', body)
    print(body)


if __name__ == '__main__':
    main()
