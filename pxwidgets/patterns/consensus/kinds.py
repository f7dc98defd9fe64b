"""What a model outputs — class labels, detections or free text — read from its column type and a few values;
and of which type its labels are (numbers, strings or booleans: labels of different types never agree in a vote).

Example:
    >>> detect_kind({}, None, [{'bboxes': [], 'labels': [], 'scores': []}])
    'detections'
    >>> detect_kind({}, None, [{'label': 3, 'confidence': 0.9}])
    'labels'
    >>> label_type([{'label': 3, 'confidence': 0.9}]), label_type(['cat', 'dog'])
    ('number', 'string')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pixeltable import type_system as ts

from pxwidgets.functions.consensus import CONFIDENCE_KEYS, LABEL_KEYS
from pxwidgets.tables.internals import ColumnFacts

LABEL_TYPES = ('number', 'string', 'bool')
"""The label types a consensus tells apart: ints and whole floats compare as numbers (``3.0`` is ``3``)."""

TEXT_WORDS = 4
"""A string output with this many words or more on average reads as free text rather than a class label."""


def mapping_kind(value: Mapping[str, Any]) -> str | None:
    """``'detections'`` for a dict with ``bboxes``, ``'labels'`` for one with a label key, else None.

    Example:
        >>> mapping_kind({'label': 3}), mapping_kind({'bboxes': []}), mapping_kind({'text': 'x'})
        ('labels', 'detections', None)
    """
    if 'bboxes' in value:
        return 'detections'
    if any(k in value for k in LABEL_KEYS):
        return 'labels'
    return None


def _value_kind(value: Any) -> str | None:
    if isinstance(value, Mapping):
        return mapping_kind(value)
    if isinstance(value, str):
        return 'text' if len(value.split()) >= TEXT_WORDS else 'labels'
    if isinstance(value, bool | int) or (isinstance(value, float) and value.is_integer()):
        return 'labels'
    return None


def detect_kind(
    facts: Mapping[str, ColumnFacts],
    column: str | None,
    outputs: Sequence[Any],
    *,
    declared: str | None = None,
    return_type: ts.ColumnType | None = None,
) -> str:
    """The output kind of a model: from its values when they tell, else from its column (or return) type.

    Int and Bool columns are labels; String columns are labels unless the consensus compares text (``declared``);
    JSON outputs are detections when they hold ``bboxes``, labels when they hold ``label`` (or ``class``, …).
    """
    kinds = [k for k in (_value_kind(v) for v in outputs if v is not None) if k is not None]
    col_type = facts[column].col_type if column is not None and column in facts else return_type
    if kinds:
        kind = max(set(kinds), key=kinds.count)
        if (
            kind in ('labels', 'text')
            and declared in ('labels', 'text')
            and col_type is not None
            and col_type.is_string_type()
        ):
            return declared
        return kind
    if col_type is not None and col_type.is_string_type():
        return declared if declared in ('labels', 'text') else 'labels'
    if declared is not None:
        return declared
    return 'labels'


def has_confidence(outputs: Sequence[Any]) -> bool:
    """Whether the outputs carry a confidence (``confidence``, ``score``, … or ``probs``).

    Example:
        >>> has_confidence([{'label': 1, 'probs': [0.1, 0.9]}]), has_confidence([3])
        (True, False)
    """
    return any(
        isinstance(v, Mapping) and (any(k in v for k in CONFIDENCE_KEYS) or 'probs' in v or 'probabilities' in v)
        for v in outputs
    )


def _value_label_type(value: Any) -> str | None:
    if isinstance(value, Mapping):
        value = next((value[k] for k in LABEL_KEYS if k in value), None)
    if isinstance(value, bool):
        return 'bool'
    if isinstance(value, int | float):
        return 'number'
    if isinstance(value, str):
        return 'string'
    return None


def label_type(outputs: Sequence[Any], col_type: ts.ColumnType | None = None) -> str | None:
    """The type of a model's labels (one of ``LABEL_TYPES``): from its column type when it is a scalar one, else from
    the labels in its outputs; None when neither tells (e.g. every output failed).

    Example:
        >>> label_type([], ts.IntType()), label_type([{'class': True}]), label_type([None])
        ('number', 'bool', None)
    """
    if col_type is not None:
        if col_type.is_bool_type():
            return 'bool'
        if col_type.is_int_type() or col_type.is_float_type():
            return 'number'
        if col_type.is_string_type():
            return 'string'
    types = [t for t in (_value_label_type(v) for v in outputs if v is not None) if t is not None]
    return max(sorted(set(types)), key=types.count) if types else None
