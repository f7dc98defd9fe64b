"""DriftDashboard over a detection evaluation, without a browser: the windows carry precision, recall, F1 and mAP
(equal to pycocotools), errors are counted, one window shows its AP per class; a bad request is a structured error
that leaves the table's version unchanged."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pixeltable as pxt
import pytest

from pxwidgets import DriftDashboard
from pxwidgets.patterns.incremental import IncrementalEvaluation
from tests.support.boxes import coco, random_images

START = datetime.datetime(2024, 5, 1, tzinfo=datetime.UTC)
PER_HOUR = 25


@pytest.fixture(scope='module')
def setup(pxt_home: Path) -> Iterator[tuple[IncrementalEvaluation, list[dict[str, Any]]]]:
    root = f'ddd_{uuid.uuid4().hex[:8]}'
    pxt.create_dir(root)
    tbl = pxt.create_table(f'{root}/frames', {'ts': pxt.Timestamp, 'dets': pxt.Json, 'truth': pxt.Json | None})
    rows = [
        {'ts': START + datetime.timedelta(minutes=2 * i), 'dets': det, 'truth': gt}
        for i, (det, gt) in enumerate(random_images(21, 2 * PER_HOUR))
    ]
    rows[30]['dets'] = {'bboxes': [[1, 2]], 'labels': [0], 'scores': [0.4]}  # malformed: an error, not a crash
    tbl.insert(rows)
    yield IncrementalEvaluation(tbl, 'dets', 'truth', 'ts', window='1h', name='boxes'), rows
    pxt.drop_dir(root, force=True, if_not_exists='ignore')


def ok(reply: dict[str, Any]) -> Any:
    assert reply['ok'], reply.get('error')
    return reply['payload']


def test_detection_windows_in_the_panel(setup: tuple[IncrementalEvaluation, list[dict[str, Any]]]) -> None:
    ev, rows = setup
    panel = DriftDashboard(ev)
    s = ok(panel.handle_request('refresh'))
    assert s['kind'] == 'detections' and s['metrics'] == ['precision', 'recall', 'f1', 'map50', 'map']
    assert [t['name'] for t in s['metrics_figure']['data'][:5]] == s['metrics']
    first, second = s['windows']
    assert first['map'] == pytest.approx(coco([(r['dets'], r['truth']) for r in rows[:30]])['map'], abs=1e-12)
    good = [(r['dets'], r['truth']) for r in rows[31:]]  # rows 30.. are the second hour; row 30 is the bad one
    assert second['errors'] == 1 and second['map50'] == pytest.approx(coco(good)['map50'], abs=1e-12)
    assert first['accuracy'] is None and first['errors'] == 0
    w = ok(panel.handle_request('window', {'bucket': second['bucket']}))
    assert w['errors'] == 1 and w['classes'] and all(c['ap50'] is not None for c in w['classes'] if c['support'])
    assert [t['name'] for t in w['figure']['data']] == ['AP@0.5', 'AP@0.5:0.95']
    drift = w['drift']
    assert {'prediction', 'label', 'boxes', 'scores'} <= set(drift)


def test_refusal_is_structured_and_writes_nothing(setup: tuple[IncrementalEvaluation, list[dict[str, Any]]]) -> None:
    ev, _ = setup
    panel = DriftDashboard(ev)
    version = ev.version
    reply = panel.handle_request('window', {'bucket': 'x'})
    assert not reply['ok'] and 'bucket must be an integer' in reply['error']['message']
    reply = panel.handle_request('configure', {'thresholds': {'js': -1}})
    assert not reply['ok'] and reply['error']['message']
    assert ev.version == version
