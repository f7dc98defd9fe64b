"""What a model outputs — class labels, detections or free text — read from its column type and a few values.

Example:
    >>> detect_kind({}, None, [{'bboxes': [], 'labels': [], 'scores': []}])
    'detections'
    >>> detect_kind({}, None, [{'label': 3, 'confidence': 0.9}])
    'labels'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pixeltable import type_system as ts

from pxwidgets.functions.consensus import CONFIDENCE_KEYS, LABEL_KEYS
from pxwidgets.tables.internals import ColumnFacts

TEXT_WORDS = 4
"""A string output with this many words or more on average reads as free text rather than a class label."""


def _value_kind(value: Any) -> str | None:
    if isinstance(value, Mapping):
        if 'bboxes' in value:
            return 'detections'
        if any(k in value for k in LABEL_KEYS):
            return 'labels'
        return None
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
