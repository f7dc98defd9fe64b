"""Offline object detection UDFs (OpenCV's shipped classical detectors) and helpers over detection results.

Every detector returns the same JSON shape as Pixeltable's ``yolox`` UDF, so a grid can draw the boxes of any of them::

    {'bboxes': [[x1, y1, x2, y2], ...], 'labels': [...], 'scores': [...]}

YOLOX labels are COCO class ids (ints); the detectors here label with words (``'face'``, ``'eye'``, ``'person'``).
``keep_detections`` understands both.

Example:
    >>> import pixeltable as pxt
    >>> from pxwidgets.functions.detection import count_detections, detect_faces
    >>> t = pxt.get_table('demo/frames')  # doctest: +SKIP
    >>> t.add_computed_column(faces=detect_faces(t.frame))  # doctest: +SKIP
    >>> t.add_computed_column(n_faces=count_detections(t.faces))  # doctest: +SKIP
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, TypedDict

import cv2
import numpy as np
import PIL.Image
import pixeltable as pxt

FACE_CASCADES = ('frontalface_default', 'frontalface_alt', 'frontalface_alt2', 'frontalface_alt_tree', 'profileface')
"""Haar cascades shipped with OpenCV 4.x that find faces."""

EYE_CASCADES = ('eye', 'eye_tree_eyeglasses', 'lefteye_2splits', 'righteye_2splits')
"""Haar cascades shipped with OpenCV 4.x that find eyes."""

HOG_WINDOW = (64, 128)
"""The detection window of OpenCV's default HOG people detector; smaller images cannot contain a detection."""


class Detections(TypedDict):
    """Boxes as ``[x1, y1, x2, y2]`` in pixels, one label and one score per box (the layout of Pixeltable's yolox)."""

    bboxes: list[list[float]]
    labels: list[str]
    scores: list[float]


_local = threading.local()


def cascade_path(name: str) -> Path:
    """The file of one of OpenCV's shipped Haar cascades.

    Args:
        name: The cascade's name without prefix and suffix, e.g. ``'frontalface_default'``.

    Returns:
        The path of ``haarcascade_<name>.xml`` in ``cv2.data.haarcascades``.

    Raises:
        ValueError: If OpenCV ships no such cascade.

    Example:
        >>> cascade_path('eye').name
        'haarcascade_eye.xml'
    """
    path = Path(cv2.data.haarcascades) / f'haarcascade_{name}.xml'  # type: ignore[attr-defined]
    if not path.is_file():
        raise ValueError(f'OpenCV ships no Haar cascade named {name!r} (looked for {path}).')
    return path


def _classifier(name: str) -> cv2.CascadeClassifier:
    # One classifier per thread: OpenCV does not promise that detectMultiScale is safe to share between threads.
    cache: dict[str, cv2.CascadeClassifier] = _local.__dict__.setdefault('cascades', {})
    if name not in cache:
        classifier = cv2.CascadeClassifier(str(cascade_path(name)))
        if classifier.empty():
            raise ValueError(f'OpenCV could not load the Haar cascade {name!r}.')
        cache[name] = classifier
    return cache[name]


def _hog() -> cv2.HOGDescriptor:
    hog = _local.__dict__.get('hog')
    if hog is None:
        hog = cv2.HOGDescriptor()
        hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())  # type: ignore[attr-defined]
        _local.hog = hog
    return hog


def _gray(image: PIL.Image.Image) -> np.ndarray:
    return np.asarray(image.convert('L'))


def _boxes(rects: Any, scores: Any, label: str) -> Detections:
    bboxes = [[float(x), float(y), float(x + w), float(y + h)] for x, y, w, h in np.asarray(rects).reshape(-1, 4)]
    flat_scores = [float(s) for s in np.asarray(scores, dtype=float).reshape(-1)]
    return {'bboxes': bboxes, 'labels': [label] * len(bboxes), 'scores': flat_scores}


def haar_detect(
    image: PIL.Image.Image, cascade: str, label: str, scale_factor: float, min_neighbors: int, min_size: int
) -> Detections:
    """Run one of OpenCV's Haar cascades on an image (plain Python; the UDFs below call it).

    Scores are the cascade's level weights (larger is more certain; not a probability).

    Args:
        image: The image.
        cascade: The cascade's name, e.g. ``'frontalface_default'``.
        label: The label of every box.
        scale_factor: How much the image shrinks at each scale (> 1).
        min_neighbors: How many overlapping candidates a box needs to be kept.
        min_size: The smallest box side, in pixels.

    Returns:
        The detections.

    Example:
        >>> from skimage import data
        >>> dets = haar_detect(PIL.Image.fromarray(data.astronaut()), 'frontalface_default', 'face', 1.1, 5, 30)
        >>> dets['labels']
        ['face']
    """
    gray = _gray(image)
    rects, _, weights = _classifier(cascade).detectMultiScale3(
        gray,
        scaleFactor=scale_factor,
        minNeighbors=min_neighbors,
        minSize=(min_size, min_size),
        outputRejectLevels=True,
    )
    return _boxes(rects, weights, label)


@pxt.udf
def detect_faces(
    image: PIL.Image.Image,
    *,
    cascade: str = 'frontalface_default',
    scale_factor: float = 1.1,
    min_neighbors: int = 5,
    min_size: int = 30,
) -> Detections:
    """Find faces with one of OpenCV's shipped Haar cascades (offline; no model download).

    Args:
        image: The image.
        cascade: One of ``FACE_CASCADES``.
        scale_factor: How much the image shrinks at each scale (> 1).
        min_neighbors: How many overlapping candidates a box needs to be kept.
        min_size: The smallest face side, in pixels.

    Returns:
        Detections labelled ``'face'``.

    Example:
        >>> t.add_computed_column(faces=detect_faces(t.frame, min_neighbors=3))  # doctest: +SKIP
    """
    return haar_detect(image, cascade, 'face', scale_factor, min_neighbors, min_size)


@pxt.udf
def detect_eyes(
    image: PIL.Image.Image,
    *,
    cascade: str = 'eye',
    scale_factor: float = 1.1,
    min_neighbors: int = 5,
    min_size: int = 10,
) -> Detections:
    """Find eyes with one of OpenCV's shipped Haar cascades (``EYE_CASCADES``): the parameters of
    :func:`detect_faces`, with smaller eyes allowed by default; detections labelled ``'eye'``.

    Example:
        >>> t.add_computed_column(eyes=detect_eyes(t.frame))  # doctest: +SKIP
    """
    return haar_detect(image, cascade, 'eye', scale_factor, min_neighbors, min_size)


@pxt.udf
def detect_people(
    image: PIL.Image.Image, *, win_stride: int = 8, scale: float = 1.05, hit_threshold: float = 0.0
) -> Detections:
    """Find standing people with OpenCV's default HOG + linear SVM people detector (offline).

    Images smaller than the detector's 64×128 window yield no detections. Scores are the SVM's margins.

    Args:
        image: The image.
        win_stride: The step of the sliding window, in pixels.
        scale: How much the image shrinks at each scale (> 1).
        hit_threshold: The smallest SVM margin kept.

    Returns:
        Detections labelled ``'person'``.

    Example:
        >>> t.add_computed_column(people=detect_people(t.frame))  # doctest: +SKIP
    """
    gray = _gray(image)
    if gray.shape[1] < HOG_WINDOW[0] or gray.shape[0] < HOG_WINDOW[1]:
        return {'bboxes': [], 'labels': [], 'scores': []}
    rects, weights = _hog().detectMultiScale(
        gray, winStride=(win_stride, win_stride), scale=scale, hitThreshold=hit_threshold
    )
    return _boxes(rects, weights, 'person')


def label_name(label: Any) -> str:
    """The readable name of a detection label: COCO class names for YOLOX's integer ids, else the label itself.

    Args:
        label: A label from a detection result.

    Returns:
        The name.

    Example:
        >>> label_name('face')
        'face'
    """
    if isinstance(label, int) and not isinstance(label, bool):
        from yolox.data.datasets.coco_classes import COCO_CLASSES

        if 0 <= label < len(COCO_CLASSES):
            return str(COCO_CLASSES[label])
    return str(label)


@pxt.udf
def keep_detections(detections: dict, *, labels: str = '', min_score: float = 0.0) -> dict:
    """Keep the detections with one of the given labels and at least the given score.

    Args:
        detections: A detection result (``bboxes``, ``labels``, ``scores``).
        labels: Comma-separated labels to keep (names such as ``'person,car'`` also match YOLOX's COCO ids);
            empty keeps every label.
        min_score: The smallest score kept.

    Returns:
        A detection result of the same shape with only the kept boxes.

    Example:
        >>> people = keep_detections(t.detections, labels='person', min_score=0.5)  # doctest: +SKIP
    """
    wanted = {part.strip() for part in labels.split(',') if part.strip()}
    kept: dict[str, list[Any]] = {'bboxes': [], 'labels': [], 'scores': []}
    for box, label, score in zip(detections['bboxes'], detections['labels'], detections['scores'], strict=True):
        if score < min_score:
            continue
        if wanted and str(label) not in wanted and label_name(label) not in wanted:
            continue
        kept['bboxes'].append(box)
        kept['labels'].append(label)
        kept['scores'].append(score)
    return kept


@pxt.udf
def count_detections(detections: dict) -> int:
    """The number of boxes in a detection result.

    Args:
        detections: A detection result (``bboxes``, ``labels``, ``scores``).

    Returns:
        How many boxes it holds.

    Example:
        >>> t.add_computed_column(n_faces=count_detections(t.faces))  # doctest: +SKIP
    """
    return len(detections['bboxes'])
