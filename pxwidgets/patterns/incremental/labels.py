"""Late ground truth: fill in labels by key, or join them from a labels table. Pixeltable re-scores exactly the rows
whose label changes (the correctness column is computed from the label).

Example:
    >>> add_labels(tbl, spec, {17: 3, 18: 5})  # doctest: +SKIP
    2
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pixeltable as pxt

from pxwidgets.errors import InvalidRequestError
from pxwidgets.patterns.incremental.declaration import column_name, resolve_table
from pxwidgets.patterns.incremental.errors import InvalidColumnError
from pxwidgets.patterns.incremental.store import Spec
from pxwidgets.tables.internals import column_facts


def add_labels(tbl: pxt.Table, spec: Spec, labels: Mapping[Any, Any], *, key: str | None = None) -> int:
    """Fill in late ground truth: ``{key value: label}``. Pixeltable re-scores exactly these rows.

    Args:
        labels: Label per row, by primary-key value (or by ``key`` column value).
        key: The column identifying rows (default: the table's single primary-key column).

    Returns:
        The number of rows updated.

    Raises:
        InvalidColumnError: Without a key column, or a label of the wrong type.
        InvalidRequestError: If a key matches no row (before any write). With a primary key the update is one
            atomic ``batch_update``; by another column it is one ``update`` per label.
    """
    facts = {f.name: f for f in column_facts(tbl)}
    if key is None:
        pks = [f.name for f in facts.values() if f.is_pk]
        if len(pks) != 1:
            raise InvalidColumnError('The table has no single primary key: say which column identifies rows (key=).')
        key = pks[0]
    key = column_name(tbl, key, 'key')
    expected: type = {'int': int, 'string': str, 'detections': dict}[spec.label_type]
    bad = [v for v in labels.values() if v is not None and (not isinstance(v, expected) or isinstance(v, bool))]
    if bad:
        what = 'ground-truth boxes ({"bboxes", "labels"})' if spec.detections else expected.__name__
        raise InvalidColumnError(f'Labels must be {what}; got {bad[0]!r}.')
    if not labels:
        return 0
    t = tbl
    known = {r['k'] for r in t.where(t[key].isin(list(labels))).select(k=t[key]).collect()}
    unknown = [k for k in labels if k not in known]
    if unknown:
        raise InvalidRequestError(
            f'{len(unknown)} key(s) match no row of {spec.table} (e.g. {unknown[0]!r}); nothing was written.'
        )
    if facts[key].is_pk:
        status = t.batch_update([{key: k, spec.ground_truth: v} for k, v in labels.items()])
        return int(status.num_rows)
    updated = 0
    for k, v in labels.items():
        updated += int(t.update({spec.ground_truth: v}, where=t[key] == k).num_rows)
    return updated


def add_labels_from(
    tbl: pxt.Table,
    spec: Spec,
    source: str | pxt.Table,
    *,
    key: str = 'id',
    label: str = 'label',
    overwrite: bool = False,
) -> int:
    """Join late ground truth from a labels table (filled by annotators, say) into the evaluated table.

    Rows of ``source`` with a label are matched on ``key``; by default only rows still waiting for their label
    are filled (``overwrite=True`` also corrects labels that differ). Keys the evaluated table does not have are
    skipped. Pixeltable re-scores exactly the rows that change.

    Returns:
        The number of rows labeled.

    Example:
        >>> add_labels_from(tbl, spec, 'demo/annotations', key='id', label='digit')  # doctest: +SKIP
        412
    """
    src = resolve_table(source)
    skey, slabel = column_name(src, key, 'key'), column_name(src, label, 'label')
    incoming = {
        r['k']: r['v']
        for r in src.where(src[slabel] != None).select(k=src[skey], v=src[slabel]).collect()  # noqa: E711
    }
    if not incoming:
        return 0
    t, truth = tbl, tbl[spec.ground_truth]
    mine = column_name(t, key, 'key')
    current = {r['k']: r['v'] for r in t.where(t[mine].isin(list(incoming))).select(k=t[mine], v=truth).collect()}
    wanted = {
        k: v for k, v in incoming.items() if k in current and (current[k] is None or (overwrite and current[k] != v))
    }
    return add_labels(t, spec, wanted, key=mine) if wanted else 0
