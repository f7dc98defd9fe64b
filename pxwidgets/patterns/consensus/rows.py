"""Pages of a consensus's rows, filtered and sorted in the database: disagreements only, ties, consensus wrong, a
model wrong, two models that differ; sorted by agreement. Only the page's rows travel; images as thumbnails.

Example:
    >>> page = fetch_rows(t, state, RowQuery(filter='disagreements', order='agreement', limit=20))  # doctest: +SKIP
    >>> page['total'], len(page['rows'])  # doctest: +SKIP
    (31, 20)
"""

from __future__ import annotations

import io
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import PIL.Image
import pixeltable as pxt

from pxwidgets.errors import InvalidRequestError
from pxwidgets.patterns.consensus.catalog import ConsensusState
from pxwidgets.patterns.consensus.errors import NoGroundTruthError, NotEnoughModelsError
from pxwidgets.patterns.consensus.metrics import MISSING, reference_key
from pxwidgets.tables.internals import rowid_refs, table_version
from pxwidgets.tables.lru import LruCache
from pxwidgets.tables.thumbnails import Thumbnail, image_file_thumbnail, image_thumbnail

FILTERS = (
    'all',
    'disagreements',
    'ties',
    'consensus_wrong',
    'model_wrong',
    'models_differ',
    'model_failed',
    'confusion',
    'suspects',
)
"""The row filters: every one is a SQL ``where`` on stored scalar columns. ``confusion``: the rows of one cell of a
model's confusion matrix; ``suspects``: the rows whose ground truth is probably wrong (see :mod:`.suspects`)."""

ORDERS = ('table', 'agreement')
MAX_LIMIT = 200
LARGE_BOX = (640, 640)


@dataclass(frozen=True)
class RowQuery:
    """Which rows of a consensus to show.

    Attributes:
        filter: One of ``FILTERS``.
        model: The model for ``'model_wrong'`` / ``'model_failed'``.
        other: The second model for ``'models_differ'`` (champion vs challenger).
        reference: ``'confusion'``: what the model is scored against (``'truth'``, ``'consensus'``, ``'auto'``).
        actual: ``'confusion'``: the cell's reference label.
        predicted: ``'confusion'``: the cell's predicted label (``∅``: no prediction).
        order: ``'table'`` (insertion order) or ``'agreement'``.
        asc: Ascending (least agreement first when ordering by agreement).
        offset: The first row.
        limit: How many rows (1-200).
    """

    filter: str = 'all'
    model: str | None = None
    other: str | None = None
    order: str = 'table'
    asc: bool = True
    offset: int = 0
    limit: int = 50
    reference: str = 'auto'
    actual: str | None = None
    predicted: str | None = None

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> RowQuery:
        """A query from a panel request, refusing malformed fields with a clear message."""
        offset, limit = raw.get('offset', 0), raw.get('limit', 50)
        if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
            raise InvalidRequestError(f'offset must be a non-negative integer, not {offset!r}.')
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
            raise InvalidRequestError(f'limit must be an integer from 1 to {MAX_LIMIT}, not {limit!r}.')
        flt = raw.get('filter', 'all') or 'all'
        if flt not in FILTERS:
            raise InvalidRequestError(f'Unknown filter {flt!r}.', hint=f'Use one of: {", ".join(FILTERS)}.')
        order = raw.get('order', 'table') or 'table'
        if order not in ORDERS:
            raise InvalidRequestError(f'Unknown order {order!r}.', hint=f'Use one of: {", ".join(ORDERS)}.')
        model, other = raw.get('model'), raw.get('other')
        for key, value in (('model', model), ('other', other)):
            if value is not None and not isinstance(value, str):
                raise InvalidRequestError(f'{key} must be a model name.')
        cell = {k: raw.get(k) for k in ('reference', 'actual', 'predicted')}
        for key, value in cell.items():
            if value is not None and not isinstance(value, str):
                raise InvalidRequestError(f'{key} must be a label as text, not {value!r}.')
        reference = cell['reference'] or 'auto'
        asc = bool(raw.get('asc', True))
        return cls(flt, model, other, order, asc, offset, limit, reference, cell['actual'], cell['predicted'])


def _model(state: ConsensusState, name: str | None, what: str) -> Any:
    if not name:
        raise InvalidRequestError(f'The filter {what!r} needs a model.')
    info = state.model(name)
    if info is None:
        known = ', '.join(m.name for m in state.models)
        raise InvalidRequestError(f'No model named {name!r} in this consensus.', hint=f'Models: {known}.')
    return info


def _need_labels(state: ConsensusState, what: str) -> None:
    if state.kind == 'detections':
        raise InvalidRequestError(
            f'The filter {what!r} compares labels; this consensus compares detections.',
            hint='Use "disagreements" or sort by agreement.',
        )


def predicate(t: pxt.Table, state: ConsensusState, q: RowQuery) -> tuple[Any | None, str | None]:
    """The SQL predicate of a query's filter and its code, or ``(None, None)`` for all rows.

    Raises:
        NotEnoughModelsError: A filter that compares models with fewer than two.
        NoGroundTruthError: A filter against ground truth without one.
        InvalidRequestError: An unknown model, or a label filter on detections.
    """
    f = q.filter
    if f == 'all':
        return None, None
    if f == 'model_failed':
        m = _model(state, q.model, f)
        if not m.computed:
            raise InvalidRequestError(f'{m.name!r} is a stored column: it records no failures.')
        return t[m.column].errortype != None, f't.{m.column}.errortype != None'  # noqa: E711
    agreement = state.column('agreement')
    if agreement is None:
        raise NotEnoughModelsError(
            f'The filter {f!r} needs a consensus, which needs at least two models; this one has {len(state.models)}.',
            hint='Add another model.',
        )
    if f == 'disagreements':
        return t[agreement] < 1.0, f't.{agreement} < 1.0'
    _need_labels(state, f)
    if f == 'ties':  # a tie: no label, yet models answered (the tie column itself is not stored)
        label = str(state.column('label'))
        pred = (t[label] == None) & (t[agreement] != None)  # noqa: E711
        return pred, f'(t.{label} == None) & (t.{agreement} != None)'
    if f in ('consensus_wrong', 'model_wrong'):
        if state.truth_column is None:
            raise NoGroundTruthError(f'The filter {f!r} needs a ground-truth column; this consensus has none.')
        if f == 'consensus_wrong':
            label, truth = str(state.column('label')), state.truth_column
        else:
            m = _model(state, q.model, f)
            label, truth = state.sql_label(m), str(state.sql_truth(m))
        pred = (t[truth] != None) & ((t[label] != t[truth]) | (t[label] == None))  # noqa: E711
        return pred, f'(t.{truth} != None) & ((t.{label} != t.{truth}) | (t.{label} == None))'
    if f == 'confusion':
        return _confusion_cell(t, state, q)
    if f == 'suspects':
        from pxwidgets.patterns.consensus.suspects import suspects_predicate

        return suspects_predicate(t, state)
    a = _model(state, q.model, f)
    b = _model(state, q.other, f)
    if a.name == b.name:
        raise InvalidRequestError('Choose two different models to compare.')
    la, lb = state.sql_label(a), state.sql_label(b)
    return t[la] != t[lb], f't.{la} != t.{lb}'


def _confusion_cell(t: pxt.Table, state: ConsensusState, q: RowQuery) -> tuple[Any, str]:
    """The rows of one cell of a model's confusion matrix: reference label ``actual``, predicted ``predicted``."""
    m = _model(state, q.model, 'confusion')
    if q.actual is None or q.predicted is None:
        raise InvalidRequestError(
            'The filter confusion needs a cell: actual (the reference label) and predicted (the model label).'
        )
    column, reference = reference_key(state, q.reference)
    actual: Any = q.actual
    if reference == 'truth' and state.truth_is_raw:  # the truth's text is unstored: compare the truth itself
        column = str(state.truth)
        actual = raw_value(state.facts[column].col_type, q.actual)
    label = state.sql_label(m)
    value = raw_value(state.facts[label].col_type, q.predicted) if state.is_raw(m) else q.predicted
    if actual is None or (value is None and q.predicted != MISSING):  # a label the column cannot hold: no rows
        empty = label if actual is not None else column
        return (t[empty] == None) & (t[empty] != None), f'(t.{empty} == None) & (t.{empty} != None)'  # noqa: E711
    if q.predicted == MISSING:
        return (t[column] == actual) & (t[label] == None), f'(t.{column} == {actual!r}) & (t.{label} == None)'  # noqa: E711
    pred = (t[column] == actual) & (t[label] == value)
    return pred, f'(t.{column} == {actual!r}) & (t.{label} == {value!r})'


def raw_value(col_type: Any, text: str) -> Any:
    """The value of a string, int or bool column whose label (``label_of``) is ``text``, or None if there is none.

    Example:
        >>> import pixeltable as pxt
        >>> raw_value(pxt.Int.as_type(), '3'), raw_value(pxt.Int.as_type(), 'cat')  # doctest: +SKIP
        (3, None)
    """
    if col_type.is_bool_type():
        return {'true': True, 'false': False}.get(text)
    if col_type.is_int_type():
        try:
            value = int(text)
        except ValueError:
            return None
        return value if str(value) == text else None
    return text


def empty_cell_error(state: ConsensusState, q: RowQuery) -> InvalidRequestError:
    """What an empty confusion cell says (it has no rows to show)."""
    _, reference = reference_key(state, q.reference)
    predicted = 'gave no label' if q.predicted == MISSING else f'predicted {q.predicted!r}'
    return InvalidRequestError(
        f'No rows: where the {"ground truth" if reference == "truth" else "consensus"} is {q.actual!r}, '
        f'{q.model} never {predicted}.',
        hint='Pick a cell with a count above 0.',
    )


def _image(value: Any, *, large: bool = False) -> Thumbnail | None:
    if value is None:
        return None
    if isinstance(value, str):
        if not large:
            return image_file_thumbnail(value)
        with PIL.Image.open(value) as img:
            return _large(img)
    if isinstance(value, PIL.Image.Image):
        return _large(value) if large else image_thumbnail(value)
    return None


def _large(img: PIL.Image.Image) -> Thumbnail:
    size = img.size
    copy = img.convert('RGB') if img.mode not in ('RGB', 'L') else img.copy()
    if copy.width < 256:  # tiny inputs (8x8 digits) are shown enlarged with sharp pixels
        factor = max(1, 256 // copy.width)
        copy = copy.resize((copy.width * factor, copy.height * factor), PIL.Image.Resampling.NEAREST)
    copy.thumbnail(LARGE_BOX)
    buf = io.BytesIO()
    copy.save(buf, format='PNG' if copy.width * copy.height <= 256 * 256 else 'JPEG')
    return Thumbnail(buf.getvalue(), 'image/png' if copy.width * copy.height <= 256 * 256 else 'image/jpeg', *size)


def _select(t: pxt.Table, state: ConsensusState) -> dict[str, Any]:
    sel: dict[str, Any] = {}
    if state.input is not None:
        fact = state.facts.get(state.input)
        col = t[state.input]
        if fact is not None and fact.col_type.is_image_type():
            sel['input'] = col.localpath if fact.is_stored else col
        else:
            sel['input'] = col
    for i, m in enumerate(state.models):
        if state.kind == 'detections':
            sel[f'o{i}'] = t[m.column]
        else:
            sel[f'l{i}'] = t[str(m.label_column)]
            if m.confidence_column:
                sel[f'c{i}'] = t[m.confidence_column]
        if m.computed:
            sel[f'e{i}'] = t[m.column].errortype
            sel[f'm{i}'] = t[m.column].errormsg
    vote = state.column('vote')
    if vote is not None:
        sel['vote'] = t[vote]
    if state.truth_column is not None:
        sel['truth'] = t[state.truth_column]
    elif state.truth is not None:
        sel['truth'] = t[state.truth]
    for part in ('weighted_label', 'accuracy_weighted_label', 'custom_label'):
        column = state.column(part)
        if column is not None:
            sel[part] = t[column]
    return sel


def _row(state: ConsensusState, raw: Mapping[str, Any], index: int, *, large: bool) -> dict[str, Any]:
    row: dict[str, Any] = {'index': index}
    if 'input' in raw:
        value = raw['input']
        try:
            row['image'] = _image(value, large=large)
        except Exception as exc:  # an unreadable file is that cell's error, not the page's
            row['image'] = None
            row['image_error'] = f'{type(exc).__name__}: {exc}'
        if not isinstance(value, str | PIL.Image.Image) and value is not None:
            row['input_text'] = str(value)[:500]
    models = {}
    for i, m in enumerate(state.models):
        cell: dict[str, Any] = {}
        if state.kind == 'detections':
            cell['detections'] = raw.get(f'o{i}')
        else:
            cell['label'] = raw.get(f'l{i}')
            if f'c{i}' in raw:
                cell['confidence'] = raw.get(f'c{i}')
        if raw.get(f'e{i}') is not None:
            cell['error'] = {'errortype': str(raw[f'e{i}']), 'errormsg': str(raw.get(f'm{i}') or '')[:500]}
        models[m.name] = cell
    row['models'] = models
    vote = raw.get('vote')
    if isinstance(vote, dict):
        keep = (
            'label',
            'tie',
            'tied',
            'scores',
            'agreement',
            'dissent',
            'missing',
            'n_valid',
            'n_models',
            'bboxes',
            'labels',
            'scores',
            'votes',
            'per_model',
        )
        row['consensus'] = {k: vote[k] for k in keep if k in vote}
    else:
        row['consensus'] = None
    if 'truth' in raw:
        row['truth'] = raw['truth']
    for part in ('weighted_label', 'accuracy_weighted_label', 'custom_label'):
        if part in raw:
            row[part] = raw[part]
    return row


def _chain(q: RowQuery, pred_code: str | None, agreement: str | None) -> str:
    parts = ['t']
    if pred_code:
        parts.append(f'.where({pred_code})')
    if q.order == 'agreement' and agreement:
        parts.append(f'.order_by(t.{agreement}, asc={q.asc})')
    elif q.filter == 'suspects' and agreement:
        parts.append(f'.order_by(t.{agreement.removesuffix("_agreement")}_label_quality)')
    return ''.join(parts)


def query_code(path: str, q: RowQuery, pred_code: str | None, agreement: str | None) -> str:
    """The plain Pixeltable code that reads the same rows."""
    window = f'.limit({q.limit}, offset={q.offset})' if q.offset else f'.limit({q.limit})'
    chain = _chain(q, pred_code, agreement)
    return f'import pixeltable as pxt\n\nt = pxt.get_table({path!r})\n{chain}{window}.collect()\n'


def pandas_code(path: str, q: RowQuery, pred_code: str | None, agreement: str | None, *, full: bool = True) -> str:
    """The plain Pixeltable code of every row the query keeps (no page), as a pandas DataFrame and a CSV file;
    ``full=False`` gives only the lines after ``t = pxt.get_table(…)`` (to follow a page's ``code``)."""
    tail = (
        f'df = {_chain(q, pred_code, agreement)}.collect().to_pandas()\n'
        "df.to_csv('export.csv', index=False)  # media columns: select t.<col>.fileurl for their URLs\n"
    )
    return f'import pixeltable as pxt\n\nt = pxt.get_table({path!r})\n{tail}' if full else tail


COUNTS: LruCache[int] = LruCache(256)
"""Filtered counts already made: paging through a filter counts its rows once per table version."""


def count_rows(t: pxt.Table, base: Any, pred_code: str | None, path: str) -> int:
    """How many rows a filter keeps (SQL ``count``), cached per table version."""
    key = (path, table_version(t), pred_code)
    cached = COUNTS.get(key)
    if cached is not None:
        return cached
    total = int(base.count())
    COUNTS.put(key, total)
    return total


def count_filtered(t: pxt.Table, state: ConsensusState, q: RowQuery, *, path: str) -> int:
    """How many rows a query's filter keeps (the panel asks after the first page is on screen)."""
    pred, pred_code = predicate(t, state, q)
    return count_rows(t, t if pred is None else t.where(pred), pred_code, path)


def sort_key(state: ConsensusState, q: RowQuery) -> tuple[str, bool] | None:
    """The column a query sorts by and its direction (``None``: table order), before Pixeltable's row order: by
    agreement, or (suspect labels in table order) most suspect first.

    Raises:
        NotEnoughModelsError: Sorting by agreement without a consensus.
    """
    if q.order == 'agreement':
        agreement = state.column('agreement')
        if agreement is None:
            raise NotEnoughModelsError('Sorting by agreement needs a consensus (at least two models).')
        return agreement, q.asc
    quality = state.column('label_quality')
    if q.filter == 'suspects' and quality is not None:
        return quality, True
    return None


def _ordered(t: pxt.Table, state: ConsensusState, q: RowQuery, base: Any) -> Any:
    """The query sorted as asked (:func:`sort_key`); ties, and the table order itself, in Pixeltable's row order
    (insertion order), so that pages neither overlap nor skip rows (Postgres gives no order without one, and rows move
    once a column is added or rebuilt)."""
    rows = rowid_refs(t)
    sort = sort_key(state, q)
    if sort is not None:
        return base.order_by(t[sort[0]], asc=sort[1]).order_by(*rows)
    return base.order_by(*rows)


def fetch_rows(t: pxt.Table, state: ConsensusState, q: RowQuery, *, path: str, count: bool = True) -> dict[str, Any]:
    """One page of rows: each with its input (thumbnail), every model's label / confidence / boxes / error, the
    consensus (label, tie, agreement, dissenting models) and the ground truth.

    Returns:
        ``{'rows', 'total', 'offset', 'limit', 'elapsed_ms', 'code'}``; ``total`` counts the filtered rows in SQL.
    """
    start = time.perf_counter()
    pred, pred_code = predicate(t, state, q)
    base: Any = t if pred is None else t.where(pred)
    agreement = state.column('agreement')
    base = _ordered(t, state, q, base)
    result = base.select(**_select(t, state)).limit(q.limit, offset=q.offset).collect()
    if not len(result) and q.offset == 0 and q.filter == 'confusion':
        raise empty_cell_error(state, q)
    rows = [_row(state, result[i], q.offset + i, large=False) for i in range(len(result))]
    total = count_rows(t, t if pred is None else t.where(pred), pred_code, path) if count else None
    return {
        'rows': rows,
        'total': total,
        'offset': q.offset,
        'limit': q.limit,
        'elapsed_ms': round((time.perf_counter() - start) * 1000, 1),
        'code': query_code(path, q, pred_code, agreement),
        'pandas_code': pandas_code(path, q, pred_code, agreement, full=False),
    }


def fetch_row(t: pxt.Table, state: ConsensusState, q: RowQuery, index: int) -> dict[str, Any]:
    """One row of a query (by its position in the filtered, sorted rows) with its image large."""
    pred, _ = predicate(t, state, q)
    base: Any = _ordered(t, state, q, t if pred is None else t.where(pred))
    result = base.select(**_select(t, state)).limit(1, offset=index).collect()
    if not len(result):
        raise InvalidRequestError(f'There is no row {index} with this filter (any more).')
    return _row(state, result[0], index, large=True)


def disagreement_frame(page: Mapping[str, Any], kind: str | None) -> pd.DataFrame:
    """A page of rows as a DataFrame: each model's label (or boxes), the consensus, tie, agreement, dissent, truth."""
    records = []
    for r in page['rows']:
        rec: dict[str, Any] = {m: cell.get('label', cell.get('detections')) for m, cell in r['models'].items()}
        cons = r.get('consensus') or {}
        rec['consensus'] = cons.get('label') if kind != 'detections' else cons.get('bboxes')
        rec['tie'] = cons.get('tie')
        rec['agreement'] = cons.get('agreement')
        rec['dissent'] = cons.get('dissent')
        if 'truth' in r:
            rec['truth'] = r['truth']
        records.append(rec)
    return pd.DataFrame(records)
