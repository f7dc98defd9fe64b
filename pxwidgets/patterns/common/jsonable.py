"""A dataclass as the JSON record its ``to_json()`` returns: every field, lists and dicts copied, nested values with
their own ``to_json()`` converted.

Example:
    >>> from dataclasses import dataclass
    >>> @dataclass
    ... class Point:
    ...     x: int
    ...     tags: list[str]
    >>> fields_json(Point(1, ['a']))
    {'x': 1, 'tags': ['a']}
"""

from __future__ import annotations

import dataclasses
from typing import Any


def _json(value: Any) -> Any:
    if hasattr(value, 'to_json'):
        return value.to_json()
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    return value


def fields_json(obj: Any) -> dict[str, Any]:
    """Every field of the dataclass instance ``obj``, by name, as fresh JSON-able values (see the module)."""
    return {f.name: _json(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
