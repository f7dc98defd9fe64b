"""``IncrementalEvaluation``: metrics and drift per time window that follow a table as predictions and labels arrive.

Per-row correctness is a computed column of the evaluated table, so Pixeltable scores each new prediction as it is
inserted, and re-scores exactly the rows whose ground truth is filled in later (an update of the ground-truth column).
A row without ground truth is *pending*: counted, never wrong. Windows (per hour, day, ... or per N rows) are
aggregations inside Pixeltable over a stored window key; a refresh recomputes only the windows whose rows changed,
stores them in the evaluation's window table, and writes each new alert once to its alert table.

Example:
    >>> from pxwidgets.patterns import IncrementalEvaluation
    >>> ev = IncrementalEvaluation('demo/predictions', prediction='pred', ground_truth='label',
    ...                            timestamp='ts', numeric=['confidence'], window='1h')  # doctest: +SKIP
    >>> ev.refresh().changed  # doctest: +SKIP
    [490896, 490897]
    >>> ev.to_pandas()[['label', 'accuracy', 'pending']]  # doctest: +SKIP
    >>> ev.set_thresholds(psi=0.2)  # doctest: +SKIP
    >>> IncrementalEvaluation.open('demo/predictions').settings.thresholds['psi']  # doctest: +SKIP
    0.2
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pixeltable as pxt
import plotly.graph_objects as go

from pxwidgets.errors import InvalidRequestError, TableNotFoundError
from pxwidgets.functions.evaluation import epoch_seconds, label_match_int, label_match_string
from pxwidgets.patterns.common.exprcode import column_name, column_table_id
from pxwidgets.patterns.common.metadata import read_role, role_metadata
from pxwidgets.patterns.common.names import validate_stage_name
from pxwidgets.patterns.incremental import alerts as alert_rules
from pxwidgets.patterns.incremental import figures
from pxwidgets.patterns.incremental import windows as win
from pxwidgets.patterns.incremental.config import (
    Reference,
    Settings,
    Window,
    parse_reference,
    parse_window,
    validate_thresholds,
)
from pxwidgets.patterns.incremental.errors import (
    EvaluationConflictError,
    EvaluationNotFoundError,
    InvalidColumnError,
    InvalidWindowError,
    TimestampError,
)
from pxwidgets.patterns.incremental.store import ROLE_CORRECT, ROLE_KEY, Spec, Store, get_table
from pxwidgets.tables.internals import column_facts, lineage_ids, table_kind, table_path, table_version, type_kind

ProgressCallback = Callable[[int, int, str], None]
"""``on_progress(done, total, message)``."""

FUTURE_TOLERANCE = win.FUTURE_TOLERANCE

_LABEL_TYPES = {'int': label_match_int, 'string': label_match_string}

_ALERT_COLUMNS = (
    'bucket',
    'width',
    'label',
    'start',
    'rows',
    'labeled',
    'correct',
    'accuracy',
    'f1',
    'drift',
    'fingerprint',
)
"""The window-table columns a refresh reads: fingerprints, and what the alert rules look at."""


@dataclass(frozen=True)
class RefreshResult:
    """What a refresh did.

    Attributes:
        changed: Windows (buckets) recomputed because their rows, the window size or the reference changed.
        removed: Windows dropped from the window table (no rows any more, or another window size).
        unchanged: Windows whose stored statistics still held.
        alerts: Alerts raised by this refresh (each alert is raised once).
        unplaced: Rows outside every window (missing timestamp or order value).
        future: Rows left out because their timestamp is in the future.
        version: The evaluated table's version the refresh read.
        seconds: Wall time.
    """

    changed: list[int]
    removed: list[int]
    unchanged: int
    alerts: list[dict[str, Any]]
    unplaced: int
    version: int
    seconds: float
    future: int = 0


@dataclass(frozen=True)
class EvaluationSnapshot:
    """A frozen evaluation state: snapshots of the window table and of the evaluated rows."""

    name: str
    windows_path: str
    rows_path: str
    created_at: str
    table_version: int
    settings: Mapping[str, Any] = field(default_factory=dict)

    def windows(self) -> pd.DataFrame:
        """The window table as it was."""
        tbl = get_table(self.windows_path)
        return tbl.order_by(tbl.bucket).collect().to_pandas()


def _resolve_table(table: str | pxt.Table) -> pxt.Table:
    if isinstance(table, pxt.Table):
        return table
    if not isinstance(table, str):
        raise InvalidRequestError(f'An evaluation needs a table or its path, not {type(table).__name__}.')
    try:
        return get_table(table)
    except pxt.Error:
        raise TableNotFoundError(table) from None


def _column_name(tbl: pxt.Table, value: Any, role: str) -> str:
    """A column name of ``tbl`` from a name or a column reference; refuses columns of other tables."""
    if isinstance(value, str):
        name = value
    elif isinstance(value, pxt.exprs.ColumnRef):
        owner, name = column_table_id(value), column_name(value)
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


def _eval_dir(table: str, name: str) -> str:
    parent, base = _dir_of(table), table.rsplit('/', 1)[-1]
    return f'{parent}/{base}_{name}' if parent else f'{base}_{name}'


def _now() -> datetime.datetime:
    return datetime.datetime.now(tz=datetime.UTC)


class IncrementalEvaluation:
    """Incremental evaluation of a classifier's predictions stored in a Pixeltable table.

    Creating one validates everything first (nothing is written if anything is wrong), then adds two computed
    columns to the table — ``<name>_correct`` (per-row correctness, ``None`` while ground truth is missing) and, for
    time windows, ``<name>_t`` (the window key: epoch seconds of the timestamp) — and makes the evaluation's own
    directory ``<table>_<name>`` with its settings, window and alert tables. Declaring an existing evaluation with
    the same columns reopens it (and applies any settings given).

    Args:
        table: The table (or its path) with one row per prediction.
        prediction: The predicted class column (int or string), by name or reference.
        ground_truth: The true class column, same type; ``None`` in a row until its label arrives.
        timestamp: The time column windows are cut from (required for time windows).
        window: ``'1h'``, ``'15min'``, ``'1d'``, ... or ``'500 rows'`` (then ``order`` is required).
        order: An integer column giving the rows' order, for row windows (e.g. an id that grows).
        numeric: Numeric columns whose drift is measured (e.g. a confidence).
        reference: What windows are compared with: ``None`` (the first window), a window start, a row-window
            number, a ``(start, end)`` pair, or ``{'snapshot': path}``.
        thresholds: Overrides of :data:`~pxwidgets.patterns.incremental.config.DEFAULT_THRESHOLDS`.
        name: The evaluation's name (several may watch one table).

    Raises:
        TableNotFoundError, InvalidColumnError, InvalidWindowError, InvalidReferenceError, InvalidParameterError,
        TimestampError, EvaluationConflictError: Before any write.
    """

    def __init__(
        self,
        table: str | pxt.Table,
        prediction: Any = 'prediction',
        ground_truth: Any = 'label',
        timestamp: Any = None,
        *,
        window: Any = None,
        order: Any = None,
        numeric: Sequence[Any] = (),
        reference: Any = None,
        thresholds: Mapping[str, Any] | None = None,
        name: str = 'eval',
    ) -> None:
        tbl = _resolve_table(table)
        path = table_path(tbl)
        existing = self._existing(tbl, name)
        if existing is not None:
            self._store = Store.open(existing)
            self._tbl = tbl
            self._check_same(tbl, prediction, ground_truth, timestamp, order, numeric)
            if window is not None or reference is not None or thresholds is not None:
                self.configure(window=window, reference=reference, thresholds=thresholds)
            return
        spec, settings = self._validate(
            tbl, path, prediction, ground_truth, timestamp, window, order, numeric, reference, thresholds, name
        )
        self._tbl = tbl
        self._store = self._create(tbl, spec, settings)

    # ---- creation -----------------------------------------------------------------------------------------------

    @staticmethod
    def _existing(tbl: pxt.Table, name: str) -> str | None:
        for fact in column_facts(tbl):
            data = read_role(fact.custom_metadata, ROLE_CORRECT)
            if data is not None and data.get('name') == name:
                return str(data['dir'])
        return None

    def _check_same(
        self, tbl: pxt.Table, prediction: Any, ground_truth: Any, timestamp: Any, order: Any, numeric: Sequence[Any]
    ) -> None:
        spec = self._store.spec
        asked = {
            'prediction': _column_name(tbl, prediction, 'prediction'),
            'ground_truth': _column_name(tbl, ground_truth, 'ground truth'),
            'timestamp': None if timestamp is None else _column_name(tbl, timestamp, 'timestamp'),
            'order': None if order is None else _column_name(tbl, order, 'order'),
            'numeric': tuple(_column_name(tbl, c, 'numeric') for c in numeric),
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

    @staticmethod
    def _validate(
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
    ) -> tuple[Spec, Settings]:
        if table_kind(tbl) == 'snapshot':
            raise InvalidRequestError(f'{path} is a snapshot: it never changes, so there is nothing to follow.')
        if not isinstance(name, str) or not re.fullmatch(r'[a-z][a-z0-9_]{0,30}', name):
            raise InvalidRequestError(f'An evaluation name is lower-case letters, digits and _, got {name!r}.')
        facts = {f.name: f for f in column_facts(tbl)}
        pred = _column_name(tbl, prediction, 'prediction')
        truth = _column_name(tbl, ground_truth, 'ground truth')
        kinds = {c: type_kind(facts[c].col_type) for c in (pred, truth)}
        for c, kind in kinds.items():
            if kind not in _LABEL_TYPES:
                raise InvalidColumnError(f'Column {c!r} is {kind}: classes must be int or string columns.')
        if kinds[pred] != kinds[truth]:
            raise InvalidColumnError(
                f'The prediction {pred!r} is {kinds[pred]} but the ground truth {truth!r} is {kinds[truth]}.'
            )
        ts = None if timestamp is None else _column_name(tbl, timestamp, 'timestamp')
        if ts is not None and type_kind(facts[ts].col_type) != 'timestamp':
            raise InvalidColumnError(f'The timestamp column {ts!r} is {type_kind(facts[ts].col_type)}, not timestamp.')
        ordering = None if order is None else _column_name(tbl, order, 'order')
        if ordering is not None and type_kind(facts[ordering].col_type) != 'int':
            raise InvalidColumnError(f'The order column {ordering!r} must be an int column.')
        nums = tuple(_column_name(tbl, c, 'numeric') for c in numeric)
        for c in nums:
            if type_kind(facts[c].col_type) not in ('int', 'float'):
                raise InvalidColumnError(f'Numeric column {c!r} is {type_kind(facts[c].col_type)}.')
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
        correct, key = f'{name}_correct', f'{name}_t'
        for column in (correct, key):
            validate_stage_name(column)
            if column in tbl.columns():
                raise EvaluationConflictError(f"{path} already has a column {column!r} that is not this evaluation's.")
        if ts is not None:
            _check_timestamps(tbl, ts)
        spec = Spec(name, path, pred, truth, correct, ts, key if ts is not None else None, ordering, nums, kinds[pred])
        return spec, settings

    def _create(self, tbl: pxt.Table, spec: Spec, settings: Settings) -> Store:
        dir = _eval_dir(spec.table, spec.name)
        store = Store.create(dir, spec, settings)
        data = {'name': spec.name, 'dir': dir}
        match = _LABEL_TYPES[spec.label_type]
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

    @classmethod
    def open(cls, path: str | pxt.Table, name: str | None = None) -> IncrementalEvaluation:
        """Reopen an evaluation from the catalog (e.g. after a kernel restart), with its window, reference and
        thresholds.

        Args:
            path: The evaluated table (or its path).
            name: Which evaluation, when several watch the table.

        Raises:
            EvaluationNotFoundError: If the table has none (of that name).

        Example:
            >>> IncrementalEvaluation.open('demo/predictions').settings.window.text  # doctest: +SKIP
            '1h'
        """
        tbl = _resolve_table(path)
        found = {}
        for fact in column_facts(tbl):
            data = read_role(fact.custom_metadata, ROLE_CORRECT)
            if data is not None:
                found[str(data['name'])] = str(data['dir'])
        if not found:
            raise EvaluationNotFoundError(f'{table_path(tbl)} has no incremental evaluation.')
        if name is None:
            if len(found) > 1:
                raise EvaluationNotFoundError(
                    f'{table_path(tbl)} has {len(found)} evaluations; say which: {", ".join(sorted(found))}.'
                )
            name = next(iter(found))
        if name not in found:
            raise EvaluationNotFoundError(
                f'{table_path(tbl)} has no evaluation {name!r}.', hint=f'It has: {", ".join(sorted(found))}.'
            )
        ev = cls.__new__(cls)
        ev._tbl = tbl
        ev._store = Store.open(found[name])
        return ev

    # ---- reading ------------------------------------------------------------------------------------------------

    @property
    def table(self) -> pxt.Table:
        """The evaluated table."""
        return self._tbl

    @property
    def spec(self) -> Spec:
        """The columns (fixed at creation)."""
        return self._store.spec

    @property
    def dir(self) -> str:
        """The directory of the evaluation's own tables."""
        return self._store.dir

    @property
    def settings(self) -> Settings:
        """Window, reference and thresholds, as stored now."""
        return self._store.settings()

    @property
    def thresholds(self) -> dict[str, Any]:
        return dict(self.settings.thresholds)

    @property
    def version(self) -> int:
        """The evaluated table's version (changes with every insert, update or delete)."""
        return table_version(self._tbl)

    def revision(self) -> tuple[int, int, int, int]:
        """The versions of the evaluated table and of the settings, window and alert tables (no catalog round trip):
        anything shown from this evaluation is still current while it is the same."""
        store = self._store
        return (
            table_version(self._tbl),
            table_version(store.settings_table),
            table_version(store.windows_table),
            table_version(store.alerts_table),
        )

    def pending(self) -> int:
        """Rows with a prediction that still wait for their ground truth (counted in SQL)."""
        t = self._tbl
        return int(t.where((t[self.spec.ground_truth] == None) & (t[self.spec.prediction] != None)).count())  # noqa: E711

    def to_pandas(self) -> pd.DataFrame:
        """The window table: one row per window with counts, metrics, distributions and drift (as stored)."""
        return self._store.windows_frame()

    def alerts(self) -> pd.DataFrame:
        """Every alert raised so far, in the order raised."""
        return self._store.alerts_frame()

    def window(self, bucket: int) -> dict[str, Any]:
        """One stored window row.

        Raises:
            InvalidRequestError: If there is no such window.
        """
        for row in self._store.window_rows():
            if int(row['bucket']) == bucket:
                return dict(row)
        raise InvalidRequestError(f'No window {bucket} (refresh first, or pick one of the listed windows).')

    # ---- settings -----------------------------------------------------------------------------------------------

    def configure(
        self, *, window: Any = None, reference: Any = None, thresholds: Mapping[str, Any] | None = None
    ) -> Settings:
        """Change the window size, the reference and/or thresholds (validated together; nothing changes on error).

        Only the evaluation's settings table is written; the evaluated table's version stays.

        Raises:
            InvalidWindowError, InvalidReferenceError, InvalidParameterError, NoReferenceRowsError.
        """
        old = self.settings
        w = old.window if window is None else parse_window(window)
        spec = self.spec
        if w.kind == 'time' and spec.key is None:
            raise InvalidWindowError(f'Time windows ({w.text}) need a timestamp column; this evaluation has none.')
        if w.kind == 'rows' and spec.order is None:
            raise InvalidWindowError(f'Row windows ({w.text}) need an order column; this evaluation has none.')
        ref = old.reference if reference is None else parse_reference(reference)
        new = Settings(w, ref, validate_thresholds(thresholds, base=old.thresholds))
        if ref != old.reference or w != old.window:
            agg = win.aggregate(self._tbl, spec, w)
            if agg.windows:
                win.reference_data(self._tbl, spec, w, ref, agg, with_values=False)
        if new != old:
            self._store.save_settings(new)
        return new

    def set_thresholds(self, **thresholds: Any) -> dict[str, Any]:
        """Change some thresholds (``psi=0.2``, ``min_accuracy=0.9``, ``page_hinkley=None`` to turn one off)."""
        return dict(self.configure(thresholds=thresholds).thresholds)

    def set_window(self, window: Any) -> Window:
        """Change the window size (``'1d'``, ``'15min'``, ``'500 rows'``); the next refresh recomputes every window."""
        return self.configure(window=window).window

    def set_reference(self, reference: Any) -> Reference:
        """Change the reference (see the constructor); the next refresh recomputes every window."""
        return self.configure(reference='first' if reference is None else reference).reference

    # ---- labels -------------------------------------------------------------------------------------------------

    def add_labels(self, labels: Mapping[Any, Any], *, key: str | None = None) -> int:
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
        facts = {f.name: f for f in column_facts(self._tbl)}
        if key is None:
            pks = [f.name for f in facts.values() if f.is_pk]
            if len(pks) != 1:
                raise InvalidColumnError(
                    'The table has no single primary key: say which column identifies rows (key=).'
                )
            key = pks[0]
        key = _column_name(self._tbl, key, 'key')
        expected = int if self.spec.label_type == 'int' else str
        bad = [v for v in labels.values() if v is not None and (not isinstance(v, expected) or isinstance(v, bool))]
        if bad:
            raise InvalidColumnError(f'Labels must be {expected.__name__}; got {bad[0]!r}.')
        if not labels:
            return 0
        t = self._tbl
        known = {r['k'] for r in t.where(t[key].isin(list(labels))).select(k=t[key]).collect()}
        unknown = [k for k in labels if k not in known]
        if unknown:
            raise InvalidRequestError(
                f'{len(unknown)} key(s) match no row of {self.spec.table} (e.g. {unknown[0]!r}); nothing was written.'
            )
        if facts[key].is_pk:
            status = t.batch_update([{key: k, self.spec.ground_truth: v} for k, v in labels.items()])
            return int(status.num_rows)
        updated = 0
        for k, v in labels.items():
            updated += int(t.update({self.spec.ground_truth: v}, where=t[key] == k).num_rows)
        return updated

    def add_labels_from(
        self, source: str | pxt.Table, *, key: str = 'id', label: str = 'label', overwrite: bool = False
    ) -> int:
        """Join late ground truth from a labels table (filled by annotators, say) into the evaluated table.

        Rows of ``source`` with a label are matched on ``key``; by default only rows still waiting for their label
        are filled (``overwrite=True`` also corrects labels that differ). Keys the evaluated table does not have are
        skipped. Pixeltable re-scores exactly the rows that change.

        Returns:
            The number of rows labeled.

        Example:
            >>> ev.add_labels_from('demo/annotations', key='id', label='digit')  # doctest: +SKIP
            412
        """
        src = _resolve_table(source)
        skey, slabel = _column_name(src, key, 'key'), _column_name(src, label, 'label')
        incoming = {
            r['k']: r['v']
            for r in src.where(src[slabel] != None).select(k=src[skey], v=src[slabel]).collect()  # noqa: E711
        }
        if not incoming:
            return 0
        t, truth = self._tbl, self._tbl[self.spec.ground_truth]
        mine = _column_name(t, key, 'key')
        current = {r['k']: r['v'] for r in t.where(t[mine].isin(list(incoming))).select(k=t[mine], v=truth).collect()}
        wanted = {
            k: v
            for k, v in incoming.items()
            if k in current and (current[k] is None or (overwrite and current[k] != v))
        }
        return self.add_labels(wanted, key=mine) if wanted else 0

    # ---- refresh ------------------------------------------------------------------------------------------------

    def refresh(self, progress: ProgressCallback | None = None, *, force: bool = False) -> RefreshResult:
        """Bring the window table up to date with the evaluated table, and raise new alerts.

        When neither the table's version nor the settings changed since the last complete refresh, nothing is
        read beyond the settings row. Otherwise one aggregation query finds every window's counts; windows whose
        counts, sums, width or reference changed are recomputed (their numeric values fetched by key range) and
        written in one upsert; the rest are kept as stored.

        Args:
            progress: ``progress(done, total, message)`` between steps (it may raise to cancel: nothing is written
                before the windows are all computed).
            force: Recompute every window even if nothing seems to have changed.
        """
        start = datetime.datetime.now()
        report = progress or (lambda done, total, message: None)
        spec = self.spec
        settings, state = self._store.read()
        version = self.version
        settings_key = hashlib.sha256(json.dumps(settings.to_json(), sort_keys=True).encode()).hexdigest()[:16]
        if not force and state.get('version') == version and state.get('settings') == settings_key:
            return RefreshResult(
                [],
                [],
                int(state.get('windows', 0)),
                [],
                int(state.get('unplaced', 0)),
                version,
                _elapsed(start),
                int(state.get('future', 0)),
            )
        w = settings.window
        report(0, 4, 'aggregating windows')
        agg = win.aggregate(self._tbl, spec, w)
        stored = {int(r['bucket']): r for r in self._store.window_rows(_ALERT_COLUMNS)}
        changed: list[int] = []
        removed = sorted(set(stored) - set(agg.windows))
        raised: list[dict[str, Any]] = []
        if not agg.windows:
            self._store.replace_windows([], removed)
        else:
            ref = win.reference_data(self._tbl, spec, w, settings.reference, agg, with_values=False)
            prints = {b: win.fingerprint(wc, w, ref) for b, wc in agg.windows.items()}
            changed = sorted(
                b for b, fp in prints.items() if force or b not in stored or stored[b]['fingerprint'] != fp
            )
            rows: list[dict[str, Any]] = []
            if changed:
                report(1, 4, f'recomputing {len(changed)} window(s)')
                self._load_reference(ref, agg, w)
                now = _now()
                sizes = {b: agg.windows[b].rows for b in changed}
                for i, (b, values) in enumerate(win.window_values(self._tbl, spec, w, changed, sizes)):
                    rows.append(win.window_row(agg.windows[b], w, ref, values, prints[b], now))
                    if i % 20 == 19:
                        report(1, 4, f'recomputed {i + 1} of {len(changed)} windows')
                report(2, 4, 'writing windows')
            if changed or removed:
                self._store.replace_windows(rows, removed)
            report(3, 4, 'checking alerts')
            current = {b: r for b, r in stored.items() if b in agg.windows}
            current.update({int(r['bucket']): r for r in rows})
            candidates = alert_rules.alert_candidates(
                list(current.values()), settings.thresholds, reference_bucket=ref.bucket
            )
            known = self._store.alert_ids() if candidates else set()
            raised = alert_rules.new_alerts(candidates, known, _now())
            self._store.add_alerts(raised)
        self._store.save_state(
            {
                'version': version,
                'settings': settings_key,
                'windows': len(agg.windows),
                'unplaced': agg.unplaced,
                'future': agg.future,
            }
        )
        report(4, 4, 'done')
        return RefreshResult(
            changed,
            removed,
            len(agg.windows) - len(changed),
            raised,
            agg.unplaced,
            version,
            _elapsed(start),
            agg.future,
        )

    def _load_reference(self, ref: win.ReferenceData, agg: win.Aggregate, w: Window) -> None:
        """Load the reference's counts and values: from the store's cache while its digest (which covers its counts
        and sums) still holds, else from the table (the confusion cells of its windows, then its values)."""
        spec = self.spec
        cache = self._store.reference_cache
        cached = ref.exact and cache is not None and cache[0] == ref.digest
        if cached:
            assert cache is not None
            ref.predictions, ref.labels, ref.numeric = cache[1]['predictions'], cache[1]['labels'], cache[1]['values']
            return
        ref.load_counts(agg)
        ref.load_values(spec)
        if ref.exact:
            self._store.reference_cache = (
                ref.digest,
                {'predictions': ref.predictions, 'labels': ref.labels, 'values': ref.numeric},
            )

    # ---- snapshots ----------------------------------------------------------------------------------------------

    def snapshot(self, name: str | None = None) -> EvaluationSnapshot:
        """Refresh, then freeze the window table and the evaluated rows as Pixeltable snapshots.

        Args:
            name: The snapshot's name (default: the time, ``s20260101T120000``).

        Raises:
            InvalidRequestError: If the name is not an identifier or is taken (before any write).

        Example:
            >>> snap = ev.snapshot('before_retrain')  # doctest: +SKIP
            >>> ev.compare(snap)[['label', 'accuracy_then', 'accuracy_now']]  # doctest: +SKIP
        """
        now = _now()
        name = name or now.strftime('s%Y%m%dT%H%M%S')
        if not isinstance(name, str) or not re.fullmatch(r'[A-Za-z][A-Za-z0-9_]{0,60}', name):
            raise InvalidRequestError(f'A snapshot name is letters, digits and _, got {name!r}.')
        if any(s.name == name for s in self.snapshots()):
            raise InvalidRequestError(f'There is a snapshot named {name!r} already.')
        self.refresh()
        index = self._store.snapshot_index  # made with the first snapshot, with the snapshots/ directory
        base = f'{self.dir}/snapshots/{name}'
        settings = self.settings.to_json()
        version = self.version
        pxt.create_snapshot(base, self._store.windows_table, comment=f'windows of evaluation {self.spec.name}')
        pxt.create_snapshot(f'{base}_rows', self._tbl, comment=f'rows of {self.spec.table} at snapshot {name}')
        index.insert(
            [
                {
                    'name': name,
                    'windows': base,
                    'rows': f'{base}_rows',
                    'created_at': now,
                    'table_version': version,
                    'settings': settings,
                }
            ]
        )
        return EvaluationSnapshot(name, base, f'{base}_rows', now.isoformat(), version, settings)

    def snapshots(self) -> list[EvaluationSnapshot]:
        """Every snapshot taken, oldest first."""
        if not self._store.has_snapshots():
            return []
        index = self._store.snapshot_index
        return [
            EvaluationSnapshot(
                str(r['name']),
                str(r['windows']),
                str(r['rows']),
                r['created_at'].isoformat(),
                int(r['table_version']),
                r['settings'] or {},
            )
            for r in index.order_by(index.created_at).collect()
        ]

    def compare(self, snapshot: EvaluationSnapshot | str) -> pd.DataFrame:
        """Metrics per window now and at a snapshot, side by side (``*_then``, ``*_now``, ``*_change``)."""
        snap = snapshot if isinstance(snapshot, EvaluationSnapshot) else self._snapshot(snapshot)
        cols = ['bucket', 'label', 'rows', 'pending', 'accuracy', 'f1']
        then, now = snap.windows()[cols], self.to_pandas()[cols]
        merged = then.merge(now, on=['bucket', 'label'], how='outer', suffixes=('_then', '_now')).sort_values('bucket')
        for metric in ('accuracy', 'f1'):
            merged[f'{metric}_change'] = merged[f'{metric}_now'] - merged[f'{metric}_then']
        return merged.reset_index(drop=True)

    def _snapshot(self, name: str) -> EvaluationSnapshot:
        for snap in self.snapshots():
            if snap.name == name:
                return snap
        raise InvalidRequestError(f'No snapshot named {name!r}.')

    # ---- figures ------------------------------------------------------------------------------------------------

    def metrics_figure(self) -> go.Figure:
        """Accuracy, precision, recall and F1 per window, with the metric thresholds."""
        return figures.metrics_figure(self.to_pandas(), self.thresholds)

    def drift_figure(self, statistic: str = 'psi') -> go.Figure:
        """One drift statistic (``'psi'``, ``'js'``, ``'ks_pvalue'``, ``'wasserstein'``) per window and column,
        with its threshold."""
        if statistic not in figures.DRIFT_STATISTICS:
            raise InvalidRequestError(f'Unknown statistic {statistic!r}; one of {", ".join(figures.DRIFT_STATISTICS)}.')
        return figures.drift_figure(self.to_pandas(), statistic, self.thresholds)

    def confusion_figure(self, bucket: int | None = None) -> go.Figure:
        """The confusion matrix of one window (default: the latest)."""
        frame = self.to_pandas()
        if bucket is None:
            return figures.confusion_figure({str(k): v for k, v in frame.iloc[-1].items()} if len(frame) else None)
        return figures.confusion_figure(self.window(bucket))

    def rows_figure(self) -> go.Figure:
        """Rows per window, labeled and pending."""
        return figures.rows_figure(self.to_pandas())

    def __repr__(self) -> str:
        s = self.settings
        return (
            f'IncrementalEvaluation({self.spec.table!r}, name={self.spec.name!r}, window={s.window.text!r}, '
            f'reference={s.reference.describe()!r})'
        )


def _elapsed(start: datetime.datetime) -> float:
    return (datetime.datetime.now() - start).total_seconds()


def _check_timestamps(tbl: pxt.Table, ts: str) -> None:
    col = tbl[ts]
    missing = int(tbl.where(col == None).count())  # noqa: E711
    if missing:
        raise TimestampError(
            f'{missing} row(s) of {table_path(tbl)} have no {ts!r}: they would fall in no window.',
            hint='Fill the timestamps in (or delete those rows) first.',
            details={'missing': missing},
        )
    limit = _now() + FUTURE_TOLERANCE
    future = int(tbl.where(col > limit).count())
    if future:
        raise TimestampError(
            f'{future} row(s) of {table_path(tbl)} have a {ts!r} in the future (after {limit:%Y-%m-%d %H:%M} UTC).',
            hint='Check the clock or time zone of the producer; naive timestamps are read as UTC.',
            details={'future': future},
        )
