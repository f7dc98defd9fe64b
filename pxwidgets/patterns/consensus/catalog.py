"""What a consensus is, read back from the catalog: its models, their output columns, costs and the consensus columns.

Every model has one *marker* column the pattern adds beside the model's output (``<model>_label`` for label models,
``<model>_boxes`` for detectors); its ``custom_metadata`` (role ``consensus.model``) holds the model's name, output
column, kind, cost and the consensus's configuration. The consensus columns carry role ``consensus.column`` with the
model list they were computed from. Nothing else is kept anywhere: :func:`read_state` rebuilds the whole consensus
from a table handle, so ``MultiModelConsensus.open(path)`` works in a fresh process.

Example:
    >>> state = read_state(pxt.get_table('demo/digits'), 'consensus')  # doctest: +SKIP
    >>> [m.name for m in state.models]  # doctest: +SKIP
    ['logreg', 'knn', 'forest']
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Literal, cast

import pixeltable as pxt
from pixeltable import exprs

from pxwidgets.patterns.common.exprcode import column_name
from pxwidgets.patterns.common.metadata import read_role
from pxwidgets.patterns.consensus.records import ModelEntry
from pxwidgets.tables.internals import ColumnFacts, column_facts

Kind = Literal['labels', 'detections', 'text']
"""What the models output: class labels, detections (``{bboxes, labels, scores}``) or free text."""

KINDS: tuple[str, ...] = ('labels', 'detections', 'text')

MODEL_ROLE = 'consensus.model'
COLUMN_ROLE = 'consensus.column'
CONFIDENCE_ROLE = 'consensus.confidence'
TRUTH_ROLE = 'consensus.truth'

RAW_LABEL_TYPES = ('string', 'int', 'bool')
"""Column types whose values are labels as they are (``label_of`` maps them one to one to text): a model whose output
column has one of them gets an unstored label column, and SQL compares its output column itself (see
:meth:`ConsensusState.sql_label`)."""


def raw_label_type(col_type: Any) -> str | None:
    """``'string'``, ``'int'`` or ``'bool'`` for a column type whose values are labels as they are, else None."""
    for name in RAW_LABEL_TYPES:
        if col_type is not None and getattr(col_type, f'is_{name}_type')():
            return name
    return None


@dataclass(frozen=True)
class ModelInfo:
    """One model of a consensus.

    Attributes:
        name: The model's name.
        column: The column holding its raw output.
        kind: ``'labels'``, ``'detections'`` or ``'text'``.
        marker: The column the pattern added beside it (``<name>_label`` or ``<name>_boxes``); holds the metadata.
        label_column: Its label as text (label and text models).
        confidence_column: Its confidence (label models whose output carries one).
        adopted: The output column existed before the model was added (it is never dropped by ``remove_model``).
        seconds_per_row: Measured when the pattern computed the column (None for adopted columns).
        rows_timed: How many rows that measurement covered.
        definition: How the output column is computed (Pixeltable's text), or ``'stored column'``.
        computed: Whether the output column is a computed column (its failures are recorded per row).
    """

    name: str
    column: str
    kind: str
    marker: str
    label_column: str | None
    confidence_column: str | None
    adopted: bool
    seconds_per_row: float | None
    rows_timed: int | None
    definition: str
    computed: bool

    def to_json(self) -> ModelEntry:
        return cast(ModelEntry, {f.name: getattr(self, f.name) for f in fields(self)})


@dataclass(frozen=True)
class ConsensusColumn:
    """A column the consensus computes from its models (the vote, its label, agreement, …)."""

    name: str
    part: str
    models: tuple[str, ...]
    data: dict[str, Any]


@dataclass
class ConsensusState:
    """A consensus as the catalog holds it now."""

    name: str
    input: str | None = None
    kind: str | None = None
    truth: str | None = None
    models: list[ModelInfo] = field(default_factory=list)
    columns: list[ConsensusColumn] = field(default_factory=list)
    truth_column: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    custom_fn: Any = None
    facts: dict[str, ColumnFacts] = field(default_factory=dict)

    def model(self, name: str) -> ModelInfo | None:
        return next((m for m in self.models if m.name == name), None)

    def column(self, part: str) -> str | None:
        """The name of the consensus column playing ``part`` (``'vote'``, ``'label'``, ``'agreement'``, …)."""
        return next((c.name for c in self.columns if c.part == part), None)

    def is_raw(self, model: ModelInfo) -> bool:
        """Whether the model's label column is unstored: its output column is a string, int or bool column read as is
        (in SQL, the output column stands for the label; text only when a row is shown)."""
        fact = self.facts.get(model.marker)
        return self.kind == 'labels' and fact is not None and not fact.is_stored and model.label_column is not None

    def sql_label(self, model: ModelInfo) -> str:
        """The stored column that holds a model's label for SQL filters and ``group by``: its label column, or for a
        raw model (:meth:`is_raw`) its output column (compared with the ground truth's own column)."""
        return model.column if self.is_raw(model) else str(model.label_column)

    def sql_truth(self, model: ModelInfo) -> str | None:
        """The ground-truth column a model's :meth:`sql_label` is compared with (same domain)."""
        return self.truth if self.is_raw(model) else self.truth_column

    @property
    def truth_is_raw(self) -> bool:
        """Whether the ground truth's text column is unstored (``raw_label_text`` of a string, int or bool truth, which
        Pixeltable computes in SQL): SQL that compares the truth with a label value or groups by it reads
        :attr:`truth` itself (the text is its ``label_of``)."""
        fact = self.facts.get(self.truth_column) if self.truth_column else None
        return fact is not None and not fact.is_stored and self.truth is not None

    def owned_columns(self) -> list[str]:
        """Every column the pattern added for this consensus (markers, confidences, truth, consensus columns)."""
        names = [c.name for c in self.columns]
        for m in self.models:
            names += [m.marker] + ([m.confidence_column] if m.confidence_column else [])
            if m.label_column and m.label_column != m.marker:
                names.append(m.label_column)
            if not m.adopted:
                names.append(m.column)
        if self.truth_column:
            names.append(self.truth_column)
        return names


def column_refs(expr: exprs.Expr | None) -> set[str]:
    """The names of the columns an expression reads."""
    if expr is None:
        return set()
    return {column_name(ref) for ref in expr.subexprs(exprs.ColumnRef)}


def dependents(tbl: pxt.Table, column: str) -> list[str]:
    """The columns of ``tbl`` whose computed expression reads ``column``, directly or through others."""
    facts = column_facts(tbl)
    found: list[str] = []
    frontier = {column}
    while frontier:
        nxt: set[str] = set()
        for f in facts:
            if f.name not in found and f.name not in frontier and column_refs(f.value_expr) & frontier:
                found.append(f.name)
                nxt.add(f.name)
        frontier = nxt
    return found


def read_state(tbl: pxt.Table, name: str) -> ConsensusState:
    """The consensus ``name`` of a table, read from its columns' metadata (empty if it has no models yet)."""
    facts = {f.name: f for f in column_facts(tbl)}
    state = ConsensusState(name=name, facts=facts)
    models: list[tuple[int, ModelInfo]] = []
    confidences: dict[str, str] = {}
    for fact in facts.values():
        md = fact.custom_metadata
        model_role = read_role(md, MODEL_ROLE)
        if model_role is not None and model_role.get('consensus') == name:
            column = str(model_role.get('column'))
            out = facts.get(column)
            info = ModelInfo(
                name=str(model_role.get('model')),
                column=column,
                kind=str(model_role.get('kind', 'labels')),
                marker=fact.name,
                label_column=fact.name if model_role.get('kind', 'labels') != 'detections' else None,
                confidence_column=None,
                adopted=bool(model_role.get('adopted', False)),
                seconds_per_row=model_role.get('seconds_per_row'),
                rows_timed=model_role.get('rows_timed'),
                definition=(
                    out.value_expr.display_str(inline=False)
                    if out is not None and out.value_expr is not None
                    else 'stored column'
                ),
                computed=out is not None and out.value_expr is not None,
            )
            models.append((int(model_role.get('order', fact.version_added)), info))
            state.input = model_role.get('input') or state.input
            state.kind = model_role.get('kind', state.kind)
            state.truth = model_role.get('truth', state.truth)
        conf_role = read_role(md, CONFIDENCE_ROLE)
        if conf_role is not None and conf_role.get('consensus') == name:
            confidences[str(conf_role.get('model'))] = fact.name
        truth_role = read_role(md, TRUTH_ROLE)
        if truth_role is not None and truth_role.get('consensus') == name:
            state.truth_column = fact.name
        col_role = read_role(md, COLUMN_ROLE)
        if col_role is not None and col_role.get('consensus') == name:
            part = str(col_role.get('part'))
            state.columns.append(ConsensusColumn(fact.name, part, tuple(col_role.get('models') or ()), col_role))
            if part == 'vote':
                state.options = dict(col_role.get('options') or {})
            if part == 'custom' and fact.value_expr is not None and isinstance(fact.value_expr, exprs.FunctionCall):
                state.custom_fn = fact.value_expr.fn
    models.sort(key=lambda pair: pair[0])
    state.models = [ModelInfo(**{**m.__dict__, 'confidence_column': confidences.get(m.name)}) for _, m in models]
    return state


def consensus_names(tbl: pxt.Table) -> list[dict[str, Any]]:
    """The consensuses recorded on a table's columns (``{'consensus', 'model'}`` per model)."""
    found = []
    for fact in column_facts(tbl):
        role = read_role(fact.custom_metadata, MODEL_ROLE)
        if role is not None:
            found.append({'consensus': role.get('consensus'), 'model': role.get('model')})
    return found
