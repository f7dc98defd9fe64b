"""Face videos with exact ground truth, as Pixeltable columns: the demo of all patterns together.

``face_truth`` is a UDF giving each extracted frame its face boxes (from
:func:`pxwidgets.demo.media.face_ground_truth`); ``detector_metrics`` measures a run of a face pipeline against them
(a ``VersionedExperiment`` metrics function).

Example:
    >>> from pxwidgets.demo.face_videos import truth_for
    >>> truth_for('astronaut_zoom', 0, seconds=1.0)['labels']
    ['face']
"""

from __future__ import annotations

import functools
from typing import Any

import pixeltable as pxt

from pxwidgets.demo.media import face_ground_truth
from pxwidgets.functions.boxes import match_row

DETECTORS = ('default', 'alt', 'alt2')


@functools.lru_cache(maxsize=64)
def _truth(title: str, seconds: float, fps: int, width: int, height: int) -> list[dict[str, list]]:
    return face_ground_truth(title, seconds=seconds, fps=fps, size=(width, height))


def truth_for(
    title: str, index: int, *, seconds: float = 4.0, fps: int = 10, size: tuple[int, int] = (320, 240)
) -> dict[str, list]:
    """The exact face boxes of frame ``index`` (0-based) of the face video ``title`` (made with these arguments)."""
    frames = _truth(title, float(seconds), int(fps), int(size[0]), int(size[1]))
    if not 0 <= index < len(frames):
        raise ValueError(f'frame {index} is outside the video {title!r} ({len(frames)} frames)')
    return frames[index]


@pxt.udf
def face_truth(title: str, index: int, seconds: float, fps: int, width: int, height: int) -> dict:
    """The exact face boxes (``bboxes``, ``labels``) of frame ``index`` of a generated face video."""
    return truth_for(title, index, seconds=seconds, fps=fps, size=(width, height))


def detector_metrics(t: pxt.Table, *, seconds: float = 3.0, fps: int = 10) -> dict[str, Any]:
    """Precision and recall at IoU 0.5 of each detector column of a run's frames, against the exact boxes.

    Args:
        t: A run's frames (columns ``title``, ``frame_attrs``, ``frame`` and some of ``default``, ``alt``, ``alt2``).
        seconds: Length of the videos.
        fps: Frame rate of the videos.

    Returns:
        ``<detector>_precision``, ``<detector>_recall`` and ``<detector>_boxes`` for each detector column present.
    """
    present = [d for d in DETECTORS if d in t.columns()]
    columns = {d: t[d] for d in present}
    rows = t.select(t.title, index=t.frame_attrs.index, w=t.frame.width, h=t.frame.height, **columns).collect()
    metrics: dict[str, Any] = {}
    for d in present:
        tp = fp = fn = boxes = 0
        for row in rows:
            truth = truth_for(row['title'], row['index'], seconds=seconds, fps=fps, size=(row['w'], row['h']))
            m = match_row(row[d], truth, width=row['w'], height=row['h'])
            tp, fp, fn, boxes = tp + m['tp'], fp + m['fp'], fn + m['fn'], boxes + m['boxes']
        metrics[f'{d}_precision'] = round(tp / (tp + fp), 4) if tp + fp else 0.0
        metrics[f'{d}_recall'] = round(tp / (tp + fn), 4) if tp + fn else 0.0
        metrics[f'{d}_boxes'] = boxes
    return metrics
