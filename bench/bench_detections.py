"""IncrementalEvaluation on detections: window metrics after inserting 1k frames, against pycocotools recomputing
every window.

A table of ``N`` frames (hourly windows of 1,000 frames; seeded random boxes of three classes: found, jittered,
sometimes misclassified, plus false positives) evaluated with ``IncrementalEvaluation(..., image_size=...)``. Each
round inserts 1,000 frames of a new hour (untimed: the rows' IoU matches are a computed column, made on insert), then
times, interleaved:

- ours: ``refresh()``: the aggregate fingerprints every window in one query, and only the new window's rows are
  read and summed (precision, recall, F1, mAP@0.5, mAP@0.5:0.95, drift of box counts, scores and classes);
- reference: pycocotools recomputing every window: every frame's detections and truth read from Pixeltable, then
  one ``COCOeval`` per window (mAP@0.5:0.95 and mAP@0.5 only).

Target (issue 14): ours ≤ 10 % of the reference. The new window's mAP is checked against pycocotools' to 1e-12.

Run: ``python -m bench bench_detections`` (``PXW_BENCH_ROWS=20000`` sets N; ``PXW_BENCH_REPEAT=5`` the rounds).
"""

from __future__ import annotations

import datetime
import statistics
import time
from typing import Any

from bench.common import bench_repeat, bench_sizes, is_loaded, load_average, temporary_home, write_section

PER_WINDOW = 1_000
"""Frames per hourly window; an insert of 1k frames is one new window."""
SIZE = 200
START = datetime.datetime(2026, 1, 5, tzinfo=datetime.UTC)


def _frames(first_window: int, windows: int) -> list[dict[str, Any]]:
    from tests.support.boxes import random_images

    rows = []
    for w in range(first_window, first_window + windows):
        for i, (det, gt) in enumerate(random_images(w, PER_WINDOW, size=SIZE)):
            ts = START + datetime.timedelta(hours=w, seconds=i * 3)
            rows.append({'id': w * PER_WINDOW + i, 'ts': ts, 'dets': det, 'truth': gt, 'w': SIZE, 'h': SIZE})
    return rows


def _pycocotools_all(tbl: Any) -> dict[int, dict[str, Any]]:
    """Every window recomputed by pycocotools from the table's rows."""
    from tests.support.boxes import coco

    result = tbl.select(tbl.ts, tbl.dets, tbl.truth).collect()
    windows: dict[int, list[tuple[dict, dict]]] = {}
    for ts, det, gt in zip(result['ts'], result['dets'], result['truth'], strict=True):
        windows.setdefault(int(ts.timestamp()) // 3600, []).append((det, gt))
    return {bucket: coco(images) for bucket, images in windows.items()}


def measure(n: int, repeat: int) -> str:
    import pixeltable as pxt

    from pxwidgets.patterns.incremental import IncrementalEvaluation

    pxt.create_dir('bd', if_exists='ignore')
    tbl = pxt.create_table(
        f'bd/frames_{n}',
        {'id': pxt.Int, 'ts': pxt.Timestamp, 'dets': pxt.Json, 'truth': pxt.Json, 'w': pxt.Int, 'h': pxt.Int},
        primary_key='id',
    )
    windows = n // PER_WINDOW
    start = time.perf_counter()
    for w in range(0, windows, 5):
        tbl.insert(_frames(w, min(5, windows - w)))
    ev = IncrementalEvaluation(tbl, 'dets', 'truth', 'ts', window='1h', image_size=('w', 'h'), name='det')
    ev.refresh()
    built = time.perf_counter() - start

    ours: list[float] = []
    reference: list[float] = []
    loads: list[float] = []
    recomputed: list[int] = []
    worst = 0.0
    for r in range(repeat + 1):  # the first round warms both up
        tbl.insert(_frames(windows + r, 1))
        t0 = time.perf_counter()
        result = ev.refresh()
        t1 = time.perf_counter()
        coco = _pycocotools_all(tbl)
        t2 = time.perf_counter()
        bucket = int((START + datetime.timedelta(hours=windows + r)).timestamp()) // 3600
        assert result.changed == [bucket], result.changed  # only the new window
        row = ev.to_pandas().set_index('bucket').loc[bucket]
        worst = max(worst, abs(row['map'] - coco[bucket]['map']), abs(row['map50'] - coco[bucket]['map50']))
        assert worst < 1e-12, worst
        if r:
            ours.append((t1 - t0) * 1000)
            reference.append((t2 - t1) * 1000)
            recomputed.append(len(result.changed))
            loads.append(load_average())
    a, b, load = statistics.median(ours), statistics.median(reference), statistics.median(loads)
    ratio = a / b
    met = 'met' if ratio <= 0.10 else 'missed'
    mark = ', loaded' if is_loaded(load) else ''
    rows = n + PER_WINDOW * (repeat + 1)
    return f"""\
{n:,} frames ({windows} hourly windows of {PER_WINDOW:,}; up to {rows:,} after the rounds), seeded random boxes
(`tests/support/boxes.py`), built with the evaluation's first refresh in {built:.0f} s. Each of {repeat} rounds
inserts 1,000 frames of a new hour (untimed), then times, interleaved, `IncrementalEvaluation.refresh()` and
pycocotools recomputing every window (read every frame's boxes from Pixeltable, one `COCOeval` per window). Medians,
with the 1-minute load average (2 cores; "loaded" above 2).

| what | ms | load |
|---|---:|---:|
| `refresh()` after +1k frames (windows recomputed: {statistics.median(recomputed):.0f}) | {a:,.0f} | {load:.1f}{mark} |
| pycocotools, every window | {b:,.0f} | {load:.1f}{mark} |

Ratio **{ratio:.1%}** (target ≤ 10 %: {met}). The new window's mAP@0.5:0.95 and mAP@0.5 equal pycocotools' (largest
difference {worst:.1e}).
"""


def main() -> None:
    temporary_home()
    import pixeltable as pxt

    pxt.init()
    repeat = bench_repeat(5)
    for n in bench_sizes('20000'):
        body = measure(n, repeat)
        write_section(f'IncrementalEvaluation on detections: {n:,} frames', body)
        print(body)


if __name__ == '__main__':
    main()
