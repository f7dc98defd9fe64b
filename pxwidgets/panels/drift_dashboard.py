"""DriftDashboard: metrics and drift per time window of an incremental evaluation, alerts, editable thresholds.

Detection evaluations show precision, recall, F1 and mAP (IoU 0.5 and 0.5:0.95) where class evaluations show
accuracy, and a window's average precision per class where a class window shows its confusion matrix.

Charts of accuracy / precision / recall / F1 per window, of a drift statistic per window against its threshold line,
of labeled and pending rows per window; the alert list; the confusion matrix of the window you click; a form for the
window size, the reference and every threshold (validated by the library, per-field messages); Refresh, and
automatic refresh when the evaluated table's version changes (inserts, late labels).

Example:
    >>> from pxwidgets import DriftDashboard
    >>> DriftDashboard(ev)  # an IncrementalEvaluation, or the evaluated table's path  # doctest: +SKIP
"""

from __future__ import annotations

import math
import time
from typing import Any, NotRequired, TypedDict

import pandas as pd
import traitlets

from pxwidgets.errors import InvalidRequestError
from pxwidgets.panels.assets import css, esm
from pxwidgets.panels.base import Panel, ProgressReporter, command
from pxwidgets.panels.charts import figure_payload
from pxwidgets.panels.contract import FigurePayload, NoPayload, ParamSpec
from pxwidgets.patterns.incremental import THRESHOLD_PARAMS, IncrementalEvaluation
from pxwidgets.patterns.incremental import figures as evaluation_figures

STATISTICS = tuple(evaluation_figures.DRIFT_STATISTICS)
"""The drift statistics the panel can chart."""

# ---- message shapes (js/drift_dashboard/contract.ts is generated from them) ----------------------------------------


class WindowInfo(TypedDict):
    bucket: int
    label: str
    rows: int
    pending: int
    labeled: int
    accuracy: float | None
    precision: float | None
    recall: float | None
    f1: float | None
    map50: float | None
    map: float | None
    errors: int
    estimated_accuracy: float | None
    alerts: int


class AlertInfo(TypedDict):
    alert_id: str
    bucket: int
    window: str
    statistic: str
    column: str
    value: float | None
    threshold: float | None
    message: str
    raised_at: str


class ReferenceInfo(TypedDict):
    kind: str
    start: NotRequired[str]
    end: NotRequired[str]
    bucket: NotRequired[int]
    path: NotRequired[str]
    text: str


class RefreshInfo(TypedDict):
    changed: int
    removed: int
    unchanged: int
    alerts: int
    unplaced: int
    future: int
    elapsed_ms: float


class DashboardState(TypedDict):
    table: str
    name: str
    kind: str
    """``'classes'`` or ``'detections'`` (which metrics the windows have)."""
    metrics: list[str]
    version: int
    window: str
    reference: ReferenceInfo
    thresholds: dict[str, Any]
    threshold_params: list[ParamSpec]
    statistics: list[str]
    statistic: str
    windows: list[WindowInfo]
    alerts: list[AlertInfo]
    pending: int
    metrics_figure: FigurePayload
    drift_figure: FigurePayload
    rows_figure: FigurePayload
    refreshed: RefreshInfo | None
    elapsed_ms: float


class StateRequest(TypedDict):
    statistic: NotRequired[str]


class ConfigureRequest(TypedDict):
    window: NotRequired[str]
    reference: NotRequired[dict[str, Any] | None]
    thresholds: NotRequired[dict[str, Any]]
    statistic: NotRequired[str]


class WindowRequest(TypedDict):
    bucket: int


class ClassInfo(TypedDict):
    label: str
    support: int
    predicted: int
    precision: float
    recall: float
    f1: float
    ap50: float | None
    ap: float | None


class WindowReply(TypedDict):
    bucket: int
    label: str
    rows: int
    pending: int
    labeled: int
    errors: int
    figure: FigurePayload
    classes: list[ClassInfo]
    drift: dict[str, dict[str, Any]]


class VersionReply(TypedDict):
    version: int


# ---- helpers ------------------------------------------------------------------------------------------------------


def _num(value: Any) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _iso(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return ''
    return value.isoformat() if hasattr(value, 'isoformat') else str(value)


def _statistic(payload: dict[str, Any], default: str) -> str:
    value = payload.get('statistic', default)
    if value not in STATISTICS:
        raise InvalidRequestError(f'Unknown statistic {value!r}; one of {", ".join(STATISTICS)}.')
    return str(value)


class DriftDashboard(Panel):
    """Watch an incremental evaluation: metrics, drift, alerts, thresholds.

    Args:
        evaluation: An :class:`~pxwidgets.patterns.IncrementalEvaluation`, or the evaluated table (or its path) to
            open one from.
        name: Which evaluation of the table, when it has several.
        auto_refresh: Refresh by itself when the table's version changes (checked every few seconds).
    """

    _esm = esm('drift_dashboard')
    _css = css('drift_dashboard')

    table = traitlets.Unicode('').tag(sync=True)
    """The evaluated table's path."""
    name = traitlets.Unicode('').tag(sync=True)
    """The evaluation's name."""
    statistic = traitlets.Unicode('psi').tag(sync=True)
    """The drift statistic charted."""
    bucket = traitlets.Int(-1).tag(sync=True)
    """The selected window (its confusion matrix is shown); -1 for the latest."""
    auto_refresh = traitlets.Bool(True).tag(sync=True)
    """Refresh when the evaluated table's version changes."""

    def __init__(
        self,
        evaluation: IncrementalEvaluation | Any,
        *,
        name: str | None = None,
        auto_refresh: bool = True,
        **kwargs: Any,
    ) -> None:
        ev = (
            evaluation
            if isinstance(evaluation, IncrementalEvaluation)
            else IncrementalEvaluation.open(evaluation, name)
        )
        self._ev = ev
        self._last: tuple[Any, DashboardState] | None = None
        super().__init__(table=ev.spec.table, name=ev.spec.name, auto_refresh=auto_refresh, **kwargs)

    @property
    def evaluation(self) -> IncrementalEvaluation:
        return self._ev

    # ---- state --------------------------------------------------------------------------------------------------

    def _state(self, statistic: str, refreshed: RefreshInfo | None, started: float) -> DashboardState:
        key = (self._ev.revision(), statistic)
        if self._last is not None and self._last[0] == key:  # nothing changed: the same windows, alerts, figures
            return {**self._last[1], 'refreshed': refreshed, 'elapsed_ms': (time.perf_counter() - started) * 1000}
        state = self._build_state(statistic, refreshed, started)
        self._last = (key, state)
        return state

    def _build_state(self, statistic: str, refreshed: RefreshInfo | None, started: float) -> DashboardState:
        ev = self._ev
        settings = ev.settings
        frame = ev.to_pandas()
        alerts = ev.alerts()
        thresholds = dict(settings.thresholds)
        per_window = alerts['bucket'].value_counts().to_dict() if len(alerts) else {}
        windows: list[WindowInfo] = [
            {
                'bucket': int(r['bucket']),
                'label': str(r['label']),
                'rows': int(r['rows']),
                'pending': int(r['pending']),
                'labeled': int(r['labeled']),
                'accuracy': _num(r['accuracy']),
                'precision': _num(r['precision']),
                'recall': _num(r['recall']),
                'f1': _num(r['f1']),
                'map50': _num(r.get('map50')),
                'map': _num(r.get('map')),
                'errors': int(_num(r.get('errors')) or 0),
                'estimated_accuracy': _num(r.get('estimated_accuracy')),
                'alerts': int(per_window.get(int(r['bucket']), 0)),
            }
            for r in frame.to_dict('records')
        ]
        alert_list: list[AlertInfo] = [
            {
                'alert_id': str(a['alert_id']),
                'bucket': int(a['bucket']),
                'window': str(a['window']),
                'statistic': str(a['statistic']),
                'column': str(a['column']),
                'value': _num(a['value']),
                'threshold': _num(a['threshold']),
                'message': str(a['message']),
                'raised_at': _iso(a['raised_at']),
            }
            for a in alerts.to_dict('records')
        ]
        ref = settings.reference
        reference: ReferenceInfo = {**ref.to_json(), 'kind': ref.kind, 'text': ref.describe()}  # type: ignore[typeddict-item]
        return {
            'table': ev.spec.table,
            'name': ev.spec.name,
            'kind': 'detections' if ev.spec.detections else 'classes',
            'metrics': list(ev.metrics),
            'version': ev.version,
            'window': settings.window.text,
            'reference': reference,
            'thresholds': thresholds,
            'threshold_params': [p.to_json() for p in THRESHOLD_PARAMS.params],
            'statistics': list(STATISTICS),
            'statistic': statistic,
            'windows': windows,
            'alerts': alert_list,
            'pending': int(frame['pending'].sum()) if len(frame) else 0,
            'metrics_figure': figure_payload(evaluation_figures.metrics_figure(frame, thresholds, ev.metrics)),
            'drift_figure': figure_payload(evaluation_figures.drift_figure(frame, statistic, thresholds)),
            'rows_figure': figure_payload(evaluation_figures.rows_figure(frame)),
            'refreshed': refreshed,
            'elapsed_ms': (time.perf_counter() - started) * 1000,
        }

    def _refresh(self, progress: ProgressReporter | None) -> RefreshInfo:
        result = self._ev.refresh(progress=progress)
        return {
            'changed': len(result.changed),
            'removed': len(result.removed),
            'unchanged': result.unchanged,
            'alerts': len(result.alerts),
            'unplaced': result.unplaced,
            'future': result.future,
            'elapsed_ms': result.seconds * 1000,
        }

    @command('state', request=StateRequest, reply=DashboardState)
    def _cmd_state(self, payload: dict[str, Any], progress: ProgressReporter) -> DashboardState:
        """What is stored now (no refresh): windows, alerts, figures, settings."""
        started = time.perf_counter()
        statistic = _statistic(payload, self.statistic)
        self.statistic = statistic
        return self._state(statistic, None, started)

    @command('refresh', background=True, request=StateRequest, reply=DashboardState)
    def _cmd_refresh(self, payload: dict[str, Any], progress: ProgressReporter) -> DashboardState:
        """Bring the windows up to date (only changed windows are recomputed), raise new alerts, return the state."""
        started = time.perf_counter()
        statistic = _statistic(payload, self.statistic)
        refreshed = self._refresh(progress)
        return self._state(statistic, refreshed, started)

    @command('configure', background=True, request=ConfigureRequest, reply=DashboardState)
    def _cmd_configure(self, payload: dict[str, Any], progress: ProgressReporter) -> DashboardState:
        """Change window size, reference and thresholds together (validated; nothing changes on error), then refresh."""
        started = time.perf_counter()
        statistic = _statistic(payload, self.statistic)
        thresholds = payload.get('thresholds')
        if thresholds is not None and not isinstance(thresholds, dict):
            raise InvalidRequestError('thresholds must be an object of threshold values.')
        window = payload.get('window')
        if window is not None and not isinstance(window, str):
            raise InvalidRequestError("window must be a string like '1h' or '500 rows'.")
        reference = payload.get('reference')
        if 'reference' in payload and reference is None:
            reference = 'first'
        self._ev.configure(window=window or None, reference=reference, thresholds=thresholds)
        progress.raise_if_cancelled()
        refreshed = self._refresh(progress)
        return self._state(statistic, refreshed, started)

    @command('window', request=WindowRequest, reply=WindowReply)
    def _cmd_window(self, payload: dict[str, Any], progress: ProgressReporter) -> WindowReply:
        """One window: its confusion matrix (detections: AP per class), per-class figures and drift statistics."""
        bucket = payload.get('bucket')
        if not isinstance(bucket, int) or isinstance(bucket, bool):
            raise InvalidRequestError(f'bucket must be an integer, not {bucket!r}.')
        row = self._ev.window(bucket)
        self.bucket = bucket
        classes: list[ClassInfo] = [
            {
                'label': str(c['class']),
                'support': int(c['support']),
                'predicted': int(c['predicted']),
                'precision': float(c['precision']),
                'recall': float(c['recall']),
                'f1': float(c['f1']),
                'ap50': _num(c.get('ap50')),
                'ap': _num(c.get('ap')),
            }
            for c in (row.get('per_class') or [])
        ]
        draw = evaluation_figures.ap_figure if self._ev.spec.detections else evaluation_figures.confusion_figure
        return {
            'bucket': bucket,
            'label': str(row['label']),
            'rows': int(row['rows']),
            'pending': int(row['pending']),
            'labeled': int(row['labeled']),
            'errors': int(_num(row.get('errors')) or 0),
            'figure': figure_payload(draw(row)),
            'classes': classes,
            'drift': dict(row.get('drift') or {}),
        }

    @command('version', request=NoPayload, reply=VersionReply)
    def _cmd_version(self, payload: dict[str, Any], progress: ProgressReporter) -> VersionReply:
        """The evaluated table's version (cheap; the panel polls it to refresh when it changes)."""
        return {'version': self._ev.version}
