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
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import pixeltable as pxt
import plotly.graph_objects as go

from pxwidgets.errors import InvalidRequestError
from pxwidgets.patterns.incremental import declaration, figures, snapshots
from pxwidgets.patterns.incremental import labels as labels_
from pxwidgets.patterns.incremental.aggregate import aggregate
from pxwidgets.patterns.incremental.config import (
    Reference,
    Settings,
    Window,
    parse_reference,
    parse_window,
    validate_thresholds,
)
from pxwidgets.patterns.incremental.errors import EvaluationNotFoundError, InvalidWindowError
from pxwidgets.patterns.incremental.estimate import estimation_error
from pxwidgets.patterns.incremental.reference import reference_data
from pxwidgets.patterns.incremental.refresh import ProgressCallback, RefreshResult, index_window_column, refresh
from pxwidgets.patterns.incremental.snapshots import EvaluationSnapshot
from pxwidgets.patterns.incremental.store import Spec, Store
from pxwidgets.tables.internals import table_path, table_version

__all__ = ['EvaluationSnapshot', 'IncrementalEvaluation', 'ProgressCallback', 'RefreshResult']


class IncrementalEvaluation:
    """Incremental evaluation of a classifier's predictions (or a detector's boxes) stored in a Pixeltable table.

    Detections: when the prediction and ground-truth columns are JSON (``{'bboxes': [[x1, y1, x2, y2], ...],
    'labels': [...], 'scores': [...]}``; ground truth without scores), ``<name>_correct`` holds each row's
    IoU-matched true positives, false positives and false negatives (and ``<name>_h`` a digest of it), and each
    window has precision, recall and F1 at IoU 0.5 and COCO's mAP at IoU 0.5 and 0.5:0.95 (equal to pycocotools),
    drift of box counts (``boxes``), scores (``scores``) and box classes (``prediction``, ``label``). Rows with
    malformed JSON or boxes outside the image are counted as ``errors``; the other rows are evaluated.

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
        image_size: Detections only: an image column, or a ``(width, height)`` pair of int columns; rows with a box
            outside the image count as errors.
        confidence: Classes only: the prediction's confidence column (float, 0-1); each window then has an
            accuracy estimated from it (calibrated on the labeled reference) before its labels arrive.

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
        image_size: Any = None,
        confidence: Any = None,
    ) -> None:
        tbl = declaration.resolve_table(table)
        existing = declaration.evaluations_of(tbl).get(name)
        if existing is not None:
            self._store = Store.open(existing)
            self._tbl = tbl
            declaration.check_same(tbl, self.spec, prediction, ground_truth, timestamp, order, numeric)
            if window is not None or reference is not None or thresholds is not None:
                self.configure(window=window, reference=reference, thresholds=thresholds)
            return
        path = table_path(tbl)
        spec, settings = declaration.validate(
            tbl,
            path,
            prediction,
            ground_truth,
            timestamp,
            window,
            order,
            numeric,
            reference,
            thresholds,
            name,
            image_size,
            confidence,
        )
        self._tbl = tbl
        self._store = declaration.create(tbl, spec, settings)
        index_window_column(tbl, self._store)

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
        tbl = declaration.resolve_table(path)
        found = declaration.evaluations_of(tbl)
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

    def estimation_error(self) -> pd.DataFrame:
        """How far the accuracy estimated from the confidences was from the realized accuracy, on every window
        whose labels have all arrived (needs ``confidence=``; see :mod:`~pxwidgets.patterns.incremental.estimate`).

        Example:
            >>> ev.estimation_error()['error'].abs().mean()  # doctest: +SKIP
            0.012
        """
        rows = self._store.window_rows()
        ref = self.settings.reference
        bucket = min((int(r['bucket']) for r in rows), default=None) if ref.kind == 'first' else ref.bucket
        return estimation_error(rows, bucket)

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
            agg = aggregate(self._tbl, spec, w)
            if agg.windows:
                reference_data(self._tbl, spec, w, ref, agg, with_values=False)
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
        """Fill in late ground truth: ``{key value: label}``; Pixeltable re-scores exactly these rows (see
        :func:`~pxwidgets.patterns.incremental.labels.add_labels`).

        Example:
            >>> ev.add_labels({17: 3, 18: 5})  # doctest: +SKIP
            2
        """
        return labels_.add_labels(self._tbl, self.spec, labels, key=key)

    def add_labels_from(
        self, source: str | pxt.Table, *, key: str = 'id', label: str = 'label', overwrite: bool = False
    ) -> int:
        """Join late ground truth from a labels table (see
        :func:`~pxwidgets.patterns.incremental.labels.add_labels_from`).

        Example:
            >>> ev.add_labels_from('demo/annotations', key='id', label='digit')  # doctest: +SKIP
            412
        """
        return labels_.add_labels_from(self._tbl, self.spec, source, key=key, label=label, overwrite=overwrite)

    # ---- refresh ------------------------------------------------------------------------------------------------

    def refresh(self, progress: ProgressCallback | None = None, *, force: bool = False) -> RefreshResult:
        """Bring the window table up to date with the evaluated table, and raise new alerts.

        Only windows whose confusion cells or values changed (or the width or reference) are recomputed; see
        :func:`~pxwidgets.patterns.incremental.refresh.refresh`.

        Args:
            progress: ``progress(done, total, message)`` between steps (it may raise to cancel: nothing is written
                before the windows are all computed).
            force: Recompute every window even if nothing seems to have changed.
        """
        index_window_column(self._tbl, self._store)
        return refresh(self._tbl, self._store, self.version, progress, force=force)

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
        now = datetime.datetime.now(tz=datetime.UTC)
        name = snapshots.snapshot_name(self._store, name, now)
        self.refresh()
        return snapshots.take_snapshot(self._store, self._tbl, name, now, self.version, self.settings.to_json())

    def snapshots(self) -> list[EvaluationSnapshot]:
        """Every snapshot taken, oldest first."""
        return snapshots.list_snapshots(self._store)

    def compare(self, snapshot: EvaluationSnapshot | str) -> pd.DataFrame:
        """Metrics per window now and at a snapshot, side by side (``*_then``, ``*_now``, ``*_change``)."""
        snap = snapshot if isinstance(snapshot, EvaluationSnapshot) else snapshots.find_snapshot(self._store, snapshot)
        return snapshots.compare_windows(snap, self.to_pandas())

    # ---- figures ------------------------------------------------------------------------------------------------

    def metrics_figure(self) -> go.Figure:
        """Accuracy, precision, recall and F1 per window (detections: precision, recall, F1 and mAP), with the metric
        thresholds, and the estimated accuracy dashed where labels are missing."""
        return figures.metrics_figure(self.to_pandas(), self.thresholds, self.metrics)

    @property
    def metrics(self) -> tuple[str, ...]:
        """The metrics of this evaluation's windows."""
        return figures.DETECTION_METRICS if self.spec.detections else figures.METRICS

    def drift_figure(self, statistic: str = 'psi') -> go.Figure:
        """One drift statistic (``'psi'``, ``'js'``, ``'ks_pvalue'``, ``'wasserstein'``) per window and column,
        with its threshold."""
        if statistic not in figures.DRIFT_STATISTICS:
            raise InvalidRequestError(f'Unknown statistic {statistic!r}; one of {", ".join(figures.DRIFT_STATISTICS)}.')
        return figures.drift_figure(self.to_pandas(), statistic, self.thresholds)

    def confusion_figure(self, bucket: int | None = None) -> go.Figure:
        """The confusion matrix of one window (default: the latest); for detections, its average precision per
        class."""
        frame = self.to_pandas()
        draw = figures.ap_figure if self.spec.detections else figures.confusion_figure
        if bucket is None:
            return draw({str(k): v for k, v in frame.iloc[-1].items()} if len(frame) else None)
        return draw(self.window(bucket))

    def rows_figure(self) -> go.Figure:
        """Rows per window, labeled and pending."""
        return figures.rows_figure(self.to_pandas())

    def __repr__(self) -> str:
        s = self.settings
        return (
            f'IncrementalEvaluation({self.spec.table!r}, name={self.spec.name!r}, window={s.window.text!r}, '
            f'reference={s.reference.describe()!r})'
        )
