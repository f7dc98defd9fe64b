"""Labelled hand-written digits from scikit-learn's bundled ``load_digits`` (1,797 8x8 images, no network).

Every row has a fixed train/test split (30 % test, stratified by label, seed 0), so that classifiers trained in a
notebook and evaluated in a widget agree on which rows are held out.

Example:
    >>> from pxwidgets.demo.digits import digit_rows
    >>> row = digit_rows(1)[0]
    >>> row['label'], row['split'], row['image'].size
    (0, 'train', (64, 64))
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal, TypedDict

import numpy as np
import PIL.Image

from pxwidgets.demo.cache import cache_dir, cached_file

Split = Literal['train', 'test']

TEST_FRACTION = 0.3
SPLIT_SEED = 0


class DigitRow(TypedDict):
    """One labelled digit."""

    index: int
    """Row number in ``sklearn.datasets.load_digits()`` (0-1796)."""
    label: int
    """The digit, 0-9."""
    split: Split
    """``'train'`` or ``'test'``."""
    pixels: np.ndarray
    """The 64 features as scikit-learn gives them: float64, 0 (white) to 16 (black), row-major 8x8."""
    image: PIL.Image.Image
    """Grayscale (mode ``L``) picture, black digit on white, upscaled without smoothing."""


@functools.cache
def _load() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features (n, 64), labels (n,) and a boolean test mask (n,)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    x = np.asarray(data.data, dtype=np.float64)
    y = np.asarray(data.target, dtype=np.int64)
    _, test_idx = train_test_split(np.arange(len(y)), test_size=TEST_FRACTION, random_state=SPLIT_SEED, stratify=y)
    test = np.zeros(len(y), dtype=bool)
    test[test_idx] = True
    for arr in (x, y, test):
        arr.setflags(write=False)
    return x, y, test


def digit_image(pixels: np.ndarray, size: int = 64) -> PIL.Image.Image:
    """Render 64 digit features (0-16) as a black-on-white grayscale image.

    Args:
        pixels: 64 values (or an 8x8 array) from 0 (background) to 16 (ink).
        size: Width and height of the image; 8 keeps the original resolution.

    Returns:
        A mode ``L`` image, upscaled with nearest-neighbour (sharp pixels).

    Example:
        >>> digit_image(np.zeros(64), size=16).getextrema()
        (255, 255)
    """
    arr = np.asarray(pixels, dtype=np.float64).reshape(8, 8)
    gray = (255 - np.clip(arr, 0, 16) * 255 / 16).round().astype(np.uint8)
    img = PIL.Image.fromarray(gray)
    return img if size == 8 else img.resize((size, size), PIL.Image.Resampling.NEAREST)


def digit_count() -> int:
    """Number of digits available (1,797).

    Returns:
        The row count of ``load_digits``.

    Example:
        >>> digit_count()
        1797
    """
    return len(_load()[1])


def digit_rows(n: int | None = None, *, size: int = 64, split: Split | None = None) -> list[DigitRow]:
    """Labelled digits with a deterministic train/test split.

    Args:
        n: How many rows, in ``load_digits`` order (None: all 1,797); applied after ``split``.
        size: Side length of each row's ``image`` in pixels.
        split: Only rows of this split.

    Returns:
        Rows with ``index``, ``label``, ``split``, ``pixels`` and ``image``.

    Raises:
        ValueError: If ``n`` is negative or ``size`` not positive.

    Example:
        >>> rows = digit_rows(split='test')
        >>> len(rows), {r['split'] for r in rows}
        (540, {'test'})
    """
    if n is not None and n < 0:
        raise ValueError(f'n must be >= 0, got {n}')
    if size <= 0:
        raise ValueError(f'size must be positive, got {size}')
    x, y, test = _load()
    indices = [i for i in range(len(y)) if split is None or (split == 'test') == bool(test[i])]
    if n is not None:
        indices = indices[:n]
    return [
        {
            'index': i,
            'label': int(y[i]),
            'split': 'test' if test[i] else 'train',
            'pixels': x[i],
            'image': digit_image(x[i], size),
        }
        for i in indices
    ]


def digit_image_files(rows: list[DigitRow], *, size: int = 64) -> list[Path]:
    """Write the rows' images as lossless PNG files into the cache (once) and return their paths.

    Pixeltable stores images inserted as PIL objects as JPEG (lossy); inserting these files keeps the pixels exact.

    Args:
        rows: Rows from :func:`digits`.
        size: Side length of the images in pixels.

    Returns:
        One path per row, ``<index>_<label>.png``.

    Example:
        >>> digit_image_files(digit_rows(1))[0].name
        '0000_0.png'
    """
    folder = cache_dir('digits', f'size{size}')
    return [
        cached_file(
            folder / f'{row["index"]:04d}_{row["label"]}.png', functools.partial(_write_png, row['pixels'], size)
        )
        for row in rows
    ]


def _write_png(pixels: np.ndarray, size: int, tmp: Path) -> None:
    digit_image(pixels, size).save(tmp, format='PNG', optimize=False)
