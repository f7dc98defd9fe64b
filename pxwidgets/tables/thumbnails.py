"""Small JPEG thumbnails of images and video poster frames, decoded at reduced size where the codec allows.

Example:
    >>> thumb = image_file_thumbnail('/data/photo.jpg')  # doctest: +SKIP
    >>> thumb.mime, thumb.width, len(thumb.data) < 20_000  # doctest: +SKIP
    ('image/jpeg', 640, True)
"""

from __future__ import annotations

import io
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import PIL.Image

THUMB_BOX = (160, 120)
"""Largest thumbnail size; the aspect ratio is kept."""
JPEG_QUALITY = 70


@dataclass
class Thumbnail:
    """A small encoded image; ``width``/``height`` are the ORIGINAL image's size (boxes are in those pixels)."""

    data: bytes
    mime: str
    width: int
    height: int
    overlays: list[dict[str, Any]] = field(default_factory=list)


def _encode(img: PIL.Image.Image, original_size: tuple[int, int]) -> Thumbnail:
    """Encode a thumbnail of ``img`` (never modified)."""
    factor = min(img.width // THUMB_BOX[0], img.height // THUMB_BOX[1])
    # a fast box-filter reduction by an integer factor first (a new image), then the exact size
    img = img.reduce(factor) if factor >= 2 else img.copy()
    img.thumbnail(THUMB_BOX, PIL.Image.Resampling.BILINEAR)
    if img.mode not in ('RGB', 'L'):
        img = img.convert('RGB')
    buf = io.BytesIO()
    img.save(buf, format='JPEG', quality=JPEG_QUALITY)
    return Thumbnail(buf.getvalue(), 'image/jpeg', original_size[0], original_size[1])


def image_thumbnail(img: PIL.Image.Image) -> Thumbnail:
    """Thumbnail of an in-memory image (e.g. a video frame an iterator decoded, which is never stored)."""
    return _encode(img, img.size)


def image_file_thumbnail(path: str) -> Thumbnail:
    """Thumbnail of an image file, JPEGs decoded at reduced size (``draft``): a fraction of a full decode."""
    with PIL.Image.open(path) as img:
        size = img.size
        img.draft('RGB', THUMB_BOX)  # JPEG: decode at 1/2, 1/4 or 1/8 scale, still at least the thumbnail's size
        return _encode(img.convert('RGB') if img.mode not in ('RGB', 'L') else img, size)


class _PosterCache:
    """Poster frames by (path, mtime): decoding a video's first frame costs tens of milliseconds."""

    def __init__(self, capacity: int = 256) -> None:
        self._items: OrderedDict[tuple[str, float], Thumbnail] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def get(self, path: str, make: Callable[[str], Thumbnail]) -> Thumbnail:
        key = (path, os.path.getmtime(path))
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        thumb = make(path)
        with self._lock:
            self._items[key] = thumb
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)
        return thumb


_posters = _PosterCache()


def _first_frame(path: str) -> Thumbnail:
    import av

    with av.open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = 'AUTO'
        for frame in container.decode(stream):
            img = frame.to_image()
            return _encode(img, img.size)
    raise ValueError(f'{path} has no video frames')


def video_poster(path: str) -> Thumbnail:
    """Thumbnail of a video's first frame (cached per file and modification time)."""
    return _posters.get(path, _first_frame)
