"""Detection evaluation on real Pixeltable: per-row matches and window mAP against pycocotools, late ground-truth
boxes re-scoring exactly their rows, bad rows counted as errors, drift of box counts, scores and classes."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pixeltable as pxt
import pytest

from pxwidgets.functions.boxes import match_row
from pxwidgets.patterns.incremental import IncrementalEvaluation, InvalidColumnError
from tests.support.boxes import coco, random_images

HOUR = 3600
START = datetime.datetime(2024, 3, 1, tzinfo=datetime.UTC)
PER_HOUR = 30
SIZE = 200


def _rows(hours: int, seed: int, first_id: int = 0, shift_from: int | None = None) -> list[dict[str, Any]]:
    """``PER_HOUR`` images an hour; from hour ``shift_from`` on, the detector loses confidence (scores halved)."""
    rows = []
    images = random_images(seed, hours * PER_HOUR, size=SIZE)
    for i, (det, gt) in enumerate(images):
        hour = i // PER_HOUR
        if shift_from is not None and hour >= shift_from:
            det = {**det, 'scores': [s * 0.5 for s in det['scores']]}
        ts = START + datetime.timedelta(seconds=hour * HOUR + (i % PER_HOUR) * 60)
        rows.append({'id': first_id + i, 'ts': ts, 'dets': det, 'truth': gt, 'w': SIZE, 'h': SIZE})
    return rows


@pytest.fixture(scope='module')
def home_dir(pxt_home: Path) -> Iterator[str]:
    name = f't_{uuid.uuid4().hex[:10]}'
    pxt.create_dir(name)
    yield name
    pxt.drop_dir(name, force=True, if_not_exists='ignore')


@pytest.fixture(scope='module')
def frames(home_dir: str) -> tuple[pxt.Table, list[dict[str, Any]]]:
    tbl = pxt.create_table(
        f'{home_dir}/frames',
        {'id': pxt.Int, 'ts': pxt.Timestamp, 'dets': pxt.Json | None, 'truth': pxt.Json | None, 'w': pxt.Int,
         'h': pxt.Int},
        primary_key='id',
    )  # fmt: skip
    rows = _rows(4, seed=5, shift_from=3)
    for r in rows[PER_HOUR + 5 : PER_HOUR + 12]:  # hour 1: seven rows wait for their boxes
        r['truth'] = None
    tbl.insert(rows)
    return tbl, rows


@pytest.fixture(scope='module')
def evaluation(frames: tuple[pxt.Table, list[dict[str, Any]]]) -> IncrementalEvaluation:
    tbl, _ = frames
    ev = IncrementalEvaluation(tbl, 'dets', 'truth', 'ts', window='1h', image_size=('w', 'h'), name='det')
    ev.refresh()
    return ev


def _windows(ev: IncrementalEvaluation) -> dict[int, dict[str, Any]]:
    return {int(r['bucket']) - int(START.timestamp()) // HOUR: r for r in ev.to_pandas().to_dict('records')}


def _expected(rows: list[dict[str, Any]], hour: int) -> dict[str, Any]:
    images = [(r['dets'], r['truth']) for r in rows[hour * PER_HOUR : (hour + 1) * PER_HOUR] if r['truth']]
    return coco(images)


def test_windows_equal_pycocotools(evaluation: IncrementalEvaluation, frames: Any) -> None:
    _, rows = frames
    windows = _windows(evaluation)
    assert sorted(windows) == [0, 1, 2, 3]
    for hour, w in windows.items():
        want = _expected(rows, hour)
        assert w['map'] == pytest.approx(want['map'], abs=1e-12), hour
        assert w['map50'] == pytest.approx(want['map50'], abs=1e-12), hour
        assert w['precision'] == pytest.approx(want['tp'] / (want['tp'] + want['fp']))
        assert w['recall'] == pytest.approx(want['tp'] / want['truth'])
        assert w['correct'] == want['tp']
        assert w['accuracy'] is None or pd_isnan(w['accuracy'])
        assert w['errors'] == 0
    assert windows[1]['pending'] == 7 and windows[1]['labeled'] == PER_HOUR - 7


def pd_isnan(value: Any) -> bool:
    return isinstance(value, float) and value != value


def test_per_row_matches_are_a_computed_column(evaluation: IncrementalEvaluation, frames: Any) -> None:
    tbl, rows = frames
    got = {r['id']: r['m'] for r in tbl.select(tbl.id, m=tbl.det_correct).collect()}
    for r in rows[:60]:
        m = got[r['id']]
        if r['truth'] is None:
            assert m['tp'] is None and m['boxes'] == len(r['dets']['bboxes'])
        else:
            want = coco([(r['dets'], r['truth'])])
            assert (m['tp'], m['fp'], m['tp'] + m['fn']) == (want['tp'], want['fp'], want['truth'])


def test_box_drift_per_window(evaluation: IncrementalEvaluation) -> None:
    windows = _windows(evaluation)
    for hour in (1, 2, 3):
        assert {'prediction', 'label', 'boxes', 'scores'} <= set(windows[hour]['drift'])
    assert windows[3]['drift']['scores']['ks_pvalue'] < 1e-6  # scores halved from hour 3
    assert windows[2]['drift']['scores']['ks_pvalue'] > 1e-3
    assert windows[3]['drift']['boxes']['ks_pvalue'] > 1e-3  # as many boxes as before


def test_late_boxes_rescore_exactly_their_rows(evaluation: IncrementalEvaluation, frames: Any) -> None:
    tbl, rows = frames
    before = {r['id']: r['m'] for r in tbl.select(tbl.id, m=tbl.det_correct).collect()}
    late = rows[PER_HOUR + 5 : PER_HOUR + 12]
    truth = random_images(99, len(late), size=SIZE)
    labels = {r['id']: gt for r, (_, gt) in zip(late, truth, strict=True)}
    assert evaluation.add_labels(labels) == len(late)
    for r in late:
        r['truth'] = labels[r['id']]
    after = {r['id']: r['m'] for r in tbl.select(tbl.id, m=tbl.det_correct).collect()}
    assert {k for k in after if after[k] != before[k]} == set(labels)
    assert all(after[k] == match_row(rows[k]['dets'], labels[k], width=SIZE, height=SIZE) for k in labels)
    result = evaluation.refresh()
    assert result.changed == [int(START.timestamp()) // HOUR + 1]
    w = _windows(evaluation)[1]
    assert w['pending'] == 0 and w['map'] == pytest.approx(_expected(rows, 1)['map'], abs=1e-12)


def test_bad_rows_are_counted_as_errors(home_dir: str) -> None:
    tbl = pxt.create_table(
        f'{home_dir}/bad', {'ts': pxt.Timestamp, 'dets': pxt.Json | None, 'truth': pxt.Json | None, 'w': pxt.Int,
                            'h': pxt.Int}
    )  # fmt: skip
    rows = _rows(1, seed=8)
    for r in rows:
        del r['id']
    rows[3]['dets'] = {'bboxes': 'garbage', 'labels': [], 'scores': []}
    rows[4]['dets'] = {**rows[4]['dets'], 'bboxes': [[0, 0, SIZE + 50, 10]], 'labels': [1], 'scores': [0.5]}
    rows[5]['truth'] = {'bboxes': [[-5, 0, 10, 10]], 'labels': [0]}
    tbl.insert(rows)
    ev = IncrementalEvaluation(tbl, 'dets', 'truth', 'ts', window='1h', image_size=('w', 'h'))
    ev.refresh()
    (w,) = ev.to_pandas().to_dict('records')
    good = [(r['dets'], r['truth']) for i, r in enumerate(rows) if i not in (3, 4, 5)]
    assert w['errors'] == 3 and w['labeled'] == PER_HOUR - 3
    assert w['map'] == pytest.approx(coco(good)['map'], abs=1e-12)
    errors = [r['m']['error'] for r in tbl.select(m=tbl.eval_correct).collect() if r['m']['error']]
    assert any('not a list' in e or 'needs lists' in e for e in errors)
    assert sum('outside the 200x200 image' in e for e in errors) == 2


def test_detections_need_json_on_both_sides(frames: Any) -> None:
    tbl, _ = frames
    version = tbl.get_metadata()['version']
    with pytest.raises(InvalidColumnError, match="'dets' is json but the ground truth 'w' is int"):
        IncrementalEvaluation(tbl, 'dets', 'w', 'ts', window='1h', name='bad')
    with pytest.raises(InvalidColumnError, match='image size column'):
        IncrementalEvaluation(tbl, 'dets', 'truth', 'ts', window='1h', image_size=('w', 'ts'), name='bad')
    assert tbl.get_metadata()['version'] == version
