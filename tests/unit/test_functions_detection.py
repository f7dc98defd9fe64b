"""Offline detectors on real images: OpenCV's Haar cascades and HOG, YOLOX with seeded weights, and the helpers."""

from __future__ import annotations

from pathlib import Path

import PIL.Image
import pixeltable as pxt
import pytest
from skimage import data

from pxwidgets.functions import count_detections, detect_eyes, detect_faces, detect_people, keep_detections
from pxwidgets.functions.detection import cascade_path, haar_detect, label_name
from pxwidgets.patterns import ProgressiveRefinement


@pytest.fixture
def images(pxt_dir: str) -> pxt.Table:
    t = pxt.create_table(f'{pxt_dir}/images', {'name': pxt.String, 'image': pxt.Image})
    t.insert(
        [
            {'name': 'astronaut', 'image': PIL.Image.fromarray(data.astronaut())},
            {'name': 'coffee', 'image': PIL.Image.fromarray(data.coffee())},
            {'name': 'tiny', 'image': PIL.Image.new('RGB', (40, 30), 'white')},
        ]
    )
    return t


def test_classical_detectors_on_real_photos(images: pxt.Table) -> None:
    images.add_computed_column(faces=detect_faces(images.image))
    images.add_computed_column(alt2=detect_faces(images.image, cascade='frontalface_alt2'))
    images.add_computed_column(eyes=detect_eyes(images.image))
    images.add_computed_column(people=detect_people(images.image))
    rows = images.order_by(images.name).select(images.name, images.faces, images.alt2, images.eyes, images.people)
    astronaut, coffee, tiny = rows.collect()
    for dets in (astronaut['faces'], astronaut['alt2']):
        assert dets['labels'] == ['face']
        x1, y1, x2, y2 = dets['bboxes'][0]
        assert 150 < x1 < 200 and 40 < y1 < 90 and 250 < x2 < 300 and 140 < y2 < 190  # the astronaut's face
        assert dets['scores'][0] > 0
    assert astronaut['eyes']['labels'] == ['eye', 'eye']
    eye_centres = sorted((b[0] + b[2]) / 2 for b in astronaut['eyes']['bboxes'])
    assert 180 < eye_centres[0] < 220 < eye_centres[1] < 270
    assert set(astronaut['people']) == {'bboxes', 'labels', 'scores'}
    assert all(label == 'person' for label in astronaut['people']['labels'])
    assert coffee['faces'] == {'bboxes': [], 'labels': [], 'scores': []}
    assert tiny['people'] == {'bboxes': [], 'labels': [], 'scores': []}  # smaller than the HOG window


def test_keep_and_count(pxt_dir: str) -> None:
    t = pxt.create_table(f'{pxt_dir}/dets', {'dets': pxt.Json})
    t.insert(
        [
            {
                'dets': {
                    'bboxes': [[0, 0, 1, 1], [1, 1, 2, 2], [2, 2, 3, 3]],
                    'labels': ['face', 'eye', 'face'],
                    'scores': [0.9, 0.8, 0.3],
                }
            },
            {'dets': {'bboxes': [[0, 0, 5, 5], [0, 0, 6, 6]], 'labels': [0, 2], 'scores': [0.7, 0.95]}},  # COCO ids
        ]
    )
    t.add_computed_column(faces=keep_detections(t.dets, labels='face', min_score=0.5))
    t.add_computed_column(people=keep_detections(t.dets, labels='person, eye'))
    t.add_computed_column(n=count_detections(t.dets))
    t.add_computed_column(n_confident=count_detections(keep_detections(t.dets, min_score=0.75)))
    first, second = t.select(t.faces, t.people, t.n, t.n_confident).collect()
    assert first['faces'] == {'bboxes': [[0, 0, 1, 1]], 'labels': ['face'], 'scores': [0.9]}
    assert first['people']['labels'] == ['eye']
    assert second['people'] == {'bboxes': [[0, 0, 5, 5]], 'labels': [0], 'scores': [0.7]}
    assert (first['n'], second['n'], first['n_confident'], second['n_confident']) == (3, 2, 2, 1)
    assert label_name(2) == 'car' and label_name('face') == 'face' and label_name(True) == 'True'


def test_haar_helpers() -> None:
    assert cascade_path('frontalface_default').is_file()
    with pytest.raises(ValueError, match='no Haar cascade'):
        cascade_path('unicorn')
    dets = haar_detect(PIL.Image.fromarray(data.astronaut()), 'eye', 'eye', 1.1, 5, 10)
    assert len(dets['bboxes']) == len(dets['labels']) == len(dets['scores']) == 2


@pytest.fixture
def yolox_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A YOLOX home holding randomly initialised yolox_nano weights (no download: real weights need the network)."""
    import torch
    import yolox.models.yolox as yolox_models
    from pixeltable.functions import yolox as pxt_yolox
    from yolox.config import YoloxConfig

    home = tmp_path / 'yolox'
    (home / 'weights').mkdir(parents=True)
    torch.manual_seed(0)
    model = YoloxConfig.get_named_config('yolox_nano').get_model()
    torch.save({'model': model.state_dict()}, home / 'weights' / 'yolox_nano.pth')
    monkeypatch.setenv('YOLOX_HOME', str(home))
    monkeypatch.setattr(yolox_models, 'HOME', home)
    monkeypatch.setattr(pxt_yolox, '_model_cache', {})
    return home


def test_yolox_stage_with_seeded_weights(images: pxt.Table, yolox_home: Path) -> None:
    p = ProgressiveRefinement(images)
    stage = p.add_stage(
        'objects', transform='detect_objects', params={'model_id': 'yolox_nano', 'threshold': 0.0}, input='image'
    )
    assert stage.definition == "yolox(images.image, model_id='yolox_nano', threshold=0.0)"
    assert p.errors('objects').empty
    all_dets = images.select(images.objects).collect()['objects']
    assert sum(len(d['bboxes']) for d in all_dets) > 0  # random weights at threshold 0 still propose boxes
    for dets in all_dets:
        assert set(dets) == {'bboxes', 'labels', 'scores'}
        assert len(dets['bboxes']) == len(dets['labels']) == len(dets['scores'])
        assert all(len(box) == 4 for box in dets['bboxes'])
        assert all(isinstance(label, int) for label in dets['labels'])
    kept = p.add_stage('people', transform='keep_detections', params={'labels': 'person', 'min_score': 0.0})
    assert kept.inputs == ('objects',)
    people = images.select(images.people).collect()['people']
    for dets, kept_dets in zip(all_dets, people, strict=True):
        assert kept_dets['labels'] == [label for label in dets['labels'] if label == 0]  # COCO id 0 is 'person'
