"""Declaring an evaluation: validate everything first, then add its columns to the evaluated table and make its store.

Nothing is written until every column, the window, the reference and the thresholds are valid. The evaluated table
gets ``<name>_correct`` (per-row correctness) and, for time windows, ``<name>_t`` (the window key); both carry the
evaluation's name and directory in their custom metadata, which is how :func:`evaluations_of` finds them again.

Example:
    >>> tbl = resolve_table('demo/predictions')  # doctest: +SKIP
    >>> evaluations_of(tbl)  # doctest: +SKIP
    {'eval': 'demo/predictions_eval'}
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pixeltable as pxt

from pxwidgets.errors import InvalidRequestError, TableNotFoundError
from pxwidgets.functions.evaluation import (
    epoch_seconds,
    label_match_int,
    label_match_string,
    match_detections,
    match_digest,
)
from pxwidgets.patterns.common.exprcode import column_name as ref_column_name
from pxwidgets.patterns.common.exprcode import column_table_id
from pxwidgets.patterns.common.metadata import read_role, role_metadata
from pxwidgets.patterns.common.names import validate_stage_name
from pxwidgets.patterns.incremental.aggregate import FUTURE_TOLERANCE
from pxwidgets.patterns.incremental.config import Settings, parse_reference, parse_window, validate_thresholds
from pxwidgets.patterns.incremental.errors import (
    EvaluationConflictError,
    InvalidColumnError,
    InvalidWindowError,
    TimestampError,
)
from pxwidgets.patterns.incremental.store import ROLE_CORRECT, ROLE_DIGEST, ROLE_KEY, Spec, Store, get_table
from pxwidgets.tables.internals import column_facts, lineage_ids, table_kind, table_path, type_kind

LABEL_TYPES = {'int': label_match_int, 'string': label_match_string}
"""The class column types an evaluation accepts, with the UDF that scores a row."""

DETECTION_KIND = 'json'
"""The column type of detections (``{'bboxes', 'labels', 'scores'}``) and ground-truth boxes."""


def resolve_table(table: str | pxt.Table) -> pxt.Table:
    if isinstance(table, pxt.Table):
        return table
    if not isinstance(table, str):
        raise InvalidRequestError(f'An evaluation needs a table or its path, not {type(table).__name__}.')
    try:
        return get_table(table)
    except pxt.Error:
        raise TableNotFoundError(table) from None


def column_name(tbl: pxt.Table, value: Any, role: str) -> str:
    """A column name of ``tbl`` from a name or a column reference; refuses columns of other tables."""
    if isinstance(value, str):
        name = value
    elif isinstance(value, pxt.exprs.ColumnRef):
        owner, name = column_table_id(value), ref_column_name(value)
        if owner not in lineage_ids(tbl):
            raise InvalidColumnError(
                f'The {role} column {name!r} belongs to another table than {table_path(tbl)}.',
                hint='Pass a column of the evaluated table (or its name).',
            )
    else:
        raise InvalidColumnError(f'The {role} column must be a column name or reference, not {type(value).__name__}.')
    if name not in tbl.columns():
        raise InvalidColumnError(
            f'{table_path(tbl)} has no column {name!r} (for the {role}).',
            hint=f'Its columns: {", ".join(tbl.columns())}.',
        )
    return name


def _dir_of(path: str) -> str:
    return path.rsplit('/', 1)[0] if '/' in path else ''


def eval_dir(table: str, name: str) -> str:
    parent, base = _dir_of(table), table.rsplit('/', 1)[-1]
    return f'{parent}/{base}_{name}' if parent else f'{base}_{name}'


def evaluations_of(tbl: pxt.Table) -> dict[str, str]:
    """The evaluations that watch ``tbl``: name -> directory of their own tables."""
    found: dict[str, str] = {}
    for fact in column_facts(tbl):
        data = read_role(fact.custom_metadata, ROLE_CORRECT)
        if data is not None:
            found[str(data['name'])] = str(data['dir'])
    return found


def check_same(
    tbl: pxt.Table, spec: Spec, prediction: Any, ground_truth: Any, timestamp: Any, order: Any, numeric: Sequence[Any]
) -> None:
    """Refuse to declare again an existing evaluation with other columns.

    Raises:
        EvaluationConflictError: Which columns differ.
    """
    asked = {
        'prediction': column_name(tbl, prediction, 'prediction'),
        'ground_truth': column_name(tbl, ground_truth, 'ground truth'),
        'timestamp': None if timestamp is None else column_name(tbl, timestamp, 'timestamp'),
        'order': None if order is None else column_name(tbl, order, 'order'),
        'numeric': tuple(column_name(tbl, c, 'numeric') for c in numeric),
    }
    have = {
        'prediction': spec.prediction,
        'ground_truth': spec.ground_truth,
        'timestamp': spec.timestamp,
        'order': spec.order,
        'numeric': spec.numeric,
    }
    diff = [f'{k}: {have[k]!r} -> {v!r}' for k, v in asked.items() if v != have[k]]
    if diff:
        raise EvaluationConflictError(
            f'Evaluation {spec.name!r} of {spec.table} exists with other columns ({"; ".join(diff)}).',
            hint='Open it with IncrementalEvaluation.open(), or pick another name=.',
        )


def validate(
    tbl: pxt.Table,
    path: str,
    prediction: Any,
    ground_truth: Any,
    timestamp: Any,
    window: Any,
    order: Any,
    numeric: Sequence[Any],
    reference: Any,
    thresholds: Mapping[str, Any] | None,
    name: str,
    image_size: Any = None,
    confidence: Any = None,
) -> tuple[Spec, Settings]:
    """The evaluation's fixed definition and its settings, from what the user declared.

    Raises:
        InvalidRequestError, InvalidColumnError, InvalidWindowError, InvalidReferenceError, InvalidParameterError,
        TimestampError, EvaluationConflictError: Before any write.
    """
    if table_kind(tbl) == 'snapshot':
        raise InvalidRequestError(f'{path} is a snapshot: it never changes, so there is nothing to follow.')
    if not isinstance(name, str) or not re.fullmatch(r'[a-z][a-z0-9_]{0,30}', name):
        raise InvalidRequestError(f'An evaluation name is lower-case letters, digits and _, got {name!r}.')
    facts = {f.name: f for f in column_facts(tbl)}
    pred = column_name(tbl, prediction, 'prediction')
    truth = column_name(tbl, ground_truth, 'ground truth')
    kinds = {c: type_kind(facts[c].col_type) for c in (pred, truth)}
    for c, kind in kinds.items():
        if kind not in LABEL_TYPES and kind != DETECTION_KIND:
            raise InvalidColumnError(
                f'Column {c!r} is {kind}: classes must be int or string columns, detections json columns.'
            )
    if kinds[pred] != kinds[truth]:
        raise InvalidColumnError(
            f'The prediction {pred!r} is {kinds[pred]} but the ground truth {truth!r} is {kinds[truth]}.'
        )
    ts = None if timestamp is None else column_name(tbl, timestamp, 'timestamp')
    if ts is not None and type_kind(facts[ts].col_type) != 'timestamp':
        raise InvalidColumnError(f'The timestamp column {ts!r} is {type_kind(facts[ts].col_type)}, not timestamp.')
    ordering = None if order is None else column_name(tbl, order, 'order')
    if ordering is not None and type_kind(facts[ordering].col_type) != 'int':
        raise InvalidColumnError(f'The order column {ordering!r} must be an int column.')
    nums = tuple(column_name(tbl, c, 'numeric') for c in numeric)
    for c in nums:
        if type_kind(facts[c].col_type) not in ('int', 'float'):
            raise InvalidColumnError(f'Numeric column {c!r} is {type_kind(facts[c].col_type)}.')
    size = _image_size(tbl, facts, image_size, kinds[pred])
    conf = None if confidence is None else column_name(tbl, confidence, 'confidence')
    if conf is not None and type_kind(facts[conf].col_type) != 'float':
        raise InvalidColumnError(f'The confidence column {conf!r} is {type_kind(facts[conf].col_type)}, not float.')
    if conf is not None and kinds[pred] == DETECTION_KIND:
        raise InvalidColumnError('A confidence estimates accuracy of classes; detections carry their own scores.')
    if window is None:
        window = '1h' if ts is not None else None
    if window is None:
        raise InvalidWindowError('Give a timestamp column for time windows, or window="N rows" with order=.')
    w = parse_window(window)
    if w.kind == 'time' and ts is None:
        raise InvalidWindowError(f'Time windows ({w.text}) need a timestamp column.')
    if w.kind == 'rows' and ordering is None:
        raise InvalidWindowError(f'Row windows ({w.text}) need an integer order column (order=).')
    settings = Settings(w, parse_reference(reference), validate_thresholds(thresholds))
    correct, key, digest = f'{name}_correct', f'{name}_t', f'{name}_h'
    for column in (correct, key, *([digest] if kinds[pred] == DETECTION_KIND else [])):
        validate_stage_name(column)
        if column in tbl.columns():
            raise EvaluationConflictError(f"{path} already has a column {column!r} that is not this evaluation's.")
    if ts is not None:
        check_timestamps(tbl, ts)
    label_type = 'detections' if kinds[pred] == DETECTION_KIND else kinds[pred]
    spec = Spec(
        name,
        path,
        pred,
        truth,
        correct,
        ts,
        key if ts is not None else None,
        ordering,
        nums,
        label_type,
        digest if label_type == 'detections' else None,
        size,
        conf,
    )
    return spec, settings


def _image_size(tbl: pxt.Table, facts: Mapping[str, Any], image_size: Any, kind: str) -> tuple[str, ...]:
    """The image column, or the (width, height) int columns, that detection boxes must fit in."""
    if image_size is None:
        return ()
    if kind != DETECTION_KIND:
        raise InvalidColumnError('image_size= checks detection boxes; this evaluation is of classes.')
    names = (image_size,) if isinstance(image_size, (str, pxt.exprs.ColumnRef)) else tuple(image_size)
    if len(names) not in (1, 2):
        raise InvalidColumnError('image_size= is an image column, or a (width, height) pair of int columns.')
    cols = tuple(column_name(tbl, c, 'image size') for c in names)
    wanted = ('image',) if len(cols) == 1 else ('int', 'int')
    for c, want in zip(cols, wanted, strict=True):
        if type_kind(facts[c].col_type) != want:
            raise InvalidColumnError(f'The image size column {c!r} is {type_kind(facts[c].col_type)}, not {want}.')
    return cols


def size_exprs(tbl: pxt.Table, spec: Spec) -> dict[str, Any]:
    """The ``width`` and ``height`` arguments of :func:`match_detections` (none when unchecked)."""
    if not spec.image_size:
        return {}
    if len(spec.image_size) == 1:
        image = tbl[spec.image_size[0]]
        return {'width': image.width, 'height': image.height}
    return {'width': tbl[spec.image_size[0]], 'height': tbl[spec.image_size[1]]}


def create(tbl: pxt.Table, spec: Spec, settings: Settings) -> Store:
    """Make the evaluation's store, then add its columns to ``tbl`` (everything was validated before)."""
    dir = eval_dir(spec.table, spec.name)
    store = Store.create(dir, spec, settings)
    data = {'name': spec.name, 'dir': dir}
    if spec.detections:
        matched: dict[str, Any] = {
            spec.correct: match_detections(tbl[spec.prediction], tbl[spec.ground_truth], **size_exprs(tbl, spec))
        }
        tbl.add_computed_column(
            **matched,
            custom_metadata=role_metadata(ROLE_CORRECT, data),
            comment=f'{spec.prediction} matched to {spec.ground_truth} (IoU): tp, fp, fn; None while pending',
        )
        assert spec.digest is not None
        digest: dict[str, Any] = {spec.digest: match_digest(tbl[spec.correct])}
        tbl.add_computed_column(
            **digest,
            custom_metadata=role_metadata(ROLE_DIGEST, data),
            comment=f'digest of {spec.correct} (which windows changed)',
        )
    else:
        match = LABEL_TYPES[spec.label_type]
        correct: dict[str, Any] = {spec.correct: match(tbl[spec.prediction], tbl[spec.ground_truth])}
        tbl.add_computed_column(
            **correct,
            custom_metadata=role_metadata(ROLE_CORRECT, data),
            comment=f'correct prediction ({spec.prediction} == {spec.ground_truth}); None while pending',
        )
    if spec.key is not None and spec.timestamp is not None:
        key: dict[str, Any] = {spec.key: epoch_seconds(tbl[spec.timestamp])}
        tbl.add_computed_column(
            **key,
            custom_metadata=role_metadata(ROLE_KEY, data),
            comment=f'window key of evaluation {spec.name!r}: epoch seconds of {spec.timestamp}',
        )
    return store


def check_timestamps(tbl: pxt.Table, ts: str) -> None:
    """Refuse a timestamp column with missing values or values in the future (counted in SQL).

    Raises:
        TimestampError: How many rows, with a hint.
    """
    col = tbl[ts]
    missing = int(tbl.where(col == None).count())  # noqa: E711
    if missing:
        raise TimestampError(
            f'{missing} row(s) of {table_path(tbl)} have no {ts!r}: they would fall in no window.',
            hint='Fill the timestamps in (or delete those rows) first.',
            details={'missing': missing},
        )
    limit = datetime.datetime.now(tz=datetime.UTC) + FUTURE_TOLERANCE
    future = int(tbl.where(col > limit).count())
    if future:
        raise TimestampError(
            f'{future} row(s) of {table_path(tbl)} have a {ts!r} in the future (after {limit:%Y-%m-%d %H:%M} UTC).',
            hint='Check the clock or time zone of the producer; naive timestamps are read as UTC.',
            details={'future': future},
        )
