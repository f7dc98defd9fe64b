"""Demo photos from images that ship inside installed packages (no network): scikit-image's bundled sample data (plus
matplotlib's ``grace_hopper.jpg`` when matplotlib is installed), written as JPEG files into the cache, with variations
once the bundled photos run out.

Example:
    >>> [p.name for p in photos(2)]
    ['astronaut.jpg', 'coffee.jpg']
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Callable
from pathlib import Path

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
