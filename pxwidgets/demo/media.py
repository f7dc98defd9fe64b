"""Demo photos and videos, made from images that ship inside installed packages (no network).

Photos come from scikit-image's bundled sample data (plus matplotlib's ``grace_hopper.jpg`` when matplotlib is
installed) and are written as JPEG files into the cache. Videos are generated: a virtual camera pans and zooms across
photos that contain real faces (or across a gallery of real faces from scikit-image's LFW subset), so that OpenCV's Haar
face cascade finds faces in the frames; a video of moving shapes comes with its exact ground truth. Everything is
deterministic and cached (see :mod:`pxwidgets.demo.cache`).

Example:
    >>> from pxwidgets.demo.media import photos, videos
    >>> [p.name for p in photos(2)]
    ['astronaut.jpg', 'coffee.jpg']
    >>> videos(1)[0].suffix
    '.mp4'
"""

from __future__ import annotations

import functools
import importlib.util
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Literal, TypedDict

import numpy as np
import PIL.Image
import PIL.ImageOps

from pxwidgets.demo.cache import cache_dir, cached_file

JPEG_QUALITY = 90
MAX_PHOTO_SIDE = 800

# Photo name -> (scikit-image loader name, caption). Order is the order of `bundled_photos()`.
_SKIMAGE_PHOTOS: dict[str, tuple[str, str]] = {
    'astronaut': ('astronaut', 'NASA portrait of astronaut Eileen Collins holding her helmet'),
    'coffee': ('coffee', 'A cup of coffee on a saucer with a spoon'),
    'chelsea': ('chelsea', 'Chelsea the tabby cat, close up'),
    'camera': ('camera', 'A cameraman with a camera on a tripod in a field, black and white'),
    'rocket': ('rocket', 'A rocket on its launch pad at dusk between lightning towers'),
    'coins': ('coins', 'Ancient Greek coins laid out in rows on a dark background'),
    'hubble_deep_field': ('hubble_deep_field', 'Hubble deep field: hundreds of distant galaxies'),
    'immunohistochemistry': ('immunohistochemistry', 'Tissue sample stained brown and blue under a microscope'),
    'retina': ('retina', 'Photograph of the back of a human eye showing the retina and blood vessels'),
    'colorwheel': ('colorwheel', 'A colour wheel with the full range of hues'),
    'moon': ('moon', 'The cratered surface of the moon, black and white'),
    'page': ('page', 'A scanned page of printed text about image segmentation'),
    'text': ('text', 'Handwritten text on a slanted board'),
    'brick': ('brick', 'A brick wall, black and white texture'),
    'grass': ('grass', 'Grass, black and white texture'),
    'gravel': ('gravel', 'Gravel, black and white texture'),
    'horse': ('horse', 'Black silhouette of a horse on white'),
    'logo': ('logo', 'The scikit-image logo: a snake in an orange and green circle'),
}
_GRACE_HOPPER_CAPTION = 'Portrait of Rear Admiral Grace Hopper in uniform'

# Variations used by `photos(n)` once the bundled photos run out: (suffix, transform).
_VARIATIONS: list[tuple[str, Callable[[PIL.Image.Image], PIL.Image.Image]]] = [
    ('mirror', PIL.ImageOps.mirror),
    ('crop', lambda im: im.crop(_center_box(im.size, 0.7))),
    ('gray', lambda im: PIL.ImageOps.grayscale(im).convert('RGB')),
    ('rot90', lambda im: im.transpose(PIL.Image.Transpose.ROTATE_90)),
    ('dark', lambda im: im.point(lambda v: v * 6 // 10)),
    ('flip', PIL.ImageOps.flip),
    ('small', lambda im: im.resize((max(1, im.width // 2), max(1, im.height // 2)), PIL.Image.Resampling.LANCZOS)),
    ('contrast', PIL.ImageOps.autocontrast),
]


def _center_box(size: tuple[int, int], frac: float) -> tuple[int, int, int, int]:
    w, h = size
    cw, ch = round(w * frac), round(h * frac)
    x0, y0 = (w - cw) // 2, (h - ch) // 2
    return x0, y0, x0 + cw, y0 + ch


def _matplotlib_sample(name: str) -> Path | None:
    """Path of a file in matplotlib's ``mpl-data/sample_data`` without importing matplotlib, or None."""
    try:
        spec = importlib.util.find_spec('matplotlib')
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        path = Path(location) / 'mpl-data' / 'sample_data' / name
        if path.is_file():
            return path
    return None


def _to_rgb_array(arr: np.ndarray) -> np.ndarray:
    """A scikit-image sample as uint8 RGB or L (alpha composited on white, booleans as black on white)."""
    if arr.dtype == bool:
        arr = np.where(arr, 0, 255).astype(np.uint8)
    elif arr.dtype != np.uint8:
        arr = np.clip(arr * 255.0, 0, 255).round().astype(np.uint8)
    if arr.ndim == 3 and arr.shape[2] == 4:
        rgb = arr[..., :3].astype(np.float64)
        alpha = arr[..., 3:4].astype(np.float64) / 255.0
        arr = (rgb * alpha + 255.0 * (1.0 - alpha)).round().astype(np.uint8)
    return arr


def _load_source(name: str) -> PIL.Image.Image:
    """The original image of a bundled photo (RGB or L), before resizing."""
    if name == 'grace_hopper':
        path = _matplotlib_sample('grace_hopper.jpg')
        if path is None:
            raise FileNotFoundError('grace_hopper.jpg needs matplotlib, which is not installed')
        with PIL.Image.open(path) as im:
            return im.convert('RGB')
    import skimage.data

    loader = getattr(skimage.data, _SKIMAGE_PHOTOS[name][0])
    return PIL.Image.fromarray(_to_rgb_array(np.asarray(loader())))


def _limit_size(im: PIL.Image.Image, max_side: int = MAX_PHOTO_SIDE) -> PIL.Image.Image:
    if max(im.size) <= max_side:
        return im
    scale = max_side / max(im.size)
    return im.resize((round(im.width * scale), round(im.height * scale)), PIL.Image.Resampling.LANCZOS)


def _save_jpeg(im: PIL.Image.Image, path: Path) -> None:
    im.save(path, format='JPEG', quality=JPEG_QUALITY, optimize=False, progressive=False)


def _write_photo(name: str, tmp: Path) -> None:
    _save_jpeg(_limit_size(_load_source(name)), tmp)


def photo_names() -> list[str]:
    """Names of the bundled photos available here, in their fixed order.

    ``grace_hopper`` comes last and only when matplotlib is installed.

    Returns:
        Names such as ``'astronaut'``; each is the stem of the file that :func:`bundled_photos` writes.

    Example:
        >>> photo_names()[:3]
        ['astronaut', 'coffee', 'chelsea']
    """
    names = list(_SKIMAGE_PHOTOS)
    if _matplotlib_sample('grace_hopper.jpg') is not None:
        names.append('grace_hopper')
    return names


def photo_caption(name_or_path: str | Path) -> str:
    """A one-sentence description of a bundled photo or of one of its variations.

    Args:
        name_or_path: A name from :func:`photo_names`, or a path that :func:`photos` returned.

    Returns:
        The caption; a variation's caption names the variation, e.g. ``'... (mirror)'``.

    Example:
        >>> photo_caption('coffee')
        'A cup of coffee on a saucer with a spoon'
    """
    stem = Path(name_or_path).stem
    base, _, variation = stem.partition('__')
    caption = _GRACE_HOPPER_CAPTION if base == 'grace_hopper' else _SKIMAGE_PHOTOS[base][1]
    if variation:
        caption = f'{caption} ({variation.split("_", 1)[-1]})'
    return caption


def bundled_photos() -> list[Path]:
    """Write every bundled photo as a JPEG into the cache (once) and return the paths.

    Returns:
        One ``<name>.jpg`` per entry of :func:`photo_names`, in that order; at most 800 pixels on a side.

    Example:
        >>> paths = bundled_photos()
        >>> paths[0].name, len(paths) >= 18
        ('astronaut.jpg', True)
    """
    folder = cache_dir('photos')
    return [cached_file(folder / f'{name}.jpg', functools.partial(_write_photo, name)) for name in photo_names()]


def photos(n: int | None = None) -> list[Path]:
    """Paths of ``n`` demo photos: the bundled ones first, then deterministic variations of them.

    Variations (mirror, crop, grayscale, rotation, ...) are named ``<name>__<k>_<variation>.jpg``.

    Args:
        n: How many photos; None for just the bundled ones.

    Returns:
        ``n`` JPEG paths in a fixed order (each generated once and cached).

    Raises:
        ValueError: If ``n`` is negative.

    Example:
        >>> len(photos(30)), photos(30)[-1].name.startswith(photos(1)[0].stem) or True
        (30, True)
    """
    base = bundled_photos()
    if n is None:
        return base
    if n < 0:
        raise ValueError(f'n must be >= 0, got {n}')
    if n <= len(base):
        return base[:n]
    folder = cache_dir('photos')
    result = list(base)
    for k in range(n - len(base)):
        source = base[k % len(base)]
        var_index = (k // len(base)) % len(_VARIATIONS)
        suffix, transform = _VARIATIONS[var_index]
        round_ = k // (len(base) * len(_VARIATIONS))
        name = f'{source.stem}__{k // len(base)}_{suffix}.jpg'

        def write(
            tmp: Path,
            source: Path = source,
            transform: Callable[[PIL.Image.Image], PIL.Image.Image] = transform,
            round_: int = round_,
        ) -> None:
            with PIL.Image.open(source) as im:
                out = transform(im.convert('RGB'))
                for _ in range(round_):  # past the list of variations: also mirror / shrink again
                    out = PIL.ImageOps.mirror(out)
                    out = out.resize((max(8, out.width * 9 // 10), max(8, out.height * 9 // 10)))
                _save_jpeg(out, tmp)

        result.append(cached_file(folder / name, write))
    return result


# --------------------------------------------------------------------------------------------------------------------
# Videos

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


# --------------------------------------------------------------------------------------------------------------------
# Moving shapes with exact ground truth

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


# --------------------------------------------------------------------------------------------------------------------
# Exact face boxes in the face videos

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
