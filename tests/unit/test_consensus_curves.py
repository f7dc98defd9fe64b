"""Detections: precision–recall curves per model and the best threshold, the matching checked against pycocotools'
COCOeval (its per-detection matches), the curve against numpy on those matches."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np
import PIL.Image
import pixeltable as pxt
import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from pxwidgets import MultiModelConsensus
from pxwidgets.patterns.consensus import NoGroundTruthError, NotEnoughModelsError
from pxwidgets.patterns.consensus.curves import match_detections
from tests.support.consensus import module_dir

MODELS = ('good', 'noisy')
LABELS = ('cat', 'dog')
IOU = 0.5

home_dir = module_dir()


def scene(rng: np.random.Generator) -> dict:
    n = int(rng.integers(1, 4))
    xy = rng.uniform(0, 150, (n, 2))
    wh = rng.uniform(20, 60, (n, 2))
    return {
        'bboxes': [[float(x), float(y), float(x + w), float(y + h)] for (x, y), (w, h) in zip(xy, wh, strict=True)],
        'labels': [str(rng.choice(LABELS)) for _ in range(n)],
    }


def detector(rng: np.random.Generator, truth: dict, jitter: float, miss: float, extra: float) -> dict:
    boxes, labels, scores = [], [], []
    for box, label in zip(truth['bboxes'], truth['labels'], strict=True):
        if rng.random() < miss:
            continue
        boxes.append([v + float(rng.normal(0, jitter)) for v in box])
        labels.append(label if rng.random() > 0.1 else LABELS[1 - LABELS.index(label)])
        scores.append(float(rng.uniform(0.3, 1.0)))
    for _ in range(int(rng.poisson(extra))):
        x, y = rng.uniform(0, 180, 2)
        boxes.append([float(x), float(y), float(x + 25), float(y + 25)])
        labels.append(str(rng.choice(LABELS)))
        scores.append(float(rng.uniform(0.0, 0.6)))
    return {'bboxes': boxes, 'labels': labels, 'scores': scores}


def blank_image(directory: Path) -> str:
    path = directory / 'blank.png'
    PIL.Image.new('RGB', (300, 300), 'white').save(path)
    return str(path)


@pytest.fixture(scope='module')
def built(home_dir: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[MultiModelConsensus, list[dict]]:
    image = blank_image(tmp_path_factory.mktemp('blank'))
    rng = np.random.default_rng(11)
    rows = []
    for i in range(40):
        truth = scene(rng)
        rows.append(
            {
                'idx': i,
                'image': image,
                'truth': truth,
                'good': detector(rng, truth, 2.0, 0.1, 0.5),
                'noisy': detector(rng, truth, 8.0, 0.3, 1.5),
            }
        )
    schema = {'idx': pxt.Int, 'image': pxt.Image, 'truth': pxt.Json, **dict.fromkeys(MODELS, pxt.Json)}
    t = pxt.create_table(f'{home_dir}/boxes', schema)
    t.insert(rows)
    c = MultiModelConsensus(t, 'image', ground_truth='truth', kind='detections')
    c.add_models({m: m for m in MODELS})
    return c, rows


def coco_matches(rows: list[dict], model: str) -> tuple[list[tuple[float, bool]], int]:
    """Every detection of a model with COCOeval's match flag at IoU 0.5 (all areas, up to 100 detections an image)."""
    cats = [{'id': i + 1, 'name': n} for i, n in enumerate(LABELS)]
    images, anns, dets = [], [], []
    for r in rows:
        images.append({'id': r['idx'] + 1, 'width': 300, 'height': 300})
        for box, label in zip(r['truth']['bboxes'], r['truth']['labels'], strict=True):
            w, h = box[2] - box[0], box[3] - box[1]
            anns.append(
                {
                    'id': len(anns) + 1,
                    'image_id': r['idx'] + 1,
                    'category_id': LABELS.index(label) + 1,
                    'bbox': [box[0], box[1], w, h],
                    'area': w * h,
                    'iscrowd': 0,
                }
            )
        d = r[model]
        for box, label, score in zip(d['bboxes'], d['labels'], d['scores'], strict=True):
            dets.append(
                {
                    'image_id': r['idx'] + 1,
                    'category_id': LABELS.index(label) + 1,
                    'bbox': [box[0], box[1], box[2] - box[0], box[3] - box[1]],
                    'score': score,
                }
            )
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = {'images': images, 'annotations': anns, 'categories': cats}
        gt.createIndex()
        dt = gt.loadRes(dets)
        ev = COCOeval(gt, dt, 'bbox')
        ev.params.iouThrs = np.array([IOU])
        ev.params.areaRng = [[0, 1e10]]
        ev.params.areaRngLbl = ['all']
        ev.params.maxDets = [100]
        ev.evaluate()
    scored = []
    for e in ev.evalImgs:
        if e is None:
            continue
        for score, match in zip(e['dtScores'], e['dtMatches'][0], strict=True):
            scored.append((float(score), bool(match > 0)))
    return scored, len(anns)


def test_matching_equals_pycocotools(built: tuple[MultiModelConsensus, list[dict]]) -> None:
    _, rows = built
    for model in MODELS:
        ours = []
        for r in rows:
            d = r[model]
            flags = match_detections(
                d['bboxes'], d['labels'], d['scores'], r['truth']['bboxes'], r['truth']['labels'], IOU
            )
            ours += list(zip(d['scores'], flags, strict=True))
        theirs, _ = coco_matches(rows, model)
        assert sorted(ours) == sorted(theirs)
        assert 0 < sum(f for _, f in ours) < len(ours)  # both hits and misses


def test_pr_curves_and_best_thresholds(built: tuple[MultiModelConsensus, list[dict]]) -> None:
    c, rows = built
    curves = c.pr_curves(IOU)
    best = c.best_thresholds(IOU).set_index('model')
    for model in MODELS:
        scored, n_truth = coco_matches(rows, model)
        scores = np.array([s for s, _ in scored])
        hits = np.array([h for _, h in scored])
        curve = curves[model]
        for _, point in curve.iterrows():
            kept = scores >= point['threshold']
            tp = int(hits[kept].sum())
            assert point['tp'] == tp and point['fp'] == int(kept.sum()) - tp
            assert point['recall'] == pytest.approx(tp / n_truth)
            assert point['precision'] == pytest.approx(tp / kept.sum())
        f1 = []
        for threshold in np.unique(scores):
            kept = hits[scores >= threshold]
            p, r = kept.mean(), kept.sum() / n_truth
            f1.append(2 * p * r / (p + r) if p + r else 0.0)
        assert best.loc[model, 'f1'] == pytest.approx(max(f1))
    assert best.loc['good', 'f1'] > best.loc['noisy', 'f1']
    fig = c.pr_figure(IOU)
    assert len(fig.data) == 2 * len(MODELS) and 'best' in fig.data[1].name


def test_pr_curves_need_detections_with_truth(home_dir: str, tmp_path: Path) -> None:
    t = pxt.create_table(f'{home_dir}/nobox', {'image': pxt.Image, 'a': pxt.Json, 'b': pxt.Json})
    box = {'bboxes': [[0, 0, 5, 5]], 'labels': ['x'], 'scores': [0.5]}
    t.insert([{'image': blank_image(tmp_path), 'a': box, 'b': {'bboxes': [], 'labels': []}}])
    c = MultiModelConsensus(t, 'image', kind='detections')
    c.add_models({'a': 'a', 'b': 'b'})
    with pytest.raises(NoGroundTruthError, match='ground-truth boxes'):
        c.pr_curves()
    u = pxt.create_table(f'{home_dir}/labels', {'a': pxt.Int, 'b': pxt.Int})
    u.insert([{'a': 1, 'b': 2}])
    lab = MultiModelConsensus(u)
    lab.add_models({'a': 'a', 'b': 'b'})
    with pytest.raises(NotEnoughModelsError, match='for detections'):
        lab.pr_curves()


def test_the_panel_sends_the_curves_and_best_thresholds(built: tuple[MultiModelConsensus, list[dict]]) -> None:
    from pxwidgets import ConsensusGrid

    c, _ = built
    reply = ConsensusGrid(c).handle_request('pr_curves', {})
    assert reply['ok'], reply
    payload = reply['payload']
    expected = c.best_thresholds().set_index('model')
    assert [b['model'] for b in payload['best']] == list(MODELS)
    for b in payload['best']:
        assert b['f1'] == pytest.approx(expected.loc[b['model'], 'f1'])
    assert len(payload['figure']['data']) == 2 * len(MODELS)
