"""Which columns of a stage's table qualify for which action: model outputs (by kind), labels, timestamps, texts.

Read from the column types and, for JSON and text columns, a few stored values, the way the consensus itself tells
labels from detections from free text (``detect_kind``). Nothing is written; at most one query of 20 rows is run.

Example:
    >>> cols = stage_columns(pxt.get_table('demo/frames'))  # doctest: +SKIP
    >>> cols.model_kinds  # doctest: +SKIP
    {'faces': 'detections', 'faces_profile': 'detections'}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pixeltable as pxt

from pxwidgets.patterns.common.metadata import read_roles
from pxwidgets.patterns.consensus import detect_kind
from pxwidgets.patterns.consensus.kinds import mapping_kind
from pxwidgets.tables.internals import ColumnFacts, column_facts, type_kind

SAMPLE_ROWS = 20
"""How many rows are read to tell what a JSON or text column holds."""

STAGE_ROLE = 'progressive.stage'
LABEL_TYPES = ('int', 'string')
"""Column types an evaluation compares (as ``IncrementalEvaluation`` accepts them)."""
TEXT_TYPES = ('document', 'string')
"""Column types a cascade indexes."""
MEDIA_TYPES = ('image', 'video', 'audio', 'document')


def _reads_as_model(values: list[Any]) -> bool:
    """Whether a JSON column's values tell a model's output kind, as the consensus tells it (an unknown JSON column is
    no model)."""
    return any(isinstance(v, Mapping) and mapping_kind(v) is not None for v in values)


@dataclass(frozen=True)
class StageColumns:
    """The columns of one table, sorted by what they can be used for.

    Attributes:
        table: The table's path.
        types: Every column's type family (``'int'``, ``'json'``, ``'image'``, …), in display order.
        model_kinds: Columns that read as a model's output, with their kind (``'labels'``, ``'detections'``,
            ``'text'``); columns another pattern owns (a consensus's, an evaluation's) are left out.
        owned: Columns another pattern made, with the role that owns them.
        computed: The computed columns (a model's output usually is one).
    """

    table: str
    types: dict[str, str]
    model_kinds: dict[str, str] = field(default_factory=dict)
    owned: dict[str, str] = field(default_factory=dict)
    computed: frozenset[str] = frozenset()

    def of_type(self, *families: str) -> list[str]:
        """The columns whose type family is one of ``families`` (not those another pattern owns)."""
        return [c for c, t in self.types.items() if t in families and c not in self.owned]

    def models(self, kind: str) -> list[str]:
        """The columns that read as model outputs of ``kind``."""
        return [c for c, k in self.model_kinds.items() if k == kind]

    def kinds(self) -> dict[str, list[str]]:
        """Model columns grouped by kind (kinds with no column are left out)."""
        out: dict[str, list[str]] = {}
        for column, kind in self.model_kinds.items():
            out.setdefault(kind, []).append(column)
        return out


def _owner(fact: ColumnFacts) -> str | None:
    roles = [r for r in read_roles(fact.custom_metadata) if r != STAGE_ROLE]
    return roles[0] if roles else None


def stage_columns(tbl: pxt.Table, path: str) -> StageColumns:
    """Sort a table's columns by use (see :class:`StageColumns`); reads at most ``SAMPLE_ROWS`` rows.

    Args:
        tbl: The table (or view).
        path: Its path (for messages).
    """
    facts = {f.name: f for f in column_facts(tbl)}
    types = {name: type_kind(f.col_type) for name, f in facts.items()}
    owned = {name: role for name, f in facts.items() if (role := _owner(f)) is not None}
    candidates = [
        name
        for name, f in facts.items()
        if name not in owned
        and not f.is_iterator_col
        and not f.is_pk
        and types[name] in ('json', 'string', 'int', 'bool')
    ]
    sampled = [
        c for c in candidates if types[c] in ('json', 'string') and (facts[c].is_stored or facts[c].value_expr is None)
    ]
    values: dict[str, list[Any]] = {c: [] for c in sampled}
    if sampled:
        rows = tbl.select(**{f'c{i}': tbl[c] for i, c in enumerate(sampled)}).limit(SAMPLE_ROWS).collect()
        for row in rows:
            for i, c in enumerate(sampled):
                if row[f'c{i}'] is not None:
                    values[c].append(row[f'c{i}'])
    kinds: dict[str, str] = {}
    for column in candidates:
        if types[column] == 'json' and not _reads_as_model(values.get(column, [])):
            continue
        kinds[column] = detect_kind(facts, column, values.get(column, []))
    computed = frozenset(n for n, f in facts.items() if f.value_expr is not None)
    return StageColumns(path, types, kinds, owned, computed)
