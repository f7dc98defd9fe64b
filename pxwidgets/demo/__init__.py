"""Demo data sets for notebooks and tests: deterministic, cached on disk, made offline from installed packages.

- :mod:`~pxwidgets.demo.media`: photos (scikit-image, matplotlib's Grace Hopper when installed) and generated MP4
  videos in which OpenCV's Haar cascade finds real faces; a moving-shapes video with exact ground truth.
- :mod:`~pxwidgets.demo.documents`: CPython's language reference (``pydoc_data.topics``) as 79 HTML documents.
- :mod:`~pxwidgets.demo.digits`: scikit-learn's labelled digits with a fixed train/test split.
- :mod:`~pxwidgets.demo.catalog`: Pixeltable tables built from them (:func:`build_demo_catalog`).

Files are cached under ``$PXW_CACHE_DIR`` (default ``~/.cache/pxwidgets``); see :mod:`~pxwidgets.demo.cache`.
The catalog module imports Pixeltable lazily, so the data functions work without starting a database.

Example:
    >>> from pxwidgets import demo
    >>> len(demo.reference_documents()), demo.photos(1)[0].name
    (79, 'astronaut.jpg')
"""

from __future__ import annotations

from pxwidgets.demo.cache import cache_dir, cache_root
from pxwidgets.demo.catalog import (
    LARGE,
    SMALL,
    DemoCatalog,
    DemoSizes,
    build_demo_catalog,
    digits_table,
    docs_table,
    photos_table,
    videos_table,
)
from pxwidgets.demo.digits import DigitRow, digit_count, digit_image, digit_image_files, digit_rows
from pxwidgets.demo.documents import parse_topic, reference_documents, reference_title, reference_topics, topic_html
from pxwidgets.demo.media import (
    ShapeBox,
    bundled_photos,
    photo_caption,
    photo_names,
    photos,
    shapes_ground_truth,
    shapes_video,
    video_titles,
    videos,
)

__all__ = [
    'LARGE',
    'SMALL',
    'DemoCatalog',
    'DemoSizes',
    'DigitRow',
    'ShapeBox',
    'build_demo_catalog',
    'bundled_photos',
    'cache_dir',
    'cache_root',
    'digit_count',
    'digit_image',
    'digit_image_files',
    'digit_rows',
    'digits_table',
    'docs_table',
    'parse_topic',
    'photo_caption',
    'photo_names',
    'photos',
    'photos_table',
    'reference_documents',
    'reference_title',
    'reference_topics',
    'shapes_ground_truth',
    'shapes_video',
    'topic_html',
    'video_titles',
    'videos',
    'videos_table',
]
