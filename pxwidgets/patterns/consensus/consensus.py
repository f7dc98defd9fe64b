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

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pixeltable as pxt
import plotly.graph_objects as go
from pixeltable import exprs, func

from pxwidgets.errors import InvalidRequestError, PxWidgetsError
from pxwidgets.patterns.common.guards import refuse_notebook_functions
from pxwidgets.patterns.common.names import validate_stage_name
from pxwidgets.patterns.common.plans import Plan, PlanResult, Step, execute
from pxwidgets.patterns.common.registry import Registry
from pxwidgets.patterns.consensus import figures, metrics
from pxwidgets.patterns.consensus.catalog import KINDS, ConsensusState, ModelInfo, dependents, read_state
from pxwidgets.patterns.consensus.columns import (
    DEFAULT_OPTIONS,
    ColumnSpec,
    add_code,
    add_lines,
    confidence_name,
    consensus_columns,
    marker_name,
    model_columns,
    truth_column,
)
from pxwidgets.patterns.consensus.errors import (
    ConfirmationRequiredError,
    ConsensusError,
    MixedKindsError,
    ModelInUseError,
    ModelNameError,
    ModelNotFoundError,
    NoGroundTruthError,
    NotEnoughModelsError,
)
from pxwidgets.patterns.consensus.kinds import detect_kind, has_confidence
from pxwidgets.patterns.consensus.rows import RowQuery, fetch_row, fetch_rows
from pxwidgets.patterns.consensus.transforms import model_registry
from pxwidgets.tables.internals import table_version
from pxwidgets.tables.resolve import open_table, table_path

ProgressCallback = Callable[[int, int, str], None]
"""``on_progress(done, total, message)``."""

PREVIEW_ROWS = 5


@dataclass(frozen=True)
class _Pending:
    """A model that passed every check and is about to be written."""

    name: str
    column: str
    expr: Any
    expr_code: str
    adopted: bool
    kind: str
    with_conf: bool


@dataclass(frozen=True)
class ConsensusMetrics:
    """Everything the summary shows, computed from aggregates.

    Attributes:
        summary: One row per model and per consensus method (see :meth:`MultiModelConsensus.summary`).
        kappa: Pairwise Cohen's kappa (labels), or None.
        fleiss: Fleiss' kappa over rows where every model answered (labels), or None.
        fleiss_rows: How many rows Fleiss' kappa used.
        groups: How many distinct label combinations the database returned (what the metrics were computed from).
        elapsed_ms: How long it took.
    """

    summary: pd.DataFrame
    kappa: pd.DataFrame | None
    fleiss: float | None
    fleiss_rows: int
    groups: int
    elapsed_ms: float


def _source_path(source: str | pxt.Table) -> str:
    if isinstance(source, str):
        return source
    if isinstance(source, pxt.Table):
        return table_path(source)
    raise InvalidRequestError(f'A consensus runs on a table or its path, not {type(source).__name__}.')


class MultiModelConsensus:
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
        registry: The transforms ``add_model`` can name (default: the shared registry plus the digit classifiers).

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
        self._registry = registry if registry is not None else model_registry()
        state = self._state()
        if kind is not None and kind not in KINDS:
            raise InvalidRequestError(f'Unknown output kind {kind!r}.', hint=f'Use one of: {", ".join(KINDS)}.')
        _check_options(options or {})
        if state.models:  # the catalog is the truth; arguments that contradict it are refused
            for what, given, stored in (
                ('input', input_column, state.input),
                ('kind', kind, state.kind),
                ('ground_truth', ground_truth, state.truth),
            ):
                if given is not None and stored is not None and given != stored:
                    raise ConsensusError(
                        f'The consensus {self._name!r} on {self._path} already has {what}={stored!r}, not {given!r}.',
                        hint=f'Open it with MultiModelConsensus.open({self._path!r}, name={self._name!r}), '
                        'or give this one another name=.',
                    )
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

    def _state(self, tbl: pxt.Table | None = None) -> ConsensusState:
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
        return self._state().models

    def model(self, name: str) -> ModelInfo:
        """One model. Raises ``ModelNotFoundError``."""
        state = self._state()
        info = state.model(name)
        if info is None:
            raise ModelNotFoundError(
                f'The consensus {self._name!r} has no model named {name!r}.',
                hint=f'Models: {", ".join(m.name for m in state.models) or "none yet"}.',
            )
        return info

    def columns(self) -> dict[str, str]:
        """The consensus columns by part (``'vote'``, ``'label'``, ``'agreement'``, ``'tie'``, …)."""
        return {c.part: c.name for c in self._state().columns}

    def table(self) -> pxt.Table:
        """The Pixeltable table (query it like any other: the consensus is in its columns)."""
        return self._table()

    def to_json(self) -> dict[str, Any]:
        """The consensus's configuration as a panel shows it."""
        state = self._state()
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
    ) -> dict[str, Any]:
        """One page of rows, filtered and sorted in the database (see :mod:`.rows` for the filters).

        Example:
            >>> c.rows('model_wrong', model='knn', limit=5)['total']  # doctest: +SKIP
            8
        """
        q = RowQuery.from_dict(
            {
                'filter': filter,
                'model': model,
                'other': other,
                'order': order,
                'asc': asc,
                'offset': offset,
                'limit': limit,
            }
        )
        tbl = self._table()
        return fetch_rows(tbl, self._state(tbl), q, path=self._path, count=count)

    def row(self, index: int, filter: str = 'all', **query: Any) -> dict[str, Any]:
        """One row of a filtered, sorted query, its image large (for a detail view)."""
        q = RowQuery.from_dict({'filter': filter, **query})
        tbl = self._table()
        return fetch_row(tbl, self._state(tbl), q, index)

    def disagreements(self, n: int = 20) -> pd.DataFrame:
        """The rows where the models disagree, least agreement first, as a DataFrame (labels, consensus, truth)."""
        page = self.rows('disagreements', order='agreement', limit=n)
        records = []
        for r in page['rows']:
            rec: dict[str, Any] = {m: cell.get('label', cell.get('detections')) for m, cell in r['models'].items()}
            cons = r.get('consensus') or {}
            rec['consensus'] = cons.get('label') if self._kind != 'detections' else cons.get('bboxes')
            rec['tie'] = cons.get('tie')
            rec['agreement'] = cons.get('agreement')
            rec['dissent'] = cons.get('dissent')
            if 'truth' in r:
                rec['truth'] = r['truth']
            records.append(rec)
        return pd.DataFrame(records)

    # ------------------------------------------------------------------------------------------------- metrics

    def _need_models(self, state: ConsensusState, n: int, what: str) -> None:
        if len(state.models) < n:
            raise NotEnoughModelsError(
                f'{what} needs at least {n} models; the consensus {self._name!r} has {len(state.models)}'
                + (f' ({", ".join(m.name for m in state.models)}).' if state.models else '.'),
                hint='Add another model with add_model().',
            )

    def metrics(self) -> ConsensusMetrics:
        """The summary table, the kappa matrix and Fleiss' kappa, from one ``group by`` in the database.

        Raises:
            NotEnoughModelsError: With no model at all.
        """
        start = time.perf_counter()
        tbl = self._table()
        state = self._state(tbl)
        self._need_models(state, 1, 'A summary')
        errors = metrics.model_errors(tbl, state)
        if state.kind == 'detections':
            summary = metrics.box_leaderboard(tbl, state, float(self._options['iou_threshold']), errors)
            return ConsensusMetrics(summary, None, None, 0, 0, (time.perf_counter() - start) * 1000)
        tuples = metrics.label_tuples(tbl, state)
        summary = metrics.leaderboard(tuples, state, errors)
        names = [m.name for m in state.models]
        kappa = metrics.kappa_matrix(tuples, names) if len(names) >= 2 else None
        fleiss, fleiss_rows = metrics.fleiss(tuples, names)
        return ConsensusMetrics(summary, kappa, fleiss, fleiss_rows, len(tuples), (time.perf_counter() - start) * 1000)

    def summary(self) -> pd.DataFrame:
        """Per model and per consensus method: coverage, accuracy, precision, recall, F1 (against the ground truth, or
        the consensus when there is none), agreement with the consensus, measured seconds per row, failed rows.

        Example:
            >>> c.summary()[['model', 'accuracy', 'f1']]  # doctest: +SKIP
        """
        return self.metrics().summary

    def kappa(self) -> pd.DataFrame:
        """Pairwise Cohen's kappa between the models (scikit-learn), computed from aggregated label pairs.

        Raises:
            NotEnoughModelsError: With fewer than two models.
        """
        tbl = self._table()
        state = self._state(tbl)
        self._need_labels(state, "Cohen's kappa")
        self._need_models(state, 2, "Cohen's kappa")
        return metrics.kappa_matrix(metrics.label_tuples(tbl, state), [m.name for m in state.models])

    def fleiss_kappa(self) -> float | None:
        """Fleiss' kappa (statsmodels) over the rows where every model gave a label.

        Raises:
            NotEnoughModelsError: With fewer than two models.
        """
        tbl = self._table()
        state = self._state(tbl)
        self._need_labels(state, "Fleiss' kappa")
        self._need_models(state, 2, "Fleiss' kappa")
        return metrics.fleiss(metrics.label_tuples(tbl, state), [m.name for m in state.models])[0]

    def confusion_matrix(self, model: str, reference: str = 'auto') -> pd.DataFrame:
        """A model's confusion matrix (scikit-learn) against the ground truth (``'truth'``) or the consensus
        (``'consensus'``); ``'auto'``: the ground truth when there is one."""
        tbl = self._table()
        state = self._state(tbl)
        self._need_labels(state, 'A confusion matrix')
        self.model(model)
        if reference == 'auto':
            reference = 'truth' if state.truth_column else 'consensus'
        if reference == 'truth':
            if state.truth_column is None:
                raise NoGroundTruthError(f'The consensus {self._name!r} has no ground truth.')
            key = metrics.TRUTH_KEY
        elif reference == 'consensus':
            label = state.column('label')
            if label is None:
                raise NotEnoughModelsError('A consensus needs at least two models.')
            key = label
        else:
            raise InvalidRequestError(f"reference must be 'truth', 'consensus' or 'auto', not {reference!r}.")
        matrix = metrics.confusion(metrics.label_tuples(tbl, state), model, key)
        matrix.index.name = reference
        return matrix

    def best_model(self, metric: str = 'auto', *, summary: pd.DataFrame | None = None) -> str:
        """The model with the highest ``metric`` (``'accuracy'``, ``'f1'``, …; ``'auto'``: F1 for detections, else
        accuracy); ties go to the cheaper model, then to the one added first.

        Args:
            metric: The summary column to rank by.
            summary: A summary already computed (``metrics().summary``), so it is not computed again.
        """
        if metric == 'auto':
            metric = 'f1' if self._kind == 'detections' else 'accuracy'
        return best_of(self.summary() if summary is None else summary, metric)

    def _need_labels(self, state: ConsensusState, what: str) -> None:
        if state.kind == 'detections':
            raise InvalidRequestError(f'{what} compares labels; this consensus compares detections.')

    def leaderboard_figure(self, metric: str = 'auto') -> go.Figure:
        """The leaderboard as a plotly bar chart (consensus methods in orange)."""
        metric = ('f1' if self._kind == 'detections' else 'accuracy') if metric == 'auto' else metric
        return figures.leaderboard_figure(self.summary(), metric)

    def kappa_figure(self) -> go.Figure:
        """The pairwise Cohen's kappa matrix as a plotly heatmap."""
        return figures.kappa_heatmap(self.kappa())

    def cost_quality_figure(self, metric: str = 'auto') -> go.Figure:
        """Each model's quality against its measured cost per row (plotly scatter, log-scale cost)."""
        metric = ('f1' if self._kind == 'detections' else 'accuracy') if metric == 'auto' else metric
        return figures.cost_quality_figure(self.summary(), metric)

    def confusion_figure(self, model: str, reference: str = 'auto') -> go.Figure:
        """A model's confusion matrix as a plotly heatmap."""
        return figures.confusion_figure(self.confusion_matrix(model, reference), model)

    # ------------------------------------------------------------------------------------------------- models

    def _resolve(
        self,
        tbl: pxt.Table,
        state: ConsensusState,
        name: str,
        model: Any,
        params: Mapping[str, Any] | None,
        allow_notebook_udfs: bool,
    ) -> tuple[str, Any, str, bool]:
        """``(output column, expression or None, code of the expression, adopted)``."""
        if isinstance(model, str):
            if model in state.facts:
                if params:
                    raise InvalidRequestError(f'{model!r} is an existing column: it takes no params.')
                return model, None, '', True
            if model in self._registry:
                transform = self._registry.get(model)
                if transform.kind != 'column':
                    raise InvalidRequestError(
                        f'{model!r} is a {transform.kind} transform; a model must be a column one.'
                    )
                values = transform.validate(params)
                inp = self._require_input(state)
                if not transform.accepts(state.facts[inp].col_type):
                    raise InvalidRequestError(
                        f'{model!r} reads {transform.input_type} values; {inp!r} is {state.facts[inp].col_type}.'
                    )
                expr = transform.build(tbl[inp], **values)
                args = ''.join(f', {k}={v!r}' for k, v in values.items())
                fn = (transform.source or model).rsplit('.', 1)[-1]
                return name, expr, f'{fn}(t.{inp}{args})', False
            raise ModelNotFoundError(
                f'{model!r} is neither a column of {self._path} nor a registered transform.',
                hint=f'Columns: {", ".join(state.facts)}. Transforms: {", ".join(self._registry.names())}.',
            )
        if isinstance(model, func.Function):
            if not allow_notebook_udfs:
                refuse_notebook_functions(model, what=f'The model {name!r}')
            inp = self._require_input(state)
            expr = model(tbl[inp], **dict(params or {}))
            args = ''.join(f', {k}={v!r}' for k, v in dict(params or {}).items())
            return name, expr, f'{model.name}(t.{inp}{args})', False
        if isinstance(model, exprs.Expr):
            if params:
                raise InvalidRequestError('params apply to a transform or UDF, not to an expression.')
            if not allow_notebook_udfs:
                refuse_notebook_functions(model, what=f'The model {name!r}')
            return name, model, model.display_str(inline=False), False
        raise InvalidRequestError(
            'A model is a registered transform name, a UDF, an expression or an existing column, '
            f'not {type(model).__name__}.'
        )

    def _require_input(self, state: ConsensusState) -> str:
        if self._input is None:
            raise InvalidRequestError(
                'This consensus has no input column: models from transforms or UDFs need one.',
                hint='Create it with MultiModelConsensus(table, input_column=...).',
            )
        return self._input

    def _check_names(self, state: ConsensusState, names: Sequence[str], owned: set[str]) -> None:
        for column in names:
            try:
                validate_stage_name(column)
            except PxWidgetsError as exc:
                raise ModelNameError(f'The column {column!r} cannot be added: {exc.message}', hint=exc.hint) from None
            if column in state.facts and column not in owned:
                raise ModelNameError(
                    f'{self._path} already has a column named {column!r}.',
                    hint='Choose another model name (or pass the column itself as the model to adopt it).',
                )

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
        if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 50:
            raise InvalidRequestError(f'n must be an integer from 1 to 50, not {n!r}.')
        tbl = self._table()
        state = self._state(tbl)
        column, expr, _, _ = self._resolve(tbl, state, name, model, params, allow_notebook_udfs)
        target = tbl[column] if expr is None else expr
        records = _evaluate(tbl, target, n)
        kind = self._kind or detect_kind(state.facts, column if expr is None else None, [r['output'] for r in records])
        for r in records:
            if kind == 'detections':
                r['boxes'] = len((r['output'] or {}).get('bboxes') or []) if isinstance(r['output'], dict) else None
            else:
                from pxwidgets.functions.consensus import confidence_of, label_of

                r['label'] = label_of(r['output'], normalize=kind == 'text')
                r['confidence'] = confidence_of(r['output'])
        return pd.DataFrame(records)

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
            ModelNotFoundError: ``model`` names neither a column nor a transform.
            InvalidParameterError: Invalid transform parameters (per-parameter details).
            NotebookUDFError: A UDF defined in the notebook.

        Nothing is written when it raises before the model's column is added. A failure after that (rare: Pixeltable
        refusing a column) raises ``ConsensusError`` saying what was added; ``rebuild()`` converges.
        """
        progress = on_progress or (lambda done, total, message: None)
        tbl = self._table()
        state = self._state(tbl)
        pending = self._prepare(tbl, state, [], name, model, params, kind, allow_notebook_udfs)
        self._check_all(tbl, state, [pending])
        self._write_all(tbl, state, [pending], progress)
        return self.model(pending.name)

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
        progress = on_progress or (lambda done, total, message: None)
        tbl = self._table()
        state = self._state(tbl)
        pending: list[_Pending] = []
        for name, spec in models.items():
            model, params = spec if isinstance(spec, tuple) else (spec, None)
            pending.append(self._prepare(tbl, state, pending, name, model, params, None, allow_notebook_udfs))
        if not pending:
            return []
        self._check_all(tbl, state, pending)
        self._write_all(tbl, state, pending, progress)
        return [self.model(p.name) for p in pending]

    def _prepare(
        self,
        tbl: pxt.Table,
        state: ConsensusState,
        earlier: list[_Pending],
        name: str,
        model: Any,
        params: Mapping[str, Any] | None,
        kind: str | None,
        allow_notebook_udfs: bool,
    ) -> _Pending:
        """Every check of one model that needs no write: its name, its output column, its output kind."""
        name = self._check_model_name(state, name)
        if any(p.name == name for p in earlier):
            raise ModelNameError(f'The model name {name!r} is given twice.')
        column, expr, expr_code, adopted = self._resolve(
            tbl, state, name, name if model is None else model, params, allow_notebook_udfs
        )
        owner = next((m.name for m in state.models if m.column == column), None)
        owner = owner or next((p.name for p in earlier if p.column == column), None)
        if adopted and owner is not None:
            raise ModelNameError(f'The column {column!r} is already the model {owner!r}.')
        if column in (self._truth, self._input):
            role = 'ground truth' if column == self._truth else 'input'
            raise ModelNameError(f"{column!r} is the consensus's {role} column; it cannot be a model.")
        if kind is not None and kind not in KINDS:
            raise InvalidRequestError(f'Unknown output kind {kind!r}.', hint=f'Use one of: {", ".join(KINDS)}.')
        transform = model if isinstance(model, str) and model not in state.facts and model in self._registry else None
        if kind is None and transform is not None and self._registry.get(transform).output_type == 'detections':
            kind = 'detections'  # the registry says so: a (slow) detector is not run before it is added
        # A few values tell the output's shape (labels with a confidence, detections, text): a stored column is read,
        # a new model runs on 3 rows (a query: nothing is written).
        target = tbl[column] if expr is None else expr
        outputs = [] if kind == 'detections' else [r['output'] for r in _evaluate(tbl, target, 3)]
        consensus_kind = self._kind or (earlier[0].kind if earlier else None)
        found = kind or detect_kind(
            state.facts,
            column if expr is None else None,
            outputs,
            declared=consensus_kind,
            return_type=None if expr is None else expr.col_type,
        )
        if (
            consensus_kind is not None
            and found != consensus_kind
            and not (kind is None and {found, consensus_kind} == {'labels', 'text'})
        ):
            raise MixedKindsError(
                f'The model {name!r} outputs {found}; the consensus {self._name!r} compares {consensus_kind}. '
                'One consensus compares one kind of output.',
                hint='Create a separate consensus for it: MultiModelConsensus(table, name="...").',
                details={'model_kind': found, 'consensus_kind': consensus_kind},
            )
        kind = consensus_kind or found
        if kind == 'detections' and self._input is None:
            self._require_input(state)
        with_conf = kind == 'labels' and has_confidence(outputs)
        return _Pending(name, column, expr, expr_code, adopted, kind, with_conf)

    def _check_all(self, tbl: pxt.Table, state: ConsensusState, pending: list[_Pending]) -> None:
        """The checks of the models together: the columns they add are free, the consensus can be rebuilt."""
        kind = pending[0].kind
        new_names: list[str] = []
        for p in pending:
            new_names += [] if p.adopted else [p.column]
            new_names += [marker_name(p.name, kind)] + ([confidence_name(p.name)] if p.with_conf else [])
        if kind != 'detections' and self._truth is not None and state.truth_column is None:
            new_names.append(f'{self._name}_truth')
        twice = sorted({n for n in new_names if new_names.count(n) > 1})
        if twice:
            raise ModelNameError(f'These models would add the same columns: {", ".join(twice)}.')
        self._check_names(state, new_names, set())
        self._check_rebuild(tbl, state)
        with_conf = any(p.with_conf for p in pending) or any(m.confidence_column for m in state.models)
        names = self._consensus_names(kind, len(state.models) + len(pending), with_conf)
        self._check_names(state, names, {c.name for c in state.columns})

    def _write_all(
        self, tbl: pxt.Table, state: ConsensusState, pending: list[_Pending], progress: ProgressCallback
    ) -> None:
        """Every check passed: compute each new model (timed), add its label columns, rebuild the consensus once."""
        kind = pending[0].kind
        new_state = ConsensusState(**{**state.__dict__, 'kind': kind, 'input': self._input, 'truth': self._truth})
        steps = sum(1 if p.adopted else 2 for p in pending) + 1
        done = 0
        code: list[str] = []
        added: list[str] = []
        try:
            for i, p in enumerate(pending):
                timing: dict[str, Any] = {'seconds_per_row': None, 'rows_timed': None}
                if not p.adopted:
                    progress(done, steps, f'Computing {p.name!r} on every row')
                    start = time.perf_counter()
                    tbl.add_computed_column(**{p.column: p.expr}, on_error='ignore')
                    seconds = time.perf_counter() - start
                    rows = int(tbl.count())
                    timing = {
                        'seconds_per_row': seconds / rows if rows else None,
                        'rows_timed': rows,
                        'seconds': seconds,
                    }
                    code.append(f"t.add_computed_column({p.column}={p.expr_code}, on_error='ignore')")
                    done += 1
                added.append(p.name)
                progress(done, steps, f'Adding the label columns of {p.name!r}')
                specs = model_columns(
                    tbl,
                    new_state,
                    model=p.name,
                    column=p.column,
                    kind=kind,
                    input=self._input,
                    truth=self._truth,
                    adopted=p.adopted,
                    with_confidence=p.with_conf,
                    order=len(state.models) + i,
                    timing=timing,
                )
                if i == 0 and kind != 'detections' and self._truth is not None and state.truth_column is None:
                    specs.append(truth_column(tbl, self._name, self._truth, kind))
                for spec in specs:
                    tbl.add_computed_column(
                        **{spec.name: spec.make()}, custom_metadata=spec.metadata, on_error='ignore'
                    )
                code.append('\n'.join(add_lines(specs)))
                done += 1
            self._kind = kind
            progress(done, steps, 'Building the consensus columns')
            code.append(self._rebuild(tbl))
        except PxWidgetsError:
            raise
        except Exception as exc:
            what = ', '.join(repr(a) for a in added) or 'nothing'
            raise ConsensusError(
                f'Adding {", ".join(repr(p.name) for p in pending)} failed after {what} was added: '
                f'{type(exc).__name__}: {exc}',
                hint='Call rebuild() to bring the consensus columns up to date, or remove_model() to undo.',
            ) from exc
        progress(steps, steps, f'Added {", ".join(repr(p.name) for p in pending)}')
        self.last_code = _code_block(self._path, code)

    def _check_model_name(self, state: ConsensusState, name: Any) -> str:
        try:
            name = validate_stage_name(name)
        except PxWidgetsError as exc:
            raise ModelNameError(exc.message, hint=exc.hint) from None
        if state.model(name) is not None:
            raise ModelNameError(
                f'The consensus {self._name!r} already has a model named {name!r}.',
                hint='Remove it first (remove_model), or choose another name.',
            )
        if name == self._name or name.startswith(f'{self._name}_'):
            raise ModelNameError(
                f'{name!r} would collide with the consensus columns ({self._name}_…).',
                hint='Choose a name that does not start with the consensus name.',
            )
        return name

    def _consensus_names(self, kind: str | None, n_models: int, with_conf: bool) -> list[str]:
        c = self._name
        if n_models < 2:
            return []
        if kind == 'detections':
            return [c, f'{c}_agreement', f'{c}_boxes']
        names = [c, f'{c}_label', f'{c}_agreement', f'{c}_tie']
        if with_conf:
            names += [f'{c}_weighted', f'{c}_weighted_label']
        if self._truth is not None:
            names += [f'{c}_accuracy_weighted', f'{c}_accuracy_weighted_label']
        return names

    def _check_rebuild(self, tbl: pxt.Table, state: ConsensusState) -> None:
        """Refuse before writing if a column outside the consensus reads a consensus column (it blocks the drop)."""
        owned = set(state.owned_columns())
        for col in state.columns:
            outside = [d for d in dependents(tbl, col.name) if d not in owned]
            if outside:
                raise ModelInUseError(
                    f'The consensus columns cannot be rebuilt: {", ".join(outside)} read {col.name!r}.',
                    hint=f'Drop {", ".join(outside)} first (they are not part of the consensus).',
                )

    def _accuracy_weights(self, tbl: pxt.Table, state: ConsensusState) -> dict[str, float] | None:
        """Each model's vote weight from its accuracy on the rows with ground truth: ``log(acc / (1 - acc))``, the
        optimal weights of a vote among independent classifiers (Nitzan & Paroush, 1982); accuracies are clipped to
        [0.01, 0.99]. Measured in SQL (two counts per model) when the consensus is built; ``rebuild()`` re-measures."""
        truth = state.truth_column
        if truth is None or state.kind == 'detections':
            return None
        scored = int(tbl.where(tbl[truth] != None).count())  # noqa: E711
        if not scored:
            return None
        weights = {}
        for m in state.models:
            accuracy = int(tbl.where(tbl[str(m.label_column)] == tbl[truth]).count()) / scored
            clipped = min(max(accuracy, 0.01), 0.99)
            weights[m.name] = round(math.log(clipped / (1 - clipped)), 6)
        return weights

    def _rebuild(self, tbl: pxt.Table, *, custom_fn: Any = None) -> str:
        """Drop and re-add the consensus columns over the current models (with the custom consensus function they had,
        or ``custom_fn``); returns the code that did it."""
        state = self._state(tbl)
        custom_fn = custom_fn if custom_fn is not None else state.custom_fn
        state.kind = state.kind or self._kind
        self._check_rebuild(tbl, state)
        order = sorted(state.columns, key=lambda c: state.facts[c.name].version_added, reverse=True)
        code = []
        for col in order:
            tbl.drop_column(col.name)
            code.append(f't.drop_column({col.name!r})')
        if len(state.models) < 2:
            return '\n'.join(code)
        fresh = self._state(tbl)
        fresh.kind = fresh.kind or self._kind
        specs = consensus_columns(
            tbl,
            fresh,
            fresh.models,
            options=self._options,
            accuracy_weights=self._accuracy_weights(tbl, fresh),
            custom_fn=custom_fn,
        )
        for spec in specs:
            tbl.add_computed_column(**{spec.name: spec.make()}, custom_metadata=spec.metadata, on_error=spec.on_error)
        code.append('\n'.join(add_lines(specs)))
        return '\n'.join(code)

    def rebuild(self, *, consensus_fn: Any = None) -> None:
        """Recompute the consensus columns over the current models (accuracy weights re-measured), optionally with a
        new ``consensus_fn``: a UDF (in a module) taking ``{model: {'label', 'confidence'}}`` and returning a label.

        Example:
            >>> c.rebuild(consensus_fn=my_module.prefer_svc)  # doctest: +SKIP
        """
        tbl = self._table()
        state = self._state(tbl)
        self._need_models(state, 2, 'A consensus')
        if consensus_fn is not None:
            if not isinstance(consensus_fn, func.Function):
                raise InvalidRequestError('consensus_fn must be a Pixeltable UDF (@pxt.udf in a module).')
            refuse_notebook_functions(consensus_fn, what='The consensus function')
            self._need_labels(state, 'A consensus_fn')
            self._check_names(
                state, [f'{self._name}_custom', f'{self._name}_custom_label'], {c.name for c in state.columns}
            )
        self._check_rebuild(tbl, state)
        if consensus_fn is None:
            self.last_code = _code_block(self._path, [self._rebuild(tbl)])
            return
        # the custom column joins the others: rebuild, then add it over the fresh columns
        code = [self._rebuild(tbl)]
        fresh = self._state(tbl)
        specs = [
            s
            for s in consensus_columns(tbl, fresh, fresh.models, options=self._options, custom_fn=consensus_fn)
            if s.name.startswith(f'{self._name}_custom')
        ]
        for spec in specs:
            tbl.add_computed_column(**{spec.name: spec.make()}, custom_metadata=spec.metadata, on_error='ignore')
        code.append('\n'.join(add_lines(specs)))
        self.last_code = _code_block(self._path, code)

    def plan_remove_model(self, name: str) -> Plan:
        """What ``remove_model(name)`` would do: drop the consensus columns, the model's label / confidence columns
        and its output column (an adopted column is kept), then rebuild the consensus over the other models.

        Raises:
            ModelNotFoundError: No such model.
            ModelInUseError: Columns outside the consensus read the model's columns (they would block the drop).
        """
        tbl = self._table()
        state = self._state(tbl)
        info = self.model(name)
        owned = set(state.owned_columns())
        drops = [c.name for c in sorted(state.columns, key=lambda c: state.facts[c.name].version_added, reverse=True)]
        own = [c for c in (info.confidence_column, info.marker) if c]
        if not info.adopted:
            own.append(info.column)
        outside: dict[str, list[str]] = {}
        for column in [*own, *drops]:
            for d in dependents(tbl, column):
                if d not in owned:
                    outside.setdefault(d, []).append(column)
        if outside:
            reads = '; '.join(f'{d} reads {", ".join(cols)}' for d, cols in outside.items())
            raise ModelInUseError(
                f'The model {name!r} cannot be removed: columns outside the consensus depend on it ({reads}).',
                hint=f'Drop {", ".join(outside)} first (they are not part of the consensus).',
                details={'dependents': sorted(outside)},
            )
        rest = [m.name for m in state.models if m.name != name]
        steps = [
            Step('drop_column', f'{self._path}.{c}', f'drop consensus column {c}', run=_dropper(tbl, c)) for c in drops
        ]
        steps += [
            Step('drop_column', f'{self._path}.{c}', f'drop column {c} of model {name}', run=_dropper(tbl, c))
            for c in own
        ]
        warnings = []
        if info.adopted:
            warnings.append(f'{info.column!r} was adopted, not computed by the consensus: it is kept.')
        if len(rest) >= 2:
            steps.append(
                Step(
                    'rebuild',
                    f'{self._path}.{self._name}',
                    f'rebuild the consensus over {", ".join(rest)}',
                    run=lambda: self._rebuild(self._table(), custom_fn=state.custom_fn),
                )
            )
        elif rest:
            warnings.append(f'Only {rest[0]!r} remains: there is no consensus until another model is added.')
        return Plan(
            f'remove model {name!r} from consensus {self._name!r}',
            steps,
            state={
                'version': table_version(tbl),
                'models': [m.name for m in state.models],
                'columns': sorted(state.facts),
            },
            warnings=warnings,
        )

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
        self.last_code = _code_block(
            self._path,
            [f't.drop_column({s.target.rsplit(".", 1)[1]!r})' for s in result.done if s.action == 'drop_column']
            + (
                ['# then the consensus columns are added again over the other models (see to_code())']
                if any(s.action == 'rebuild' for s in result.done)
                else []
            ),
        )
        if not self._state().models:
            self._kind = None
        return result

    def to_code(self) -> str:
        """The plain Pixeltable code that builds this consensus's columns on a table that has the models' outputs."""
        tbl = self._table()
        state = self._state(tbl)
        specs: list[ColumnSpec] = []
        for m in state.models:
            specs += [
                s
                for s in model_columns(
                    tbl,
                    state,
                    model=m.name,
                    column=m.column,
                    kind=m.kind,
                    input=state.input,
                    truth=state.truth,
                    adopted=m.adopted,
                    with_confidence=m.confidence_column is not None,
                    order=0,
                    timing={},
                )
            ]
        if state.truth is not None and state.truth_column is not None:
            specs.append(truth_column(tbl, self._name, state.truth, state.kind or 'labels'))
        if len(state.models) >= 2:
            weights = {
                str(k): float(v)
                for k, v in next(
                    (c.data.get('weights', {}) for c in state.columns if c.part == 'accuracy_weighted'), {}
                ).items()
            }
            specs += consensus_columns(
                tbl,
                state,
                state.models,
                options=self._options,
                accuracy_weights=weights or None,
                custom_fn=state.custom_fn,
            )
        outputs = [f'# {m.name}: {m.column} = {m.definition}' for m in state.models]
        return '\n'.join(['# model outputs (computed or adopted):', *outputs, '']) + add_code(self._path, specs)


def best_of(summary: pd.DataFrame, metric: str) -> str:
    """The model of a summary with the highest ``metric``; ties go to the cheaper model, then to the earlier one.

    Raises:
        InvalidRequestError: An unknown metric.
        NotEnoughModelsError: No model has that metric.
    """
    if metric not in summary.columns:
        raise InvalidRequestError(f'Unknown metric {metric!r}.', hint=f'Columns: {", ".join(summary.columns)}.')
    models = summary[(summary['kind'] == 'model') & summary[metric].notna()]
    if not len(models):
        raise NotEnoughModelsError(f'No model has a {metric} yet.')
    ranked = models.assign(_cost=models['seconds_per_row'].fillna(float('inf')), _order=range(len(models)))
    ranked = ranked.sort_values([metric, '_cost', '_order'], ascending=[False, True, True])
    return str(ranked.iloc[0]['model'])


def _check_options(options: Mapping[str, Any]) -> None:
    unknown = sorted(set(options) - set(DEFAULT_OPTIONS))
    if unknown:
        raise InvalidRequestError(
            f'Unknown consensus option(s): {", ".join(unknown)}.', hint=f'Options: {", ".join(DEFAULT_OPTIONS)}.'
        )
    if options.get('text_match', 'exact') not in ('exact', 'embedding'):
        raise InvalidRequestError("text_match must be 'exact' or 'embedding'.")
    for key in ('iou_threshold', 'skip_threshold', 'similarity_threshold'):
        value = options.get(key, DEFAULT_OPTIONS[key])
        if not isinstance(value, int | float) or isinstance(value, bool) or not 0.0 <= float(value) <= 1.0:
            raise InvalidRequestError(f'{key} must be a number from 0 to 1, not {value!r}.')
    votes = options.get('min_votes', DEFAULT_OPTIONS['min_votes'])
    if not isinstance(votes, int) or isinstance(votes, bool) or votes < 1:
        raise InvalidRequestError(f'min_votes must be a positive integer, not {votes!r}.')


def consensus_names(tbl: pxt.Table) -> list[dict[str, Any]]:
    """The consensuses recorded on a table's columns (``{'consensus', 'model'}`` per model)."""
    from pxwidgets.patterns.common.metadata import read_role
    from pxwidgets.patterns.consensus.catalog import MODEL_ROLE
    from pxwidgets.tables.internals import column_facts

    found = []
    for fact in column_facts(tbl):
        role = read_role(fact.custom_metadata, MODEL_ROLE)
        if role is not None:
            found.append({'consensus': role.get('consensus'), 'model': role.get('model')})
    return found


def _dropper(tbl: pxt.Table, column: str) -> Callable[[], None]:
    def run() -> None:
        tbl.drop_column(column)

    return run


def _evaluate(tbl: pxt.Table, target: Any, n: int) -> list[dict[str, Any]]:
    """The value of ``target`` on the first ``n`` rows (a query, nothing written); a failing row carries its error."""
    try:
        result = tbl.select(output=target).limit(n).collect()
        return [{'output': result[i]['output'], 'error': None} for i in range(len(result))]
    except pxt.Error:
        pass
    records: list[dict[str, Any]] = []
    for i in range(n):
        try:
            result = tbl.select(output=target).limit(1, offset=i).collect()
        except pxt.Error as exc:
            records.append(
                {
                    'output': None,
                    'error': str(exc).strip().splitlines()[-1][:300] if str(exc).strip() else type(exc).__name__,
                }
            )
            continue
        if not len(result):
            break
        records.append({'output': result[0]['output'], 'error': None})
    return records


def _code_block(path: str, parts: Sequence[str]) -> str:
    body = '\n'.join(p for p in parts if p)
    header = (
        'import pixeltable as pxt\n'
        'from pixeltable.functions import image as pxi\n'
        'from pxwidgets.functions.consensus import box_count, fuse_detections, label_confidence, label_text, '
        'majority_vote, text_vote, weighted_vote\n\n'
        f't = pxt.get_table({path!r})\n'
    )
    return header + body + '\n'
