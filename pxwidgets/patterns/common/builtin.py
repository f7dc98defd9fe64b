"""The ready transforms pxwidgets ships; every one runs offline on what the installed packages contain.

Example:
    >>> [t.name for t in builtin_transforms()][:3]
    ['extract_frames', 'split_document', 'split_sentences']
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable
from typing import Any, cast

from pixeltable import exprs

from pxwidgets.functions.conditional import when
from pxwidgets.functions.detection import (
    EYE_CASCADES,
    FACE_CASCADES,
    count_detections,
    detect_eyes,
    detect_faces,
    detect_people,
    keep_detections,
)
from pxwidgets.functions.embeddings import embed_text
from pxwidgets.functions.text import sentencizer_dir
from pxwidgets.patterns.common.params import Param
from pxwidgets.patterns.common.transforms import Transform

COMPARISONS: dict[str, Callable[[Any, Any], Any]] = {
    '>': operator.gt,
    '>=': operator.ge,
    '<': operator.lt,
    '<=': operator.le,
    '==': operator.eq,
    '!=': operator.ne,
}
"""The comparison operators a form offers, applied to Pixeltable expressions."""

YOLOX_MODELS = ('yolox_nano', 'yolox_tiny', 'yolox_s', 'yolox_m', 'yolox_l', 'yolox_x')


def compare(value: exprs.Expr, op: str, other: Any) -> exprs.Expr:
    """The Pixeltable comparison ``value <op> other``.

    Example:
        >>> compare(t.n_faces, '>', 0)  # doctest: +SKIP
    """
    return COMPARISONS[op](value, other)


def _op_param() -> Param:
    return Param('op', 'choice', '>', 'How to compare', choices=tuple(COMPARISONS))


def _haar(name: str, what: str, cascades: tuple[str, ...], min_size: int, detector: Any) -> Transform:
    """A detector over one of OpenCV's Haar cascades (``pxwidgets.functions.detection.<name>``)."""
    return Transform(
        name=name,
        description=f"{what} found by one of OpenCV's Haar cascades.",
        kind='column',
        input_type='image',
        params=(
            Param('cascade', 'choice', cascades[0], "Which of OpenCV's Haar cascades", choices=cascades),
            Param('scale_factor', 'float', 1.1, 'Shrink factor between scales', minimum=1.01, maximum=2.0),
            Param('min_neighbors', 'int', 5, 'Overlapping candidates needed to keep a box', minimum=0, maximum=50),
            Param('min_size', 'int', min_size, 'Smallest box side, in pixels', minimum=1, maximum=4096),
        ),
        build=lambda image, **p: detector(image, **p),
        output_type='detections',
        source=f'pxwidgets.functions.detection.{name}',
    )


def _frames(video: exprs.Expr, fps: float) -> Any:
    from pixeltable.functions.video import frame_iterator

    return cast(Any, frame_iterator)(video, fps=fps)


def _split_document(document: exprs.Expr, separator: str, metadata: str) -> Any:
    from pixeltable.functions.document import document_splitter

    extra = {'spacy_model': str(sentencizer_dir())} if separator == 'sentence' else {}
    return cast(Any, document_splitter)(document, separators=separator, metadata=metadata, **extra)


def _split_sentences(text: exprs.Expr) -> Any:
    from pixeltable.functions.string import string_splitter

    return string_splitter(text, separators='sentence', spacy_model=str(sentencizer_dir()))


def _yolox(image: exprs.Expr, model_id: str, threshold: float) -> Any:
    from pixeltable.functions.yolox import yolox

    return yolox(image, model_id=model_id, threshold=threshold)


def builtin_transforms() -> list[Transform]:
    """Every transform pxwidgets ships, in menu order.

    Example:
        >>> {t.kind for t in builtin_transforms()} == {'iterator', 'column', 'filter'}
        True
    """
    shipped = [
        Transform(
            name='extract_frames',
            description='Frames of each video, at a fixed rate (one row per frame).',
            kind='iterator',
            input_type='video',
            params=(Param('fps', 'float', 1.0, 'Frames per second', exclusive_minimum=0.0, maximum=120.0),),
            build=_frames,
            output='frame',
            output_type='image',
            source='pixeltable.functions.video.frame_iterator',
        ),
        Transform(
            name='split_document',
            description='Chunks of each document (HTML, Markdown, PDF, text) by heading, paragraph or sentence.',
            kind='iterator',
            input_type='document',
            params=(
                Param(
                    'separator', 'choice', 'paragraph', 'Where to split', choices=('heading', 'paragraph', 'sentence')
                ),
                Param(
                    'metadata',
                    'choice',
                    'title,heading',
                    'Metadata columns to add',
                    choices=('', 'title', 'heading', 'title,heading'),
                ),
            ),
            build=_split_document,
            output='text',
            output_type='string',
            source='pixeltable.functions.document.document_splitter',
            notes="Sentences use spaCy's rule-based sentencizer, saved once to the pxwidgets cache (no download).",
        ),
        Transform(
            name='split_sentences',
            description='Sentences of each text (one row per sentence).',
            kind='iterator',
            input_type='string',
            params=(),
            build=_split_sentences,
            output='text',
            output_type='string',
            source='pixeltable.functions.string.string_splitter',
            notes="spaCy's rule-based sentencizer, saved once to the pxwidgets cache (no download).",
        ),
        _haar('detect_faces', 'Faces', FACE_CASCADES, 30, detect_faces),
        _haar('detect_eyes', 'Eyes', EYE_CASCADES, 10, detect_eyes),
        Transform(
            name='detect_people',
            description="Standing people found by OpenCV's HOG people detector.",
            kind='column',
            input_type='image',
            params=(
                Param('win_stride', 'int', 8, 'Sliding window step, in pixels', minimum=1, maximum=64),
                Param('scale', 'float', 1.05, 'Shrink factor between scales', minimum=1.01, maximum=2.0),
                Param('hit_threshold', 'float', 0.0, 'Smallest SVM margin kept', minimum=-10.0, maximum=10.0),
            ),
            build=lambda image, **p: detect_people(image, **p),
            output_type='detections',
            source='pxwidgets.functions.detection.detect_people',
        ),
        Transform(
            name='detect_objects',
            description='Objects of the 80 COCO classes found by a YOLOX model.',
            kind='column',
            input_type='image',
            params=(
                Param('model_id', 'choice', 'yolox_tiny', 'YOLOX model size', choices=YOLOX_MODELS),
                Param('threshold', 'float', 0.5, 'Smallest confidence kept', minimum=0.0, maximum=1.0),
            ),
            build=_yolox,
            output_type='detections',
            source='pixeltable.functions.yolox.yolox',
            notes='Weights load from $YOLOX_HOME/weights/<model_id>.pth (default ~/.cache/yolox); '
            'a missing file is downloaded from GitHub, which needs the network.',
        ),
        Transform(
            name='keep_detections',
            description='Only the detections with given labels and at least a given score.',
            kind='column',
            input_type='json',
            params=(
                Param('labels', 'string', '', 'Comma-separated labels to keep (empty: all)'),
                Param('min_score', 'float', 0.0, 'Smallest score kept'),
            ),
            build=lambda detections, **p: keep_detections(detections, **p),
            output_type='detections',
            source='pxwidgets.functions.detection.keep_detections',
        ),
        Transform(
            name='count_detections',
            description='The number of detections.',
            kind='column',
            input_type='json',
            params=(),
            build=lambda detections: count_detections(detections),
            output_type='int',
            source='pxwidgets.functions.detection.count_detections',
        ),
        Transform(
            name='resize_image',
            description='The image resized to a fixed width and height.',
            kind='column',
            input_type='image',
            params=(
                Param('width', 'int', 224, 'Width, in pixels', minimum=1, maximum=4096),
                Param('height', 'int', 224, 'Height, in pixels', minimum=1, maximum=4096),
            ),
            build=lambda image, width, height: image.resize((width, height)),
            output_type='image',
            source='pixeltable.functions.image.resize',
        ),
        Transform(
            name='embed_text',
            description='A sentence embedding (all-MiniLM-L6-v2, 384 numbers).',
            kind='column',
            input_type='string',
            params=(),
            build=lambda text: embed_text(text),
            output_type='array',
            source='pxwidgets.functions.embeddings.embed_text',
        ),
        Transform(
            name='when',
            description='One label where a comparison holds and another elsewhere.',
            kind='column',
            input_type='number',
            params=(
                _op_param(),
                Param('value', 'float', 0.0, 'Compared with'),
                Param('then', 'string', 'yes', 'Label where it holds'),
                Param('otherwise', 'string', 'no', 'Label elsewhere'),
            ),
            build=lambda x, op, value, then, otherwise: when(compare(x, op, value)).then(then).otherwise(otherwise),
            output_type='string',
            source='pxwidgets.functions.conditional.when',
        ),
        Transform(
            name='keep_if',
            description='Only the rows where a number compares as given.',
            kind='filter',
            input_type='number',
            params=(_op_param(), Param('value', 'float', 0.0, 'Compared with')),
            build=lambda x, op, value: compare(x, op, value),
        ),
        Transform(
            name='has_detections',
            description='Only the rows with at least a given number of detections.',
            kind='filter',
            input_type='json',
            params=(Param('min_count', 'int', 1, 'Fewest detections', minimum=1, maximum=100000),),
            build=lambda detections, min_count: count_detections(detections) >= min_count,
            source='pxwidgets.functions.detection.count_detections',
        ),
        Transform(
            name='text_contains',
            description='Only the rows whose text contains a given string.',
            kind='filter',
            input_type='string',
            params=(
                Param('text', 'string', '', 'The string to look for'),
                Param('case', 'bool', False, 'Match upper and lower case exactly'),
            ),
            build=lambda s, text, case: s.contains(text, case=case),
            source='pixeltable.functions.string.contains',
        ),
    ]
    return [dataclasses.replace(t, builtin=True) for t in shipped]
