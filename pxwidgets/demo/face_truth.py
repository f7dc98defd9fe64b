"""Exact face boxes in the generated face videos: where the virtual camera puts each known face, frame by frame, and a
single face video made for it.

Example:
    >>> boxes = face_ground_truth(video_titles(1)[0])  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

from pxwidgets.demo.video_files import _camera, _check_video_args, _face_shots, _view, video_titles, videos

# The astronaut's face in scikit-image's 512x512 photo, placed once by hand (brow to chin, ear to ear), in pixels.
_ASTRONAUT_FACE = (177.0, 66.0, 273.0, 162.0)


def _canvas_faces(name: str) -> list[tuple[float, float, float, float]]:
    """The face boxes of a shot's canvas, in canvas pixels: exact for the gallery (each tile is a face crop)."""
    if name.startswith('astronaut'):
        return [_ASTRONAUT_FACE]
    if name.startswith('face_gallery'):
        tile, gap, cols, rows = 112, 40, 8, 2  # as in _face_gallery_canvas
        return [
            (float(gap + c * (tile + gap)), float(gap + r * (tile + gap)),
             float(gap + c * (tile + gap) + tile), float(gap + r * (tile + gap) + tile))
            for r in range(rows) for c in range(cols)
        ]  # fmt: skip
    raise ValueError(f'no known face boxes for {name!r}; known: astronaut_pan, astronaut_zoom, face_gallery_pan')


def face_ground_truth(
    title: str, *, seconds: float = 4.0, fps: int = 10, size: tuple[int, int] = (320, 240), min_visible: float = 0.6
) -> list[dict[str, list]]:
    """Where the faces are in every frame of the video :func:`videos` makes under ``title``: exact camera geometry.

    The face boxes of the photo (the gallery's tiles; the astronaut's face, placed once by hand) go through the very
    transform that renders each frame; a box is kept when at least ``min_visible`` of it is inside the frame.

    Args:
        title: ``'astronaut_pan'``, ``'astronaut_zoom'`` or ``'face_gallery_pan'``.
        seconds: Length of the video.
        fps: Frames per second.
        size: Frame size ``(width, height)``.
        min_visible: The share of a face box that must be in the frame.

    Returns:
        One ``{'bboxes': [[x0, y0, x1, y1], ...], 'labels': ['face', ...]}`` per frame (pixels, clipped to the frame).

    Raises:
        ValueError: An unknown title or invalid video arguments.

    Example:
        >>> truth = face_ground_truth('astronaut_zoom', seconds=1, fps=4)
        >>> len(truth), truth[-1]['labels']
        (4, ['face'])
    """
    shot = next((s for s in _face_shots() if s.name == title), None)
    if shot is None:
        raise ValueError(f'unknown face video {title!r}')
    faces = _canvas_faces(title)
    num_frames = _check_video_args(seconds, fps, size)
    shape = shot.canvas().shape
    out_w, out_h = size
    result: list[dict[str, list]] = []
    for i in range(num_frames):
        scale, cx, cy = _view(shape, _camera(shot.keyframes, i / max(1, num_frames - 1)), size)
        boxes: list[list[float]] = []
        for x0, y0, x1, y1 in faces:
            fx0, fy0 = scale * (x0 - cx) + out_w / 2, scale * (y0 - cy) + out_h / 2
            fx1, fy1 = scale * (x1 - cx) + out_w / 2, scale * (y1 - cy) + out_h / 2
            kx0, ky0, kx1, ky1 = max(fx0, 0.0), max(fy0, 0.0), min(fx1, float(out_w)), min(fy1, float(out_h))
            if kx1 <= kx0 or ky1 <= ky0:
                continue
            if (kx1 - kx0) * (ky1 - ky0) >= min_visible * (fx1 - fx0) * (fy1 - fy0):
                boxes.append([round(kx0, 2), round(ky0, 2), round(kx1, 2), round(ky1, 2)])
        labels: list[str] = ['face'] * len(boxes)
        result.append({'bboxes': boxes, 'labels': labels})
    return result


def face_video(title: str, *, seconds: float = 4.0, fps: int = 10, size: tuple[int, int] = (320, 240)) -> Path:
    """The video :func:`videos` makes under ``title`` (``'astronaut_pan'``, ...), whatever its place in the list.

    Example:
        >>> face_video('astronaut_zoom', seconds=1).name
        'astronaut_zoom_320x240_10fps_10f_h264.mp4'
    """
    titles = video_titles(len(_face_shots()))
    if title not in titles:
        raise ValueError(f'unknown face video {title!r}; known: {", ".join(titles)}')
    return videos(titles.index(title) + 1, seconds=seconds, fps=fps, size=size)[-1]
