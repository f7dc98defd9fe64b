"""A consensus's filtered, sorted rows as a CSV export reads them: the grid's own filter (:func:`.rows.predicate`) and
order (:func:`.rows.sort_key`, then Pixeltable's row order), every column of the table (media as file URLs).

Example:
    >>> source = consensus_rows('demo/digits', state_of, RowQuery('disagreements', order='agreement'))  # doctest: +SKIP
    >>> export_csv('demo/digits', 'disagreements.csv', source)  # doctest: +SKIP
    31
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pixeltable as pxt

from pxwidgets.patterns.consensus.catalog import ConsensusState
from pxwidgets.patterns.consensus.rows import RowQuery, count_filtered, pandas_code, predicate, sort_key
from pxwidgets.tables.columns import describe_columns
from pxwidgets.tables.export import RowSet, RowSource
from pxwidgets.tables.keyset import Order


def consensus_rows(path: str, state_of: Callable[[pxt.Table], ConsensusState], q: RowQuery) -> RowSource:
    """The rows of query ``q`` (its page ignored) over the table an export opens; ``state_of`` reads the consensus
    from that table (``MultiModelConsensus.state``).

    Raises (when the export reads):
        NotEnoughModelsError, NoGroundTruthError, InvalidRequestError: as the grid's pages do for the same query.
    """
    q = replace(q, offset=0)

    def build(t: pxt.Table) -> RowSet:
        state = state_of(t)
        pred, pred_code = predicate(t, state, q)
        sort = sort_key(state, q)
        return RowSet(
            describe_columns(t),
            pred,
            Order(sort, True, ()),  # ties in Pixeltable's row order, as the grid's pages
            lambda: count_filtered(t, state, q, path=path),
            pandas_code(path, q, pred_code, state.column('agreement')),
            '' if q.filter == 'all' else q.filter,
        )

    return build
