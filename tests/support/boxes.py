"""Test helpers for box metrics: pycocotools' COCOeval on plain lists of detections, and seeded random boxes."""

from __future__ import annotations

import contextlib
import io
from typing import Any

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval


def coco(images: list[tuple[dict[str, Any], dict[str, Any]]]) -> dict[str, Any]:
    """pycocotools on ``[(detections, truth)]`` per image: stats and the IoU-0.5 matches of every detection."""
    labels = sorted({str(lab) for det, gt in images for lab in [*det['labels'], *gt['labels']]})
    cat = {lab: i + 1 for i, lab in enumerate(labels)}
    gts, dts = [], []
    for img, (det, gt) in enumerate(images, start=1):
        for box, lab in zip(gt['bboxes'], gt['labels'], strict=True):
            w, h = box[2] - box[0], box[3] - box[1]
            gts.append({'id': len(gts) + 1, 'image_id': img, 'category_id': cat[str(lab)],
                        'bbox': [box[0], box[1], w, h], 'area': w * h, 'iscrowd': 0})  # fmt: skip
        for box, lab, score in zip(det['bboxes'], det['labels'], det['scores'], strict=True):
            dts.append({'image_id': img, 'category_id': cat[str(lab)], 'score': score,
                        'bbox': [box[0], box[1], box[2] - box[0], box[3] - box[1]]})  # fmt: skip
    ground = COCO()
    ground.dataset = {'images': [{'id': i + 1} for i in range(len(images))], 'annotations': gts,
                      'categories': [{'id': v, 'name': k} for k, v in cat.items()]}  # fmt: skip
    with contextlib.redirect_stdout(io.StringIO()):
        ground.createIndex()
        results = ground.loadRes(dts) if dts else COCO()
        ev = COCOeval(ground, results, 'bbox')
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    tp = fp = 0
    for e in ev.evalImgs:
        if e is None or e['aRng'] != [0, 1e10] or e['maxDet'] != 100:
            continue
        tp += int((e['dtMatches'][0] > 0).sum())
        fp += int((e['dtMatches'][0] == 0).sum())
    return {'map': float(ev.stats[0]), 'map50': float(ev.stats[1]), 'tp': tp, 'fp': fp, 'truth': len(gts)}


def random_images(seed: int, n: int, classes: int = 3, size: float = 200.0) -> list[tuple[dict, dict]]:
    rng = np.random.default_rng(seed)
    images = []
    for _ in range(n):
        k = int(rng.integers(0, 6))
        xy = rng.uniform(0, size * 0.7, (k, 2))
        wh = rng.uniform(5, size * 0.3, (k, 2))
        gt_boxes = np.hstack([xy, xy + wh])
        gt_labels = [int(c) for c in rng.integers(0, classes, k)]
        det_boxes, det_labels, det_scores = [], [], []
        for box, lab in zip(gt_boxes, gt_labels, strict=True):
            if rng.random() < 0.8:  # found, jittered, sometimes with the wrong class
                jitter = rng.normal(0, 0.08, 4) * np.array([box[2] - box[0], box[3] - box[1]] * 2)
                det_boxes.append(np.clip(box + jitter, 0, size).tolist())
                det_labels.append(lab if rng.random() < 0.9 else int(rng.integers(0, classes)))
                det_scores.append(float(rng.uniform(0.3, 1.0)))
        for _ in range(int(rng.integers(0, 3))):  # false positives
            xy1 = rng.uniform(0, size * 0.7, 2)
            det_boxes.append([*xy1.tolist(), *(xy1 + rng.uniform(5, size * 0.3, 2)).tolist()])
            det_labels.append(int(rng.integers(0, classes)))
            det_scores.append(float(rng.uniform(0.0, 0.8)))
        images.append(
            (
                {'bboxes': det_boxes, 'labels': det_labels, 'scores': det_scores},
                {'bboxes': gt_boxes.tolist(), 'labels': gt_labels},
            )
        )
    return images
