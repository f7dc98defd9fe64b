"""Tables and UDFs for the consensus tests, in a module so that columns built on them survive a process restart."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import PIL.Image
import pixeltable as pxt
import pytest
import skimage.data

from pxwidgets.demo.classifiers import register_digit_classifiers
from pxwidgets.demo.digits import digit_image_files, digit_rows


def module_dir() -> Callable[..., Iterator[str]]:
    """A module-scoped fixture: a fresh Pixeltable directory for the module's tables, dropped at its end.

    Use it as ``home_dir = module_dir()`` at a test module's top level.
    """

    @pytest.fixture(scope='module')
    def home_dir(pxt_home: object) -> Iterator[str]:
        name = f't_{uuid.uuid4().hex[:10]}'
        pxt.create_dir(name)
        yield name
        pxt.drop_dir(name, force=True, if_not_exists='ignore')

    return home_dir


@pxt.udf
def flaky_digit(idx: int, label: int) -> dict:
    """A 'model' that answers the true label, but says 1 on rows divisible by 5 and fails on rows divisible by 7."""
    if idx % 7 == 0:
        raise RuntimeError(f'flaky model failed on row {idx}')
    return {'label': 1 if idx % 5 == 0 else label, 'confidence': 0.5}


@pxt.udf
def fake_boxes(idx: int) -> dict:
    """A 'model' that outputs detections (to mix kinds)."""
    return {'bboxes': [[0.0, 0.0, 4.0, 4.0]], 'labels': ['x'], 'scores': [float(idx % 3) / 3]}


@pxt.udf
def first_model_wins(votes: dict) -> str | None:
    """A consensus_fn: the first model that answered."""
    for vote in votes.values():
        if vote['label'] is not None:
            return vote['label']
    return None


def digits_table(path: str, n: int = 60, *, offset: int = 0) -> pxt.Table:
    """Test digits with ground truth (missing on every 9th row) and a hand-made, stored label column ('hand'); the
    demo's digit classifiers are registered (``'classify_digit'``), as the demo's own digits table does."""
    register_digit_classifiers()
    t = pxt.create_table(path, {'idx': pxt.Int, 'image': pxt.Image, 'label': pxt.Int | None, 'hand': pxt.Int | None})
    t.insert(digit_records(n, offset=offset))
    return t


def digit_records(n: int, *, offset: int = 0) -> list[dict]:
    rows = digit_rows(split='test')[offset : offset + n]
    files = digit_image_files(rows)
    return [
        {
            'idx': offset + i,
            'image': str(f),
            'label': None if (offset + i) % 9 == 4 else r['label'],
            'hand': (r['label'] + 1) % 10 if (offset + i) % 4 == 0 else r['label'],
        }
        for i, (f, r) in enumerate(zip(files, rows, strict=True))
    ]


def face_photos(directory: Path, n: int = 4) -> list[str]:
    """Photos with a face (scikit-image's astronaut, shifted and scaled) and one without (coffee)."""
    directory.mkdir(parents=True, exist_ok=True)
    base = PIL.Image.fromarray(skimage.data.astronaut())
    paths = []
    for i in range(n - 1):
        img = base.crop((i * 20, i * 10, 512 - i * 10, 512 - i * 20)).resize((256 - 16 * i, 256 - 16 * i))
        path = directory / f'face_{i}.jpg'
        img.save(path, quality=90)
        paths.append(str(path))
    path = directory / 'coffee.jpg'
    PIL.Image.fromarray(np.asarray(skimage.data.coffee())).resize((200, 133)).save(path, quality=90)
    paths.append(str(path))
    return paths
