"""A generated video of moving shapes that comes with its exact ground truth (one box and label per shape per frame).

Example:
    >>> shapes_ground_truth(seconds=1.0, fps=2)[0][0]['label']  # doctest: +SKIP
    'circle'
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Literal, TypedDict

import numpy as np

from pxwidgets.demo.cache import cache_dir, cached_file
from pxwidgets.demo.video_files import VideoCodec, _check_video_args, _video_name, _write_video

ShapeLabel = Literal['circle', 'square', 'triangle']


class ShapeBox(TypedDict):
    """Where one shape is in one frame: pixel box ``(x0, y0, x1, y1)``, inclusive, and its fill colour (RGB)."""

    label: ShapeLabel
    box: tuple[int, int, int, int]
    color: tuple[int, int, int]


_SHAPE_COLORS: dict[ShapeLabel, tuple[int, int, int]] = {
    'circle': (230, 40, 40),
    'square': (40, 180, 60),
    'triangle': (40, 80, 230),
}


def shapes_ground_truth(
    *, seconds: float = 4.0, fps: int = 10, size: tuple[int, int] = (320, 240)
) -> list[list[ShapeBox]]:
    """The exact position of every shape in every frame of :func:`shapes_video` with the same arguments.

    A red circle moves left to right along the top, a green square moves down the right edge and back up, and a blue
    triangle circles the rest of the frame; their paths never overlap, so every shape is always fully visible.

    Args:
        seconds: Length of the video.
        fps: Frames per second.
        size: Frame size ``(width, height)``.

    Returns:
        One list of :class:`ShapeBox` per frame.

    Example:
        >>> gt = shapes_ground_truth(seconds=1, fps=10)
        >>> len(gt), [s['label'] for s in gt[0]]
        (10, ['circle', 'square', 'triangle'])
    """
    num_frames = _check_video_args(seconds, fps, size)
    w, h = size
    r = max(4, min(w, h) // 12)
    # three lanes that never overlap: circle along the top, square down the right edge, triangle orbiting below-left
    top = 2 * r + 6
    orbit_cx, orbit_cy = (w - 2 * r - 6) / 2, (top + h) / 2
    orbit_ax, orbit_ay = orbit_cx - r - 4, (h - top) / 2 - r - 4
    result: list[list[ShapeBox]] = []
    for i in range(num_frames):
        t = i / max(1, num_frames - 1)
        cx, cy = round(r + 2 + t * (w - 2 * r - 5)), r + 2
        sx, sy = w - r - 3, round(top + r + (1 - abs(2 * t - 1)) * (h - 3 - 2 * r - top))
        tx = round(orbit_cx + orbit_ax * math.cos(2 * math.pi * t))
        ty = round(orbit_cy + orbit_ay * math.sin(2 * math.pi * t))
        result.append(
            [
                {'label': 'circle', 'box': (cx - r, cy - r, cx + r, cy + r), 'color': _SHAPE_COLORS['circle']},
                {'label': 'square', 'box': (sx - r, sy - r, sx + r, sy + r), 'color': _SHAPE_COLORS['square']},
                {'label': 'triangle', 'box': (tx - r, ty - r, tx + r, ty + r), 'color': _SHAPE_COLORS['triangle']},
            ]
        )
    return result


def _draw_shapes(shapes: list[ShapeBox], size: tuple[int, int]) -> np.ndarray:
    import cv2

    frame = np.full((size[1], size[0], 3), 245, np.uint8)
    for shape in shapes:
        x0, y0, x1, y1 = shape['box']
        color = shape['color']
        if shape['label'] == 'circle':
            cv2.circle(frame, ((x0 + x1) // 2, (y0 + y1) // 2), (x1 - x0) // 2, color, -1, lineType=cv2.LINE_8)
        elif shape['label'] == 'square':
            cv2.rectangle(frame, (x0, y0), (x1, y1), color, -1, lineType=cv2.LINE_8)
        else:
            pts = np.array([[(x0 + x1) // 2, y0], [x0, y1], [x1, y1]], np.int32)
            cv2.fillPoly(frame, [pts], color, lineType=cv2.LINE_8)
    return frame


def shapes_video(
    *, seconds: float = 4.0, fps: int = 10, size: tuple[int, int] = (320, 240), codec: VideoCodec = 'h264'
) -> Path:
    """Generate (once) a video of three moving coloured shapes whose positions :func:`shapes_ground_truth` gives.

    Args:
        seconds: Length of the video.
        fps: Frames per second.
        size: Frame size ``(width, height)``; both even.
        codec: ``'h264'`` or ``'mpeg4'``.

    Returns:
        The path of the MP4 file.

    Example:
        >>> shapes_video(seconds=1).name
        'shapes_320x240_10fps_10f_h264.mp4'
    """
    num_frames = _check_video_args(seconds, fps, size)
    truth = shapes_ground_truth(seconds=seconds, fps=fps, size=size)

    def write(tmp: Path) -> None:
        _write_video([_draw_shapes(shapes, size) for shapes in truth], tmp, fps, codec)

    return cached_file(cache_dir('videos') / _video_name('shapes', num_frames, fps, size, codec), write)
