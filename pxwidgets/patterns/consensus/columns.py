"""The columns a consensus adds, each with its expression, the plain Pixeltable code that adds it and its metadata.

For label (and text) models, ``<c>`` is the vote and ``<c>_label``, ``<c>_agreement``, ``<c>_tie`` are plain scalar
columns extracted from it, so that "disagreements only", "consensus wrong" or "sort by agreement" are SQL ``where`` /
``order by`` clauses, and metrics are one SQL ``group by``. For detections, ``<c>`` is the fused result and
``<c>_agreement`` / ``<c>_boxes`` its scalars.

Example:
    >>> [s.name for s in consensus_columns(t, state, models)]  # doctest: +SKIP
    ['consensus', 'consensus_label', 'consensus_agreement', 'consensus_tie']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

import pixeltable as pxt

from pxwidgets.functions.consensus import (
    box_count,
    fuse_detections,
    label_confidence,
    label_text,
    label_texts,
    majority_agreement,
    majority_label,
    majority_tie,
    majority_vote,
    normalized_texts,
    raw_label_text,
    text_vote,
    weighted_label,
    weighted_vote,
)
from pxwidgets.patterns.common.metadata import role_metadata
from pxwidgets.patterns.consensus.catalog import (
    COLUMN_ROLE,
    CONFIDENCE_ROLE,
    MODEL_ROLE,
    TRUTH_ROLE,
    ConsensusState,
    ModelInfo,
)

DEFAULT_OPTIONS: dict[str, Any] = {
    'min_votes': 2,
    'iou_threshold': 0.55,
    'skip_threshold': 0.0,
    'text_match': 'exact',
    'similarity_threshold': 0.8,
}
"""Box consensus: a fused box is kept when ``min_votes`` models found it (matched at ``iou_threshold``). Free text:
answers agree by normalised exact match (``text_match='exact'``) or by meaning (``'embedding'``: cosine similarity of
their wordllama embeddings ≥ ``similarity_threshold``)."""

BOX_OPTIONS = ('min_votes', 'iou_threshold', 'skip_threshold')
TEXT_OPTIONS = ('text_match', 'similarity_threshold')


@dataclass(frozen=True)
class ColumnSpec:
    """One column to add: ``table.add_computed_column(**{name: make()}, custom_metadata=metadata)``.

    ``make`` builds the expression when the column is added (it may read columns added just before it). An unstored
    column (``stored=False``) costs nothing to add: it is computed when read, for the rows of a page only.
    """

    name: str
    make: Callable[[], Any]
    code: str
    metadata: dict[str, Any]
    on_error: Literal['abort', 'ignore'] = 'ignore'
    stored: bool = True


def ref(name: str) -> str:
    """``t.name`` (or ``t['name']`` when not an identifier) for generated code."""
    return f't.{name}' if name.isidentifier() else f't[{name!r}]'


def marker_name(model: str, kind: str) -> str:
    """The column that carries a model's metadata: ``<model>_label`` (labels, text) or ``<model>_boxes``."""
    return f'{model}_boxes' if kind == 'detections' else f'{model}_label'


def confidence_name(model: str) -> str:
    return f'{model}_conf'


def truth_name(consensus: str) -> str:
    return f'{consensus}_truth'


def model_columns(
    t: pxt.Table,
    state: ConsensusState,
    *,
    model: str,
    column: str,
    kind: str,
    input: str | None,
    truth: str | None,
    adopted: bool,
    with_confidence: bool,
    order: int,
    timing: dict[str, Any],
    label_type: str | None = None,
    raw: bool = False,
) -> list[ColumnSpec]:
    """The columns added beside a model's output: its marker (label or box count) and, if any, its confidence.

    The marker's metadata records the model (name, output column, kind, the type of its labels, cost, the consensus's
    configuration): it is how the consensus is read back from the catalog. ``raw``: the output column holds labels
    as they are (strings, ints or bools of the ground truth's type): the label column is unstored (text computed
    when read) and SQL compares the output column itself, so adding the model writes nothing per row.
    """
    role = {
        'consensus': state.name,
        'model': model,
        'column': column,
        'kind': kind,
        'input': input,
        'truth': truth,
        'adopted': adopted,
        'order': order,
        **timing,
        **({'label_type': label_type} if label_type is not None else {}),
    }
    marker = marker_name(model, kind)
    if kind == 'detections':
        specs = [
            ColumnSpec(
                marker, lambda: box_count(t[column]), f'box_count({ref(column)})', role_metadata(MODEL_ROLE, role)
            )
        ]
    else:
        expr, code = _label_expr(t, column, normalize=kind == 'text')
        specs = [ColumnSpec(marker, expr, code, role_metadata(MODEL_ROLE, role), stored=not raw)]
        if with_confidence:
            specs.append(
                ColumnSpec(
                    confidence_name(model),
                    lambda: label_confidence(t[column]),
                    f'label_confidence({ref(column)})',
                    role_metadata(CONFIDENCE_ROLE, {'consensus': state.name, 'model': model}),
                )
            )
    return specs


def truth_column(t: pxt.Table, consensus: str, truth: str, kind: str, *, raw: bool = False) -> ColumnSpec:
    """The ground truth as text, in the same domain as the models' labels.

    ``raw``: the truth is a string, int or bool column (as every model's output is): the text column is unstored,
    ``raw_label_text`` of the truth, which Pixeltable computes in SQL (``CAST``) in filters, or per row when read, so
    adding it writes nothing per row.
    """
    metadata = role_metadata(TRUTH_ROLE, {'consensus': consensus, 'column': truth})
    if raw:
        return ColumnSpec(
            truth_name(consensus),
            lambda: raw_label_text(t[truth]),
            f'raw_label_text({ref(truth)})',
            metadata,
            stored=False,
        )
    expr, code = _label_expr(t, truth, normalize=kind == 'text')
    return ColumnSpec(truth_name(consensus), expr, code, metadata)


def _label_expr(t: pxt.Table, column: str, *, normalize: bool) -> tuple[Callable[[], Any], str]:
    """A column's labels as text, by a batched UDF (one Python call per batch of rows)."""
    if normalize:
        return lambda: normalized_texts(t[column]), f'normalized_texts({ref(column)})'
    return lambda: label_texts(t[column]), f'label_texts({ref(column)})'


def _scalar(t: pxt.Table, source: str, key: str, type_: Any, type_code: str) -> tuple[Callable[[], Any], str]:
    return lambda: t[source][key].astype(type_), f'{ref(source)}.{key}.astype(pxt.{type_code})'


def _role(state: ConsensusState, part: str, models: Sequence[ModelInfo], **extra: Any) -> dict[str, Any]:
    return role_metadata(
        COLUMN_ROLE, {'consensus': state.name, 'part': part, 'models': [m.name for m in models], **extra}
    )


def _list_code(items: Sequence[str | None]) -> str:
    return '[' + ', '.join('None' if i is None else ref(i) for i in items) + ']'


def consensus_columns(
    t: pxt.Table,
    state: ConsensusState,
    models: Sequence[ModelInfo],
    *,
    options: dict[str, Any],
    accuracy_weights: dict[str, float] | None = None,
    custom_fn: Any = None,
) -> list[ColumnSpec]:
    """Every consensus column for this set of models, in the order they must be added."""
    c = state.name
    names = [m.name for m in models]
    if state.kind == 'detections':
        if state.input is None:
            return []
        from pixeltable.functions import image as pxi

        dets = [t[m.column] for m in models]
        width, height = pxi.width(t[state.input]), pxi.height(t[state.input])
        opts = {k: options.get(k, DEFAULT_OPTIONS[k]) for k in BOX_OPTIONS}
        vote = fuse_detections(dets, names, width, height, **opts)
        kw = ', '.join(f'{k}={v!r}' for k, v in opts.items())
        code = (
            f'fuse_detections({_list_code([m.column for m in models])}, {names!r}, '
            f'pxi.width({ref(state.input)}), pxi.height({ref(state.input)}), {kw})'
        )
        agreement, agreement_code = _scalar(t, c, 'agreement', pxt.Float, 'Float')
        return [
            ColumnSpec(c, lambda: vote, code, _role(state, 'vote', models, options=opts, kind=state.kind)),
            ColumnSpec(f'{c}_agreement', agreement, agreement_code, _role(state, 'agreement', models)),
            ColumnSpec(f'{c}_boxes', lambda: box_count(t[c]), f'box_count({ref(c)})', _role(state, 'boxes', models)),
        ]
    labels = [t[str(m.label_column)] for m in models]
    # what the stored scalars read: the label columns, or the outputs of raw models (their label columns are unstored)
    inputs = [t[state.sql_label(m)] for m in models]
    inputs_code = _list_code([state.sql_label(m) for m in models])
    label_names = [str(m.label_column) for m in models]
    confs = [t[m.confidence_column] if m.confidence_column else None for m in models]
    conf_names = [m.confidence_column for m in models]
    has_conf = any(m.confidence_column for m in models)
    vote_args: list[Any] = [labels, names] + ([confs] if has_conf else [])
    vote_code = f'majority_vote({_list_code(label_names)}, {names!r}' + (
        f', {_list_code(conf_names)})' if has_conf else ')'
    )
    text_opts = {k: options.get(k, DEFAULT_OPTIONS[k]) for k in TEXT_OPTIONS}
    role = _role(state, 'vote', models, kind=state.kind, options=text_opts if state.kind == 'text' else {})
    labels_code = _list_code(label_names)
    if state.kind == 'text' and text_opts['text_match'] == 'embedding':
        # grouping answers by meaning needs the embeddings: the vote is stored once and its scalars read from it
        threshold = float(text_opts['similarity_threshold'])
        vote_code = f'text_vote({labels_code}, {names!r}, threshold={threshold!r})'
        specs = [ColumnSpec(c, lambda: text_vote(labels, names, threshold=threshold), vote_code, role)]
        for part, key, type_, tcode in (
            ('label', 'label', pxt.String, 'String'),
            ('agreement', 'agreement', pxt.Float, 'Float'),
            ('tie', 'tie', pxt.Bool, 'Bool'),
        ):
            expr, code = _scalar(t, c, key, type_, tcode)
            specs.append(ColumnSpec(f'{c}_{part}', expr, code, _role(state, part, models), stored=part != 'tie'))
    else:
        # the full vote (tied labels, dissenters, scores) is computed when a page of rows is read; what filters, sorts
        # and metrics need is stored, each by a batched UDF over the label columns: the label and the agreement (a tie
        # is a row without a label whose agreement is set: SQL reads it from those two, the tie column is unstored)
        specs = [ColumnSpec(c, lambda: majority_vote(*vote_args), vote_code, role, stored=False)]
        for part, fn in (('label', majority_label), ('agreement', majority_agreement), ('tie', majority_tie)):
            specs.append(
                ColumnSpec(
                    f'{c}_{part}',
                    partial(fn, inputs),
                    f'{fn.name}({inputs_code})',
                    _role(state, part, models),
                    stored=part != 'tie',
                )
            )
    if has_conf:
        name = f'{c}_weighted'
        conf_vote = weighted_vote(labels, names, confs, confs)
        conf_code = _list_code(conf_names)
        code = f'weighted_vote({labels_code}, {names!r}, {conf_code}, {conf_code})'
        specs.append(
            ColumnSpec(
                name, lambda: conf_vote, code, _role(state, 'weighted', models, weights='confidence'), stored=False
            )
        )
        specs.append(
            ColumnSpec(
                f'{name}_label',
                lambda: weighted_label(labels, confs),
                f'weighted_label({labels_code}, {conf_code})',
                _role(state, 'weighted_label', models),
            )
        )
    if accuracy_weights:
        name = f'{c}_accuracy_weighted'
        weights = [float(accuracy_weights.get(m.name, 0.0)) for m in models]
        acc_vote = weighted_vote(labels, names, weights, confs if has_conf else None)
        code = f'weighted_vote({labels_code}, {names!r}, {weights!r})'
        specs.append(
            ColumnSpec(
                name,
                lambda: acc_vote,
                code,
                _role(state, 'accuracy_weighted', models, weights=dict(zip(names, weights, strict=True))),
                stored=False,
            )
        )
        specs.append(
            ColumnSpec(
                f'{name}_label',
                lambda: weighted_label(inputs, weights),
                f'weighted_label({inputs_code}, {weights!r})',
                _role(state, 'accuracy_weighted_label', models),
                stored=False,  # a function of the models' labels: the metrics compute it per label combination
            )
        )
    if custom_fn is not None:
        votes = {m.name: {'label': lab, 'confidence': conf} for m, lab, conf in zip(models, labels, confs, strict=True)}
        votes_code = (
            '{'
            + ', '.join(
                f'{m.name!r}: {{"label": {ref(str(m.label_column))}, '
                f'"confidence": {ref(m.confidence_column) if m.confidence_column else "None"}}}'
                for m in models
            )
            + '}'
        )
        fn_name = getattr(custom_fn, 'name', 'consensus_fn')
        specs.append(
            ColumnSpec(
                f'{c}_custom', lambda: custom_fn(votes), f'{fn_name}({votes_code})', _role(state, 'custom', models)
            )
        )
        specs.append(
            ColumnSpec(
                f'{c}_custom_label',
                lambda: label_text(t[f'{c}_custom']),
                f'label_text({ref(c + "_custom")})',
                _role(state, 'custom_label', models),
            )
        )
    return specs


def add_lines(specs: Sequence[ColumnSpec]) -> list[str]:
    """One ``t.add_computed_column(...)`` line per column (pxwidgets' metadata left out)."""
    lines = []
    for spec in specs:
        arg = f'{spec.name}={spec.code}' if spec.name.isidentifier() else f'**{{{spec.name!r}: {spec.code}}}'
        stored = '' if spec.stored else ', stored=False'
        lines.append(f"t.add_computed_column({arg}{stored}, on_error='{spec.on_error}')")
    return lines


def code_block(table_path: str, parts: Sequence[str]) -> str:
    """Plain Pixeltable code: the imports the consensus columns need, the table, then ``parts`` (lines of code).

    Example:
        >>> print(code_block('demo/digits', ["t.drop_column('consensus')"]).splitlines()[-1])
        t.drop_column('consensus')
    """
    lines = [
        'import pixeltable as pxt',
        'from pixeltable.functions import image as pxi',
        'from pxwidgets.functions.consensus import box_count, fuse_detections, label_confidence, label_text, '
        'label_texts, majority_agreement, majority_label, majority_tie, majority_vote, normalized_texts, '
        'raw_label_text, text_vote, truth_probability, weighted_label, weighted_vote',
        '',
        f't = pxt.get_table({table_path!r})',
        *(p for p in parts if p),
    ]
    return '\n'.join(lines) + '\n'
