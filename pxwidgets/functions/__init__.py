"""UDFs and model adapters defined in modules, so that computed columns using them survive a kernel restart.

Example:
    >>> from pxwidgets.functions import count_detections, detect_faces, when
"""

from __future__ import annotations

from pxwidgets.functions.conditional import if_else, when
from pxwidgets.functions.detection import (
    Detections,
    count_detections,
    detect_eyes,
    detect_faces,
    detect_people,
    keep_detections,
    label_name,
)
from pxwidgets.functions.embeddings import embed_text
from pxwidgets.functions.text import sentencizer_dir

__all__ = [
    'Detections',
    'count_detections',
    'detect_eyes',
    'detect_faces',
    'detect_people',
    'embed_text',
    'if_else',
    'keep_detections',
    'label_name',
    'sentencizer_dir',
    'when',
]
