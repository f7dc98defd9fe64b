"""How a level cuts its documents: sections, paragraphs, sentences or windows of N words, as validated specs.

A splitter is stored in the level's catalog metadata as a small JSON object, e.g. ``{'unit': 'window', 'size': 128,
'overlap': 32}``, and turned into the iterator call that makes the level's view.

Example:
    >>> parse_splitter('window', size=128)
    {'unit': 'window', 'size': 128, 'overlap': 32}
    >>> granularity({'unit': 'sentence'}) > granularity({'unit': 'paragraph'})
    True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pxwidgets.errors import InvalidParameterError
from pxwidgets.functions.cascade import UNIT_KINDS
from pxwidgets.patterns.common.params import Param
from pxwidgets.patterns.common.records import ParamSpec

SPLITTER_PARAMS = (
    Param('unit', 'choice', 'paragraph', 'What one unit is', choices=UNIT_KINDS),
    Param('size', 'int', 128, 'Words per window (window only)', minimum=8, maximum=8192),
    Param('overlap', 'int', 32, 'Words shared by consecutive windows (window only)', minimum=0, maximum=4096),
)
"""The parameters of a splitter, as a panel's form shows them."""

_DESCRIPTIONS = {
    'section': 'a heading and everything up to the next heading',
    'paragraph': 'one paragraph or code block',
    'sentence': "one sentence (spaCy's rule-based sentencizer; a code block stays whole)",
    'window': 'a window of N words that overlaps the next one',
}


def parse_splitter(unit: str | Mapping[str, Any], *, size: int | None = None, overlap: int | None = None) -> dict:
    """Validate a splitter and return its stored form.

    Args:
        unit: ``'section'``, ``'paragraph'``, ``'sentence'`` or ``'window'``; or a stored form (a mapping).
        size: Words per window (windows only; default 128).
        overlap: Words shared by consecutive windows (default a quarter of ``size``).

    Raises:
        InvalidParameterError: With one entry per bad field.

    Example:
        >>> parse_splitter({'unit': 'sentence'})
        {'unit': 'sentence'}
    """
    if isinstance(unit, Mapping):
        size = unit.get('size', size)
        overlap = unit.get('overlap', overlap)
        unit = unit.get('unit', '')
    errors = []
    if unit not in UNIT_KINDS:
        errors.append({'param': 'unit', 'message': f'must be one of {", ".join(UNIT_KINDS)} (got {unit!r})'})
    if unit != 'window':
        if errors:
            raise InvalidParameterError(f'Invalid splitter: unit {errors[0]["message"]}.', errors=errors)
        return {'unit': unit}
    size = 128 if size is None else size
    if not isinstance(size, int) or isinstance(size, bool) or not 8 <= size <= 8192:
        errors.append({'param': 'size', 'message': f'must be an integer from 8 to 8192 (got {size!r})'})
        size = size if isinstance(size, int) and not isinstance(size, bool) and size > 0 else 128
    overlap = size // 4 if overlap is None else overlap
    if not isinstance(overlap, int) or isinstance(overlap, bool) or not 0 <= overlap < size:
        errors.append({'param': 'overlap', 'message': f'must be an integer from 0 to size - 1 (got {overlap!r})'})
    if errors:
        raise InvalidParameterError(
            'Invalid splitter: ' + '; '.join(f'{e["param"]} {e["message"]}' for e in errors) + '.', errors=errors
        )
    return {'unit': 'window', 'size': size, 'overlap': overlap}


def granularity(splitter: Mapping[str, Any]) -> float:
    """A sort key: coarse levels first (sections, then windows by decreasing size, paragraphs, sentences).

    Example:
        >>> sorted([{'unit': 'sentence'}, {'unit': 'section'}, {'unit': 'window', 'size': 64}], key=granularity)[0]
        {'unit': 'section'}
    """
    unit = splitter.get('unit')
    if unit == 'window':
        return 1.0 + 1.0 / (1.0 + float(splitter.get('size', 128)))
    return {'section': 0.0, 'paragraph': 2.0, 'sentence': 3.0}.get(str(unit), 4.0)


def is_nested(splitter: Mapping[str, Any]) -> bool:
    """Whether a level's units nest exactly (sentence in paragraph in section); windows cross those borders."""
    return splitter.get('unit') in ('section', 'paragraph', 'sentence')


def describe_splitter(splitter: Mapping[str, Any]) -> str:
    """One line for people.

    Example:
        >>> describe_splitter({'unit': 'window', 'size': 128, 'overlap': 32})
        'windows of 128 words, 32 shared with the next'
    """
    if splitter.get('unit') == 'window':
        return f'windows of {splitter["size"]} words, {splitter["overlap"]} shared with the next'
    return _DESCRIPTIONS.get(str(splitter.get('unit')), str(splitter))


def splitter_schema() -> list[ParamSpec]:
    """The splitter's parameters and the choices, for a form."""
    return [p.to_json() for p in SPLITTER_PARAMS]
