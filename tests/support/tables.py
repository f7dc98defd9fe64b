"""Small real tables for tests: images, text (including hostile strings), JSON detections, arrays, failures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import PIL.Image
import pixeltable as pxt
import skimage.data

from tests.support.udfs import fails_on_odd

XSS_STRINGS = ('<img src=x onerror="window.__pwned=1">', '<script>window.__pwned=2</script>')


def write_photos(directory: Path, n: int) -> list[str]:
    """``n`` distinct JPEG files (crops of a bundled photo)."""
    directory.mkdir(parents=True, exist_ok=True)
    base = skimage.data.astronaut()
    paths = []
    for i in range(n):
        img = PIL.Image.fromarray(base[(i * 7) % 100 :, (i * 11) % 100 :])
        path = directory / f'photo_{i:03d}.jpg'
        img.save(path, quality=85)
        paths.append(str(path))
    return paths


def make_mixed_table(path: str, media_dir: Path, n: int = 12) -> pxt.Table:
    """A table with every kind of cell the browser renders, and a computed column failing on odd rows."""
    photos = write_photos(media_dir, n)
    t = pxt.create_table(
        path,
        {
            'image': pxt.Image,
            'title': pxt.String,
            'n': pxt.Int,
            'score': pxt.Float | None,
            'dets': pxt.Json | None,
            'vec': pxt.Array[(4,), pxt.Float] | None,  # type: ignore[misc]
        },
    )
    rows = []
    for i in range(n):
        title = XSS_STRINGS[i % 2] if i < 2 else f'photo {i:02d}'
        rows.append(
            {
                'image': photos[i],
                'title': title,
                'n': i,
                'score': None if i == 3 else i / 10,
                'dets': {'bboxes': [[10.0, 20.0, 110.0, 220.0]], 'labels': ['face'], 'scores': [0.9]},
                'vec': np.arange(4, dtype=np.float32) + i,
            }
        )
    t.insert(rows)
    t.add_computed_column(tenfold=fails_on_odd(t.n), on_error='ignore')
    t.add_computed_column(width=t.image.width)
    return t
