"""Pixeltable tables filled with the demo data: photos, face videos, labelled digits and reference documents.

Every builder is idempotent: it creates its table only if missing, then inserts only the rows whose key (title,
topic or digit index) the table lacks. Calling it again, or again with a larger size, is cheap and safe.

Example:
    >>> from pxwidgets.demo.catalog import build_demo_catalog
    >>> cat = build_demo_catalog('demo')  # doctest: +SKIP
    >>> cat.videos.count()  # doctest: +SKIP
    2
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from pxwidgets.demo.digits import digit_image_files, digit_rows
from pxwidgets.demo.documents import reference_documents, reference_title
from pxwidgets.demo.media import photo_caption, photos, video_titles, videos
from pxwidgets.errors import InvalidRequestError

if TYPE_CHECKING:
    import pixeltable as pxt

_COMMENT = 'pxwidgets demo data (pxwidgets.demo), generated offline'


@dataclass(frozen=True)
class DemoSizes:
    """How many rows each demo table gets."""

    photos: int
    videos: int
    video_seconds: float
    video_size: tuple[int, int]
    digits: int | None
    docs: int | None


SMALL = DemoSizes(photos=8, videos=2, video_seconds=3.0, video_size=(320, 240), digits=300, docs=12)
"""Fast defaults for tests and quick demos (a few seconds to build)."""

LARGE = DemoSizes(photos=60, videos=4, video_seconds=8.0, video_size=(640, 480), digits=None, docs=None)
"""Everything: all 1,797 digits and all 79 documents, 60 photos, four 8-second 640x480 videos."""


@dataclass(frozen=True)
class DemoCatalog:
    """The demo tables that :func:`build_demo_catalog` returns."""

    photos: pxt.Table
    videos: pxt.Table
    digits: pxt.Table
    docs: pxt.Table

    def __iter__(self) -> Iterator[pxt.Table]:
        return iter((self.photos, self.videos, self.digits, self.docs))

    def as_dict(self) -> dict[str, pxt.Table]:
        """The tables by short name.

        Returns:
            ``{'photos': ..., 'videos': ..., 'digits': ..., 'docs': ...}``.

        Example:
            >>> sorted(build_demo_catalog().as_dict())  # doctest: +SKIP
            ['digits', 'docs', 'photos', 'videos']
        """
        return {'photos': self.photos, 'videos': self.videos, 'digits': self.digits, 'docs': self.docs}


def _ensure_table(path: str, schema: dict[str, Any], key: str, rows: list[dict[str, Any]], comment: str) -> pxt.Table:
    """Create ``path`` if missing and insert the rows whose ``key`` value it lacks."""
    import pixeltable as pxt

    if '/' in path:
        pxt.create_dir(path.rsplit('/', 1)[0], parents=True, if_exists='ignore')
    table = pxt.create_table(path, schema, if_exists='ignore', comment=comment)
    missing = [name for name in schema if name not in table.columns()]
    if missing:
        raise InvalidRequestError(
            f'{path!r} exists but lacks the demo column(s) {missing}.',
            hint='Pass another path, or drop that table first.',
        )
    present = set(table.select(table[key]).collect()[key]) if table.count() > 0 else set()
    new_rows = [row for row in rows if row[key] not in present]
    if new_rows:
        table.insert(new_rows)
    return table


def photos_table(path: str = 'demo/photos', *, n: int = SMALL.photos) -> pxt.Table:
    """A table of demo photos: ``image`` (Image), ``title`` (String, the key) and ``caption`` (String).

    Args:
        path: Pixeltable path of the table; its directory is created if needed.
        n: Number of photos (see :func:`pxwidgets.demo.media.photos`).

    Returns:
        The table, holding at least those ``n`` photos.

    Raises:
        InvalidRequestError: If a table without these columns already exists at ``path``.

    Example:
        >>> photos_table('demo/photos', n=4).count()  # doctest: +SKIP
        4
    """
    import pixeltable as pxt

    rows = [{'image': str(p), 'title': p.stem, 'caption': photo_caption(p)} for p in photos(n)]
    schema = {'image': pxt.Image, 'title': pxt.String, 'caption': pxt.String}
    return _ensure_table(path, schema, 'title', rows, f'{_COMMENT}: photos')


def videos_table(
    path: str = 'demo/videos',
    *,
    n: int = SMALL.videos,
    seconds: float = SMALL.video_seconds,
    fps: int = 10,
    size: tuple[int, int] = SMALL.video_size,
) -> pxt.Table:
    """A table of generated videos with real faces: ``video`` (Video), ``title`` (String, the key).

    Args:
        path: Pixeltable path of the table; its directory is created if needed.
        n: Number of videos (see :func:`pxwidgets.demo.media.videos`).
        seconds: Length of each video.
        fps: Frames per second.
        size: Frame size ``(width, height)``.

    Returns:
        The table, holding at least those ``n`` videos (a video already present by title is kept as it is).

    Raises:
        InvalidRequestError: If a table without these columns already exists at ``path``.

    Example:
        >>> videos_table('demo/videos', n=1).count()  # doctest: +SKIP
        1
    """
    import pixeltable as pxt

    paths = videos(n, seconds=seconds, fps=fps, size=size)
    rows = [{'video': str(p), 'title': title} for p, title in zip(paths, video_titles(n), strict=True)]
    schema = {'video': pxt.Video, 'title': pxt.String}
    return _ensure_table(path, schema, 'title', rows, f'{_COMMENT}: videos')


def digits_table(path: str = 'demo/digits', *, n: int | None = SMALL.digits, size: int = 64) -> pxt.Table:
    """A table of labelled digits.

    Columns: ``idx`` (Int, the key: row of ``load_digits``), ``image`` (Image, lossless PNG), ``label`` (Int),
    ``split`` (String, ``'train'`` or ``'test'``) and ``pixels`` (Array[(64,), Float], scikit-learn's 64 features as
    float32). Registers the demo digit classifiers (``'classify_digit'``) in the process-wide transform registry, so a
    consensus or a panel over the table can add them by name.

    Args:
        path: Pixeltable path of the table; its directory is created if needed.
        n: Number of digits (None: all 1,797).
        size: Side length of the images in pixels.

    Returns:
        The table, holding at least the first ``n`` digits.

    Raises:
        InvalidRequestError: If a table without these columns already exists at ``path``.

    Example:
        >>> digits_table('demo/digits', n=50).count()  # doctest: +SKIP
        50
    """
    import pixeltable as pxt

    from pxwidgets.demo.classifiers import register_digit_classifiers

    register_digit_classifiers()
    data = digit_rows(n, size=size)
    files = digit_image_files(data, size=size)
    rows = [
        {
            'idx': r['index'],
            'image': str(f),
            'label': r['label'],
            'split': r['split'],
            'pixels': r['pixels'].astype(np.float32),  # Pixeltable's Float arrays are float32; 0-16 stay exact
        }
        for r, f in zip(data, files, strict=True)
    ]
    schema = {
        'idx': pxt.Int,
        'image': pxt.Image,
        'label': pxt.Int,
        'split': pxt.String,
        'pixels': pxt.Array[(64,), pxt.Float],  # type: ignore[misc]
    }
    return _ensure_table(path, schema, 'idx', rows, f'{_COMMENT}: digits')


def docs_table(path: str = 'demo/docs', *, n: int | None = SMALL.docs) -> pxt.Table:
    """A table of Python language reference topics as HTML documents.

    Columns: ``doc`` (Document), ``topic`` (String, the key) and ``title`` (String).

    Args:
        path: Pixeltable path of the table; its directory is created if needed.
        n: Number of documents in sorted topic order (None: all 79).

    Returns:
        The table, holding at least those ``n`` documents.

    Raises:
        InvalidRequestError: If a table without these columns already exists at ``path``.

    Example:
        >>> docs_table('demo/docs', n=3).count()  # doctest: +SKIP
        3
    """
    import pixeltable as pxt

    rows = [{'doc': str(p), 'topic': p.stem, 'title': reference_title(p)} for p in reference_documents(n)]
    schema = {'doc': pxt.Document, 'topic': pxt.String, 'title': pxt.String}
    return _ensure_table(path, schema, 'topic', rows, f'{_COMMENT}: documents')


def build_demo_catalog(dir: str = 'demo', *, small: bool = True) -> DemoCatalog:
    """Create (or complete) the demo tables ``<dir>/photos``, ``<dir>/videos``, ``<dir>/digits`` and ``<dir>/docs``.

    Idempotent: existing tables are kept and only missing rows are inserted, so a second call inserts nothing.

    Args:
        dir: Pixeltable directory (created with its parents if needed).
        small: :data:`SMALL` sizes (fast, the default) or :data:`LARGE` ones.

    Returns:
        The four tables.

    Raises:
        InvalidRequestError: If a table without the demo columns already exists at one of the paths.

    Example:
        >>> cat = build_demo_catalog('demo')  # doctest: +SKIP
        >>> cat.docs.count(), cat.digits.count()  # doctest: +SKIP
        (12, 300)
    """
    import pixeltable as pxt

    sizes = SMALL if small else LARGE
    pxt.create_dir(dir, parents=True, if_exists='ignore')
    return DemoCatalog(
        photos=photos_table(f'{dir}/photos', n=sizes.photos),
        videos=videos_table(f'{dir}/videos', n=sizes.videos, seconds=sizes.video_seconds, size=sizes.video_size),
        digits=digits_table(f'{dir}/digits', n=sizes.digits),
        docs=docs_table(f'{dir}/docs', n=sizes.docs),
    )
