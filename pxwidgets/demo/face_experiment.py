"""A small face-detection experiment for the versioned-experiment demo: bundled photos, OpenCV Haar cascades.

Everything runs offline. ``build_faces`` is the experiment's setup function (it lives in a module, so a reopened
experiment can run it again after a kernel restart); ``face_metrics`` measures a run.

Example:
    >>> from pxwidgets import VersionedExperiment
    >>> from pxwidgets.demo.face_experiment import build_faces, face_metrics
    >>> exp = VersionedExperiment('demo/faces', build_faces, metrics=face_metrics)  # doctest: +SKIP
    >>> exp.run(min_neighbors=3, cascade='frontalface_default')  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import pixeltable as pxt

from pxwidgets.demo.media import photo_caption, photos
from pxwidgets.functions.detection import count_detections, detect_faces


def build_faces(
    path: str,
    *,
    min_neighbors: int = 5,
    scale_factor: float = 1.1,
    cascade: str = 'frontalface_default',
    n_photos: int = 12,
) -> pxt.Table:
    """One run: ``{path}/photos`` with ``image``, ``title``, ``caption``, then ``faces`` (detections) and ``n_faces``.

    Args:
        path: The run's directory (the experiment makes it).
        min_neighbors: How many overlapping candidates a face needs (higher: fewer, surer faces).
        scale_factor: The step between detection scales.
        cascade: Which of OpenCV's face cascades.
        n_photos: How many demo photos.
    """
    t = pxt.create_table(
        f'{path}/photos',
        {'title': pxt.String, 'image': pxt.Image, 'caption': pxt.String},
        comment='demo photos for the face experiment',
    )
    t.insert([{'title': p.stem, 'image': str(p), 'caption': photo_caption(p)} for p in photos(n_photos)])
    t.add_computed_column(
        faces=detect_faces(t.image, cascade=cascade, scale_factor=scale_factor, min_neighbors=min_neighbors)
    )
    t.add_computed_column(n_faces=count_detections(t.faces))
    return t


def face_metrics(t: pxt.Table) -> dict[str, Any]:
    """Faces found, photos with at least one face, and the share of such photos (from the ``n_faces`` column)."""
    counts = [int(n or 0) for n in t.select(t.n_faces).collect()['n_faces']]
    with_faces = sum(1 for n in counts if n > 0)
    return {
        'faces': sum(counts),
        'photos_with_faces': with_faces,
        'share_with_faces': round(with_faces / len(counts), 4) if counts else 0.0,
    }
