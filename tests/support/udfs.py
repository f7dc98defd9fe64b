"""UDFs for tests, in a module so that they survive a process restart (as real UDFs must)."""

from __future__ import annotations

import time

import PIL.Image
import pixeltable as pxt


@pxt.udf
def fails_on_odd(n: int) -> int:
    """Return n * 10; raise on odd n, so a computed column records per-row errors."""
    if n % 2:
        raise ValueError(f'odd value {n}')
    return n * 10


@pxt.udf
def slow_identity(n: int) -> int:
    """Return n after a pause: a long computed column that holds a lock on its table."""
    time.sleep(0.5)
    return n


@pxt.udf
def rotate_landscape(image: PIL.Image.Image) -> PIL.Image.Image:
    """Rotate a landscape image a quarter turn; refuse portrait images (so some rows fail)."""
    if image.width < image.height:
        raise ValueError(f'portrait image {image.width}x{image.height}')
    return image.rotate(90, expand=True)
