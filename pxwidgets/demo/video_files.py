"""Generated demo videos: a virtual camera pans and zooms across photos that contain real faces (or across a gallery of
real faces from scikit-image's LFW subset), so that OpenCV's Haar face cascade finds faces in the frames. Deterministic
and cached (see :mod:`pxwidgets.demo.cache`).

Example:
    >>> videos(1)[0].suffix
    '.mp4'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Literal

import numpy as np

from pxwidgets.demo.cache import cache_dir, cached_file
from pxwidgets.demo.photo_files import _load_source, _matplotlib_sample

VideoCodec = Literal['h264', 'mpeg4']


@dataclass(frozen=True)
class _Shot:
    """A virtual camera path over a still canvas.

    ``keyframes`` are ``(cx, cy, width)``: window centre as fractions of the canvas width and height, and window
    width as a fraction of the canvas width. Between keyframes the camera eases in and out.
    """

    name: str
    canvas: Callable[[], np.ndarray]
    keyframes: tuple[tuple[float, float, float], ...]


def _photo_canvas(name: str) -> Callable[[], np.ndarray]:
    return lambda: np.asarray(_load_source(name).convert('RGB'))


def _face_gallery_canvas() -> np.ndarray:
    """Two rows of real faces (scikit-image's LFW subset, upscaled) on a grey background."""
    import cv2
    import skimage.data

    faces = skimage.data.lfw_subset()[:100]  # the first 100 images of the subset are faces
    tile, gap, cols, rows = 112, 40, 8, 2
    canvas = np.full((rows * (tile + gap) + gap, cols * (tile + gap) + gap, 3), 110, np.uint8)
    for i in range(rows * cols):
        face = np.clip(faces[i * 5] * 255.0, 0, 255).round().astype(np.uint8)
        face = cv2.resize(face, (tile, tile), interpolation=cv2.INTER_CUBIC)
        r, c = divmod(i, cols)
        y, x = gap + r * (tile + gap), gap + c * (tile + gap)
        canvas[y : y + tile, x : x + tile] = face[..., None]
    return canvas


# Astronaut face: centre ~(0.44, 0.22), ~0.19 of the width. Grace Hopper face: centre ~(0.52, 0.36), ~0.43 wide.
_FACE_SHOTS: list[_Shot] = [
    _Shot(
        'astronaut_pan',
        _photo_canvas('astronaut'),
        ((0.44, 0.22, 0.45), (0.55, 0.35, 0.80), (0.40, 0.30, 0.60), (0.45, 0.24, 0.42)),
    ),
    _Shot('face_gallery_pan', _face_gallery_canvas, ((0.12, 0.5, 0.30), (0.50, 0.5, 0.36), (0.88, 0.5, 0.30))),
    _Shot('astronaut_zoom', _photo_canvas('astronaut'), ((0.50, 0.375, 1.0), (0.44, 0.24, 0.36))),
]
_GRACE_HOPPER_SHOT = _Shot(
    'grace_hopper_zoom', _photo_canvas('grace_hopper'), ((0.5, 0.45, 1.0), (0.52, 0.36, 0.6), (0.5, 0.40, 0.85))
)


def _face_shots() -> list[_Shot]:
    shots = list(_FACE_SHOTS)
    if _matplotlib_sample('grace_hopper.jpg') is not None:
        shots.insert(1, _GRACE_HOPPER_SHOT)
    return shots


def _ease(t: float) -> float:
    return t * t * (3.0 - 2.0 * t)


def _camera(keyframes: Sequence[tuple[float, float, float]], t: float) -> tuple[float, float, float]:
    """Interpolated ``(cx, cy, width)`` at time ``t`` in [0, 1]."""
    if len(keyframes) == 1:
        return keyframes[0]
    pos = min(max(t, 0.0), 1.0) * (len(keyframes) - 1)
    i = min(int(pos), len(keyframes) - 2)
    u = _ease(pos - i)
    a, b = keyframes[i], keyframes[i + 1]
    return a[0] + (b[0] - a[0]) * u, a[1] + (b[1] - a[1]) * u, a[2] + (b[2] - a[2]) * u


def _view(shape: tuple[int, ...], cam: tuple[float, float, float], size: tuple[int, int]) -> tuple[float, float, float]:
    """The camera's ``(scale, cx, cy)`` over a canvas of ``shape``: point p lands at scale * (p - c) + size / 2.

    The window is kept inside the canvas where it fits.
    """
    out_w, out_h = size
    ch, cw = shape[:2]
    win_w = cam[2] * cw
    win_h = win_w * out_h / out_w
    cx, cy = cam[0] * cw, cam[1] * ch
    if win_w <= cw:
        cx = min(max(cx, win_w / 2), cw - win_w / 2)
    if win_h <= ch:
        cy = min(max(cy, win_h / 2), ch - win_h / 2)
    return out_w / win_w, cx, cy


def _render(canvas: np.ndarray, cam: tuple[float, float, float], size: tuple[int, int]) -> np.ndarray:
    """The camera's view of ``canvas`` at ``size`` (width, height), kept inside the canvas where it fits."""
    import cv2

    out_w, out_h = size
    scale, cx, cy = _view(canvas.shape[:2], cam, size)
    matrix = np.array([[scale, 0.0, out_w / 2 - scale * cx], [0.0, scale, out_h / 2 - scale * cy]])
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.warpAffine(canvas, matrix, (out_w, out_h), flags=interpolation, borderMode=cv2.BORDER_REFLECT)


def _write_video(frames: Sequence[np.ndarray], path: Path, fps: int, codec: VideoCodec) -> None:
    """Encode RGB frames as an MP4 file (H.264 or MPEG-4 part 2, yuv420p, BT.601 limited range), reproducibly.

    The bytes are identical from run to run: the RGB to YUV conversion is done by OpenCV (FFmpeg's swscale picks SIMD
    paths by buffer alignment), and x264's macroblock tree is off (with it the output varied between runs of one
    process). The frames are encoded by a stand-alone codec context whose packets are then muxed.
    """
    import av
    import cv2

    height, width = frames[0].shape[:2]
    time_base = Fraction(1, fps)
    ctx = av.CodecContext.create('libx264' if codec == 'h264' else 'mpeg4', 'w')
    assert isinstance(ctx, av.VideoCodecContext)
    ctx.width, ctx.height, ctx.pix_fmt = width, height, 'yuv420p'
    ctx.time_base, ctx.framerate = time_base, Fraction(fps)
    ctx.flags |= int(av.codec.context.Flags.bitexact)
    ctx.options = {'crf': '23', 'preset': 'veryfast', 'x264-params': 'mbtree=0'} if codec == 'h264' else {'qscale': '4'}
    container_options = {'movflags': '+faststart', 'fflags': '+bitexact'}
    with av.open(str(path), mode='w', format='mp4', options=container_options) as out:
        stream = out.add_mux_stream('h264' if codec == 'h264' else 'mpeg4', rate=fps, width=width, height=height)
        stream.time_base = time_base

        def mux(packets: list[av.Packet]) -> None:
            for packet in packets:
                packet.stream = stream
                packet.time_base = time_base
                out.mux(packet)

        for i, arr in enumerate(frames):
            yuv = np.asarray(cv2.cvtColor(np.ascontiguousarray(arr), cv2.COLOR_RGB2YUV_I420), dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(yuv, format='yuv420p')
            frame.pts = i
            mux(ctx.encode(frame))
        mux(ctx.encode(None))


def _check_video_args(seconds: float, fps: int, size: tuple[int, int]) -> int:
    if fps <= 0 or seconds <= 0:
        raise ValueError(f'seconds and fps must be positive, got seconds={seconds}, fps={fps}')
    if size[0] % 2 or size[1] % 2 or min(size) < 16:
        raise ValueError(f'size must be even and at least 16x16 (yuv420p), got {size}')
    return max(1, round(seconds * fps))


def _video_name(stem: str, num_frames: int, fps: int, size: tuple[int, int], codec: VideoCodec) -> str:
    return f'{stem}_{size[0]}x{size[1]}_{fps}fps_{num_frames}f_{codec}.mp4'


def video_titles(n: int = 2) -> list[str]:
    """The titles of the videos that :func:`videos` makes, e.g. ``'astronaut_pan'``.

    Args:
        n: How many videos.

    Returns:
        ``n`` titles in the order of :func:`videos`.

    Example:
        >>> video_titles(2)[0]
        'astronaut_pan'
    """
    shots = _face_shots()
    titles = []
    for k in range(n):
        shot, variant = shots[k % len(shots)], k // len(shots)
        titles.append(shot.name if variant == 0 else f'{shot.name}_v{variant}')
    return titles


def videos(
    n: int = 2,
    *,
    seconds: float = 4.0,
    fps: int = 10,
    size: tuple[int, int] = (320, 240),
    codec: VideoCodec = 'h264',
) -> list[Path]:
    """Generate (once) ``n`` short MP4 videos in which real faces are visible, and return their paths.

    A virtual camera pans and zooms across the astronaut photo, matplotlib's Grace Hopper portrait (when matplotlib
    is installed) and a gallery of real faces; OpenCV's ``haarcascade_frontalface_default.xml`` finds faces in most
    frames. Past the distinct camera paths, further videos are mirrored, reversed and slightly zoomed variants.

    Args:
        n: How many videos.
        seconds: Length of each video.
        fps: Frames per second.
        size: Frame size ``(width, height)``; both even.
        codec: ``'h264'`` (plays in browsers) or ``'mpeg4'`` (MPEG-4 part 2).

    Returns:
        ``n`` paths in a fixed order; titles as in :func:`video_titles`.

    Raises:
        ValueError: On a negative ``n``, a non-positive length or rate, or an odd frame size.

    Example:
        >>> [p.name for p in videos(1, seconds=1)]
        ['astronaut_pan_320x240_10fps_10f_h264.mp4']
    """
    if n < 0:
        raise ValueError(f'n must be >= 0, got {n}')
    num_frames = _check_video_args(seconds, fps, size)
    shots = _face_shots()
    folder = cache_dir('videos')
    paths = []
    for k, title in enumerate(video_titles(n)):
        shot, variant = shots[k % len(shots)], k // len(shots)

        def write(tmp: Path, shot: _Shot = shot, variant: int = variant) -> None:
            canvas = shot.canvas()
            if variant % 2 == 1:
                canvas = np.ascontiguousarray(canvas[:, ::-1])
            keyframes = [(1.0 - cx if variant % 2 == 1 else cx, cy, w) for cx, cy, w in shot.keyframes]
            if (variant // 2) % 2 == 1:
                keyframes.reverse()
            zoom = 1.0 + 0.08 * (variant // 4)
            keyframes = [(cx, cy, w / zoom) for cx, cy, w in keyframes]
            times = [i / max(1, num_frames - 1) for i in range(num_frames)]
            frames = [_render(canvas, _camera(keyframes, t), size) for t in times]
            _write_video(frames, tmp, fps, codec)

        paths.append(cached_file(folder / _video_name(title, num_frames, fps, size, codec), write))
    return paths
