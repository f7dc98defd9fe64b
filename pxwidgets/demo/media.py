"""Demo photos and videos, made from images that ship inside installed packages (no network).

Photos come from scikit-image's bundled sample data (plus matplotlib's ``grace_hopper.jpg`` when matplotlib is
installed) and are written as JPEG files into the cache (:mod:`~pxwidgets.demo.photo_files`). Videos are generated:
a virtual camera pans and zooms across photos that contain real faces (or across a gallery of real faces from
scikit-image's LFW subset), so that OpenCV's Haar face cascade finds faces in the frames
(:mod:`~pxwidgets.demo.video_files`; exact face boxes in :mod:`~pxwidgets.demo.face_truth`); a video of moving shapes
comes with its exact ground truth (:mod:`~pxwidgets.demo.shapes`). Everything is deterministic and cached (see
:mod:`pxwidgets.demo.cache`).

Example:
    >>> from pxwidgets.demo.media import photos, videos
    >>> [p.name for p in photos(2)]
    ['astronaut.jpg', 'coffee.jpg']
    >>> videos(1)[0].suffix
    '.mp4'
"""

from __future__ import annotations

from pxwidgets.demo.face_truth import face_ground_truth, face_video
from pxwidgets.demo.photo_files import (
    JPEG_QUALITY,
    MAX_PHOTO_SIDE,
    bundled_photos,
    photo_caption,
    photo_names,
    photos,
)
from pxwidgets.demo.shapes import ShapeBox, ShapeLabel, shapes_ground_truth, shapes_video
from pxwidgets.demo.video_files import (
    VideoCodec,
    _camera,
    _face_gallery_canvas,
    _face_shots,
    _render,
    video_titles,
    videos,
)

__all__ = [
    'JPEG_QUALITY',
    'MAX_PHOTO_SIDE',
    'ShapeBox',
    'ShapeLabel',
    'VideoCodec',
    '_camera',
    '_face_gallery_canvas',
    '_face_shots',
    '_render',
    'bundled_photos',
    'face_ground_truth',
    'face_video',
    'photo_caption',
    'photo_names',
    'photos',
    'shapes_ground_truth',
    'shapes_video',
    'video_titles',
    'videos',
]
