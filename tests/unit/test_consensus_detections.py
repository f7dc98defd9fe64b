"""Box-level consensus on real photos with three of OpenCV's face cascades (offline, real detections)."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pixeltable as pxt
import pytest
from ensemble_boxes import weighted_boxes_fusion

from pxwidgets import MultiModelConsensus
from pxwidgets.errors import InvalidRequestError
from pxwidgets.patterns.consensus import MixedKindsError
from tests.support.consensus import face_photos

CASCADES = {'default': 'frontalface_default', 'alt': 'frontalface_alt', 'alt2': 'frontalface_alt2'}


@pytest.fixture(scope='module')
def faces(pxt_home: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MultiModelConsensus]:
    name = f't_{uuid.uuid4().hex[:10]}'
    pxt.create_dir(name)
    photos = pxt.create_table(f'{name}/photos', {'image': pxt.Image})
    photos.insert([{'image': p} for p in face_photos(Path(tmp_path_factory.mktemp('faces')))])
    c = MultiModelConsensus(photos, 'image', name='faces', options={'min_votes': 2, 'iou_threshold': 0.5})
    c.add_models({m: ('detect_faces', {'cascade': cascade, 'min_neighbors': 3}) for m, cascade in CASCADES.items()})
    yield c
    pxt.drop_dir(name, force=True, if_not_exists='ignore')


def iou(a: list[float], b: list[float]) -> float:
    """Intersection over union of two ``[x1, y1, x2, y2]`` boxes, computed here by hand."""
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h
    return w * h / union if union > 0 else 0.0


def expected_fusion(dets: list[dict], width: int, height: int, *, iou_thr: float, min_votes: int) -> dict:
    """The box consensus computed independently of pxwidgets: ensemble-boxes' weighted_boxes_fusion called directly on
    boxes normalised here, each fused box's votes counted by hand (models with a box at IoU >= iou_thr), the boxes with
    at least ``min_votes`` votes kept, and a model agreeing when its boxes pair off one-to-one with the kept ones."""
    found = [d for d in dets if d['bboxes']]
    if not found:
        return {'bboxes': [], 'votes': [], 'agreement': 1.0}
    norm = [[[b[0] / width, b[1] / height, b[2] / width, b[3] / height] for b in d['bboxes']] for d in found]
    fused, _, _ = weighted_boxes_fusion(
        norm,
        [d['scores'] for d in found],  # each cascade's level weights
        [[0] * len(d['bboxes']) for d in found],
        iou_thr=iou_thr,
        skip_box_thr=0.0,
        conf_type='avg',
    )
    pixels = [[b[0] * width, b[1] * height, b[2] * width, b[3] * height] for b in fused.tolist()]
    votes = [sum(any(iou(box, b) >= iou_thr for b in d['bboxes']) for d in dets) for box in pixels]
    kept = [(box, v) for box, v in zip(pixels, votes, strict=True) if v >= min_votes]

    def agrees(boxes: list[list[float]]) -> bool:
        return len(boxes) == len(kept) and any(
            all(iou(boxes[i], kept[j][0]) >= iou_thr for i, j in enumerate(perm))
            for perm in itertools.permutations(range(len(kept)))
        )

    return {
        'bboxes': [box for box, _ in kept],
        'votes': [v for _, v in kept],
        'agreement': sum(agrees(d['bboxes']) for d in dets) / len(dets),
    }


def test_fused_boxes_are_those_of_ensemble_fusion_over_the_rows(faces: MultiModelConsensus) -> None:
    assert faces.kind == 'detections'
    t = faces.table()
    rs = t.select(t.image.width, t.image.height, t.default, t.alt, t.alt2, t.faces, t.faces_agreement).collect()
    found_any = False
    for row in rs:
        dets = [row['default'], row['alt'], row['alt2']]
        expected = expected_fusion(dets, row['width'], row['height'], iou_thr=0.5, min_votes=2)
        assert np.allclose(np.reshape(row['faces']['bboxes'], (-1, 4)), np.reshape(expected['bboxes'], (-1, 4)))
        assert row['faces']['votes'] == expected['votes']
        assert row['faces_agreement'] == pytest.approx(expected['agreement'])
        found_any |= bool(row['faces']['bboxes'])
    assert found_any  # the astronaut's face is found by at least two cascades


def test_the_photo_without_a_face_has_no_fused_box(faces: MultiModelConsensus) -> None:
    t = faces.table()
    coffee = t.where(t.image.width == 200).select(t.faces, t.faces_boxes).collect()[0]
    assert coffee['faces_boxes'] == 0 and coffee['faces']['bboxes'] == []


def test_box_metrics_against_the_consensus_and_filters(faces: MultiModelConsensus) -> None:
    summary = faces.summary().set_index('model')
    assert list(summary.index) == list(CASCADES)
    assert set(summary['reference']) == {'consensus'}
    t = faces.table()
    per_model = [r['faces']['per_model'] for r in t.select(t.faces).collect()]
    for model in CASCADES:
        tp = sum(p[model]['tp'] for p in per_model)
        fp = sum(p[model]['fp'] for p in per_model)
        assert summary.loc[model, 'tp'] == tp and summary.loc[model, 'fp'] == fp
        if tp + fp:
            assert summary.loc[model, 'precision'] == pytest.approx(tp / (tp + fp))
    disagreements = faces.rows('disagreements', limit=50)
    assert disagreements['total'] == t.where(t.faces_agreement < 1.0).count()
    page = faces.rows(order='agreement', limit=2)
    assert page['rows'][0]['models']['default']['detections'] is not None
    assert 'bboxes' in page['rows'][0]['consensus']
    with pytest.raises(InvalidRequestError, match='compares labels'):
        faces.rows('ties')
    with pytest.raises(InvalidRequestError, match='labels'):
        faces.kappa()


def test_a_label_model_is_refused_in_a_box_consensus(faces: MultiModelConsensus) -> None:
    v = faces.table().get_metadata()['version']
    with pytest.raises(MixedKindsError, match='labels'):
        faces.add_model('width', faces.table().image.width)  # an Int label per photo
    assert faces.table().get_metadata()['version'] == v
