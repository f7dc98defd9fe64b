"""``MultiModelConsensus``: run N models on the same rows, compare them and combine them, inside Pixeltable.

Each model's output is a computed column (computed once, cached, kept up to date on insert); beside it the pattern
adds the model's label (and confidence) as plain columns. The consensus is computed columns too: the majority vote
(ties reported, never broken silently), its label, agreement and tie flag as scalar columns, a confidence-weighted
vote when models give confidences, an accuracy-weighted vote when there is ground truth, a user ``consensus_fn``;
for detections, box-level consensus by weighted box fusion. So filters ("disagreements only") are SQL, metrics are
one SQL ``group by``, and new rows get everything computed on insert.

The object keeps nothing that is not in the catalog: ``MultiModelConsensus.open(path)`` rebuilds it after a kernel
restart, and columns added by hand with plain Pixeltable become models with ``add_model(name, '<column>')``.

Example:
    >>> from pxwidgets import MultiModelConsensus
    >>> c = MultiModelConsensus('demo/digits', 'image', ground_truth='label')  # doctest: +SKIP
    >>> c.add_model('logreg', 'classify_digit', params={'model': 'logreg'})  # doctest: +SKIP
    >>> c.add_model('knn', 'classify_digit', params={'model': 'knn'})  # doctest: +SKIP
    >>> c.add_model('hand', 'my_old_predictions')  # an existing column  # doctest: +SKIP
    >>> c.rows(filter='disagreements', limit=10)  # doctest: +SKIP
    >>> c.summary()  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pixeltable as pxt

from pxwidgets.errors import InvalidRequestError
from pxwidgets.patterns.common.names import validate_stage_name
from pxwidgets.patterns.common.plans import Plan, PlanResult, execute
from pxwidgets.patterns.common.registry import Registry, default_registry
from pxwidgets.patterns.consensus.catalog import ConsensusState, ModelInfo, consensus_names, read_state
from pxwidgets.patterns.consensus.checks import (
    check_consensus_fn,
    check_kind,
    check_options,
    check_rebuild,
    check_stored,
    need_models,
)
from pxwidgets.patterns.consensus.codegen import consensus_code
from pxwidgets.patterns.consensus.columns import DEFAULT_OPTIONS, code_block
from pxwidgets.patterns.consensus.errors import (
    ConfirmationRequiredError,
    ModelNotFoundError,
)
from pxwidgets.patterns.consensus.export import consensus_rows
from pxwidgets.patterns.consensus.measures import ConsensusMeasures
from pxwidgets.patterns.consensus.metrics import ConsensusMetrics, best_of
from pxwidgets.patterns.consensus.models import Pending, prepare, preview
from pxwidgets.patterns.consensus.plans import plan_remove, removal_code
from pxwidgets.patterns.consensus.rows import RowQuery, count_filtered, disagreement_frame, fetch_row, fetch_rows
from pxwidgets.patterns.consensus.writes import (
    ProgressCallback,
    check_pending,
    rebuild_columns,
    rebuild_with,
    write_models,
)
from pxwidgets.tables.export import RowSource, export_csv
from pxwidgets.tables.resolve import open_table, table_path

__all__ = ['ConsensusMetrics', 'MultiModelConsensus', 'ProgressCallback', 'best_of', 'consensus_names']

PREVIEW_ROWS = 5


def _source_path(source: str | pxt.Table) -> str:
    if isinstance(source, str):
        return source
    if isinstance(source, pxt.Table):
        return table_path(source)
    raise InvalidRequestError(f'A consensus runs on a table or its path, not {type(source).__name__}.')


class MultiModelConsensus(ConsensusMeasures):
    """N models on the same rows of one table (or view), their consensus and how they compare.

    Args:
        table: The table or view (or its path) whose rows the models read.
        input_column: The column models read (an image, text, …); needed to add models from transforms or UDFs.
        name: The consensus's name: the prefix of its columns (several consensuses can share a table).
        kind: ``'labels'``, ``'detections'`` or ``'text'``; by default detected from the first model's output.
        ground_truth: A column with the true labels (or boxes); missing values are allowed (those rows are not scored).
        options: Box consensus: ``min_votes`` (default 2), ``iou_threshold`` (0.55), ``skip_threshold`` (0.0). Free
            text: ``text_match`` (``'exact'``: normalised exact match, the default; ``'embedding'``: answers whose
            wordllama embeddings are at least ``similarity_threshold`` (0.8) cosine-similar agree).
        registry: The transforms ``add_model`` can name (default: the process-wide registry; the demo adds its digit
            classifiers to it, see :func:`pxwidgets.demo.classifiers.register_digit_classifiers`).

    Raises:
        TableNotFoundError: No table at that path.
        InvalidRequestError: An unknown input or ground-truth column, an unknown kind.

    Example:
        >>> c = MultiModelConsensus('demo/digits', 'image', ground_truth='label')  # doctest: +SKIP
        >>> [m.name for m in c.models]  # doctest: +SKIP
        []
    """

    def __init__(
        self,
        table: str | pxt.Table,
        input_column: str | None = None,
        *,
        name: str = 'consensus',
        kind: str | None = None,
        ground_truth: str | None = None,
        options: Mapping[str, Any] | None = None,
        registry: Registry | None = None,
    ) -> None:
        self._path = _source_path(table)
        self._name = validate_stage_name(name)
        self._registry = registry if registry is not None else default_registry()
        state = self.state()
        check_kind(kind)
        check_options(options or {})
        check_stored(self._path, state, {'input': input_column, 'kind': kind, 'ground_truth': ground_truth})
        self._input = state.input or input_column
        self._kind = state.kind or kind
        self._truth = state.truth or ground_truth
        self._options = {**DEFAULT_OPTIONS, **state.options, **dict(options or {})}
        self.last_code = ''
        """The plain Pixeltable code of the last write (``add_model``, ``remove_model``, rebuilds)."""
        for column in (self._input, self._truth):
            if column is not None and column not in state.facts:
                raise InvalidRequestError(
                    f'{self._path} has no column {column!r}.', hint=f'Columns: {", ".join(state.facts)}.'
                )

    @classmethod
    def open(
        cls, path: str | pxt.Table, *, name: str = 'consensus', registry: Registry | None = None
    ) -> MultiModelConsensus:
        """Rebuild a consensus from the catalog (e.g. after a kernel restart).

        Raises:
            ModelNotFoundError: The table has no consensus of that name.

        Example:
            >>> c = MultiModelConsensus.open('demo/digits')  # doctest: +SKIP
        """
        consensus = cls(path, name=name, registry=registry)
        if not consensus.models:
            found = sorted({c['consensus'] for c in consensus_names(open_table(consensus._path))})
            raise ModelNotFoundError(
                f'{consensus._path} has no consensus named {name!r}.',
                hint=f'Consensuses there: {", ".join(found)}.'
                if found
                else 'Create one with MultiModelConsensus(...).',
            )
        return consensus

    # ------------------------------------------------------------------------------------------------- reading

    def _table(self) -> pxt.Table:
        return open_table(self._path)

    def state(self, tbl: pxt.Table | None = None) -> ConsensusState:
        """The consensus as the catalog holds it now (its models, columns and configuration), read from ``tbl``.

        Example:
            >>> [m.name for m in c.state().models]  # doctest: +SKIP
            ['logreg', 'knn']
        """
        return read_state(tbl if tbl is not None else self._table(), self._name)

    @property
    def path(self) -> str:
        """The table's path."""
        return self._path

    @property
    def name(self) -> str:
        """The consensus's name (its columns' prefix)."""
        return self._name

    @property
    def input(self) -> str | None:
        """The column models read."""
        return self._input

    @property
    def kind(self) -> str | None:
        """``'labels'``, ``'detections'`` or ``'text'`` (None until the first model is added)."""
        return self._kind

    @property
    def ground_truth(self) -> str | None:
        """The ground-truth column, if any."""
        return self._truth

    @property
    def registry(self) -> Registry:
        return self._registry

    @property
    def options(self) -> dict[str, Any]:
        return dict(self._options)

    @property
    def models(self) -> list[ModelInfo]:
        """The models, in the order they were added."""
        return self.state().models

    def model(self, name: str) -> ModelInfo:
        """One model. Raises ``ModelNotFoundError``."""
        state = self.state()
        info = state.model(name)
        if info is None:
            raise ModelNotFoundError(
                f'The consensus {self._name!r} has no model named {name!r}.',
                hint=f'Models: {", ".join(m.name for m in state.models) or "none yet"}.',
            )
        return info

    def columns(self) -> dict[str, str]:
        """The consensus columns by part (``'vote'``, ``'label'``, ``'agreement'``, ``'tie'``, …)."""
        return {c.part: c.name for c in self.state().columns}

    def table(self) -> pxt.Table:
        """The Pixeltable table (query it like any other: the consensus is in its columns)."""
        return self._table()

    def to_json(self) -> dict[str, Any]:
        """The consensus's configuration as a panel shows it."""
        state = self.state()
        return {
            'path': self._path,
            'name': self._name,
            'input': self._input,
            'kind': self._kind,
            'ground_truth': self._truth,
            'truth_column': state.truth_column,
            'options': self._options,
            'models': [m.to_json() for m in state.models],
            'columns': {c.part: c.name for c in state.columns},
            'rows': int(self._table().count()),
        }

    def rows(
        self,
        filter: str = 'all',
        *,
        model: str | None = None,
        other: str | None = None,
        order: str = 'table',
        asc: bool = True,
        offset: int = 0,
        limit: int = 50,
        count: bool = True,
        **cell: str,
    ) -> dict[str, Any]:
        """One page of rows, filtered and sorted in the database (see :mod:`.rows` for the filters). A confusion
        cell's rows: ``rows('confusion', model='knn', actual='3', predicted='8')`` (``reference='consensus'`` to
        score against the consensus).

        Example:
            >>> c.rows('model_wrong', model='knn', limit=5)['total']  # doctest: +SKIP
            8
        """
        values = {'filter': filter, 'model': model, 'other': other, 'order': order, 'asc': asc, **cell}
        q = RowQuery.from_dict({**values, 'offset': offset, 'limit': limit})
        tbl = self._table()
        return fetch_rows(tbl, self.state(tbl), q, path=self._path, count=count)

    def count(self, filter: str = 'all', *, model: str | None = None, other: str | None = None, **cell: str) -> int:
        """How many rows a filter keeps (one SQL ``count``, cached per table version).

        Example:
            >>> c.count('disagreements')  # doctest: +SKIP
            2140
        """
        q = RowQuery.from_dict({'filter': filter, 'model': model, 'other': other, **cell})
        tbl = self._table()
        return count_filtered(tbl, self.state(tbl), q, path=self._path)

    def row(self, index: int, filter: str = 'all', **query: Any) -> dict[str, Any]:
        """One row of a filtered, sorted query, its image large (for a detail view)."""
        q = RowQuery.from_dict({'filter': filter, **query})
        tbl = self._table()
        return fetch_row(tbl, self.state(tbl), q, index)

    def export_rows(self, filter: str = 'all', **query: Any) -> RowSource:
        """The rows of a filter in an order (the grid's query, without its page), as a CSV export reads them: every
        column, media as file URLs (see :mod:`pxwidgets.tables.export`).

        Example:
            >>> export_csv(c.path, 'wrong.csv', c.export_rows('model_wrong', model='knn'))  # doctest: +SKIP
            8
        """
        q = RowQuery.from_dict({**query, 'filter': filter, 'offset': 0, 'limit': 1})
        return consensus_rows(self._path, self.state, q)

    def export_csv(self, dest: str | Path, filter: str = 'all', **query: Any) -> int:
        """Write every row a filter keeps, in the grid's order, to a CSV file (up to 1M rows); returns the rows written.

        Example:
            >>> c.export_csv('disagreements.csv', 'disagreements', order='agreement')  # doctest: +SKIP
            31
        """
        return export_csv(self._path, dest, self.export_rows(filter, **query))

    def disagreements(self, n: int = 20) -> pd.DataFrame:
        """The rows where the models disagree, least agreement first, as a DataFrame (labels, consensus, truth)."""
        return disagreement_frame(self.rows('disagreements', order='agreement', limit=n), self._kind)

    # ------------------------------------------------------------------------------------------------- models

    def preview_model(
        self,
        model: Any,
        params: Mapping[str, Any] | None = None,
        *,
        n: int = PREVIEW_ROWS,
        name: str = 'preview',
        allow_notebook_udfs: bool = False,
    ) -> pd.DataFrame:
        """Run a model on the first ``n`` rows without writing anything: its output, label, confidence and any error.

        Example:
            >>> c.preview_model('classify_digit', {'model': 'svc'}, n=3)  # doctest: +SKIP
        """
        return preview(self, model, params, n=n, name=name, allow=allow_notebook_udfs)

    def add_model(
        self,
        name: str,
        model: Any = None,
        *,
        params: Mapping[str, Any] | None = None,
        kind: str | None = None,
        on_progress: ProgressCallback | None = None,
        allow_notebook_udfs: bool = False,
    ) -> ModelInfo:
        """Add a model: its output becomes a computed column (timed), its label and confidence plain columns beside
        it, and the consensus columns are rebuilt over every model.

        Args:
            name: The model's name (and its output column's, unless it adopts an existing column).
            model: A registered transform's name (with ``params``), a UDF (applied to the input column with
                ``params``), a Pixeltable expression, or the name of an existing column (adopted as is; tables built
                with plain Pixeltable work). Default: the column named ``name``.
            params: The transform's or UDF's parameters.
            kind: Declare the output kind instead of detecting it.
            on_progress: Called as ``(done, total, message)`` between steps.
            allow_notebook_udfs: Accept a UDF defined in a notebook (breaks after a kernel restart).

        Returns:
            The new model.

        Raises:
            ModelNameError: An invalid name, a model of that name, or a column the model would add exists.
            MixedKindsError: The model outputs another kind than the consensus's models (with both kinds).
            LabelTypeError: Its labels are of another type (number, string, bool) than the consensus's (its ground
                truth's, or its models'); map them explicitly, e.g. with ``pxwidgets.functions.consensus.map_label``.
            ModelNotFoundError: ``model`` names neither a column nor a transform.
            InvalidParameterError: Invalid transform parameters (per-parameter details).
            NotebookUDFError: A UDF defined in the notebook.

        Nothing is written when it raises before the model's column is added. A failure after that (rare: Pixeltable
        refusing a column) raises ``ConsensusError`` saying what was added; ``rebuild()`` converges.
        """
        return self._add({name: (name if model is None else model, params, kind)}, on_progress, allow_notebook_udfs)[0]

    def add_models(
        self,
        models: Mapping[str, Any],
        *,
        on_progress: ProgressCallback | None = None,
        allow_notebook_udfs: bool = False,
    ) -> list[ModelInfo]:
        """Add several models at once: every one is checked before anything is written, and the consensus columns are
        built once (``add_model`` rebuilds them for each model).

        Args:
            models: ``{name: model}`` or ``{name: (model, params)}``, each as ``add_model`` takes it.
            on_progress: Called as ``(done, total, message)`` between steps.
            allow_notebook_udfs: Accept UDFs defined in a notebook.

        Example:
            >>> c.add_models({'knn': ('classify_digit', {'model': 'knn'}), 'hand': 'hand'})  # doctest: +SKIP
        """
        specs = {name: (*(spec if isinstance(spec, tuple) else (spec, None)), None) for name, spec in models.items()}
        return self._add(specs, on_progress, allow_notebook_udfs)

    def _add(
        self,
        models: Mapping[str, tuple[Any, Mapping[str, Any] | None, str | None]],
        on_progress: ProgressCallback | None,
        allow_notebook_udfs: bool,
    ) -> list[ModelInfo]:
        """Check every model (``{name: (model, params, kind)}``), then write them all and rebuild the consensus once."""
        progress = on_progress or (lambda done, total, message: None)
        tbl = self._table()
        state = self.state(tbl)
        pending: list[Pending] = []
        for name, (model, params, kind) in models.items():
            pending.append(prepare(self, tbl, state, pending, name, model, params, kind, allow_notebook_udfs))
        if not pending:
            return []
        check_pending(self, tbl, state, pending)
        try:
            code = write_models(self, tbl, state, pending, progress)
        finally:
            self._kind = self.state().kind or self._kind
        self.last_code = code_block(self._path, code)
        return [self.model(p.name) for p in pending]

    def rebuild(self, *, consensus_fn: Any = None) -> None:
        """Recompute the consensus columns over the current models (accuracy weights re-measured), optionally with a
        new ``consensus_fn``: a UDF (in a module) taking ``{model: {'label', 'confidence'}}`` and returning a label.

        Example:
            >>> c.rebuild(consensus_fn=my_module.prefer_svc)  # doctest: +SKIP
        """
        tbl = self._table()
        state = self.state(tbl)
        need_models(state, 2, 'A consensus')
        if consensus_fn is not None:
            check_consensus_fn(state, self._path, consensus_fn)
        check_rebuild(tbl, state)
        code = [rebuild_columns(self, tbl)] if consensus_fn is None else rebuild_with(self, tbl, consensus_fn)
        self.last_code = code_block(self._path, code)

    def plan_remove_model(self, name: str) -> Plan:
        """What ``remove_model(name)`` would do: drop the consensus columns, the model's label / confidence columns
        and its output column (an adopted column is kept), then rebuild the consensus over the other models.

        Raises:
            ModelNotFoundError: No such model.
            ModelInUseError: Columns outside the consensus read the model's columns (they would block the drop).
        """
        return plan_remove(self, name)

    def remove_model(self, name: str, *, expect: Plan | str | None = None) -> PlanResult:
        """Remove a model after its plan was confirmed: ``remove_model(name, expect=plan_remove_model(name))``.

        Raises:
            ConfirmationRequiredError: Without ``expect`` (``details['plan']`` is the plan); nothing is done.
            PlanChangedError: The catalog changed since the plan was made; nothing is done.
            PartialExecutionError: A step failed after others were done (each listed).
        """
        plan = self.plan_remove_model(name)
        if expect is None:
            raise ConfirmationRequiredError(
                f'Removing the model {name!r} drops columns. Nothing was done. {plan.describe()}',
                hint=f'Confirm with remove_model({name!r}, expect=plan_remove_model({name!r})).',
                details={'plan': plan.to_json()},
            )
        result = execute(expect, lambda: self.plan_remove_model(name))
        self.last_code = code_block(self._path, removal_code(result))
        if not self.state().models:
            self._kind = None
        return result

    def to_code(self) -> str:
        """The plain Pixeltable code that builds this consensus's columns on a table that has the models' outputs."""
        return consensus_code(self)
