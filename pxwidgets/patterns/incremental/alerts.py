"""Alert rules: a statistic of a complete window crosses its threshold; a detector fires on the metric stream.

Drift is decided by the sample-size rule by default (a statistic above its no-drift limit for the window's size,
stored beside it in the window row; or, for the window pooled with the 1 or 3 windows before it, above the limit for
that many values), or by Evidently's fixed thresholds (``drift_rule='evidently'``).

A window is *complete* once rows of a later window have arrived (windows close on event time, so a replay of old data
behaves like live data). The reference window never alerts. Drift and metric rules need ``min_rows`` rows (labeled
rows for metrics). The sequential detectors (river's Page-Hinkley and ADWIN) read the accuracy of complete windows in
order; a detection is an alert on the window where it happened. Each alert has an id (width, window, statistic,
column), so it is written once, however often the rules run.

Example:
    >>> candidates = alert_candidates(rows, thresholds, reference_bucket=0)  # doctest: +SKIP
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from river import drift as river_drift

from pxwidgets.patterns.incremental.nulls import POOLS, alpha_shares

DRIFT_RULES: tuple[tuple[str, str, str], ...] = (
    ('psi', 'psi', 'above'),
    ('js', 'js', 'above'),
    ('ks_pvalue', 'ks_pvalue', 'below'),
    ('wasserstein', 'wasserstein', 'above'),
)
"""``(statistic in the window's drift, threshold name, direction)``."""

METRIC_RULES: tuple[tuple[str, str], ...] = (('accuracy', 'min_accuracy'), ('f1', 'min_f1'))
"""``(metric, threshold name)``: alert when the metric is below the threshold."""


def alert_id(width: int, bucket: int, statistic: str, column: str) -> str:
    """The unique id of an alert."""
    return f'{width}:{bucket}:{statistic}:{column}'


def _alert(
    row: Mapping[str, Any], statistic: str, column: str, value: float | None, threshold: float | None, message: str
) -> dict[str, Any]:
    return {
        'alert_id': alert_id(int(row['width']), int(row['bucket']), statistic, column),
        'bucket': int(row['bucket']),
        'width': int(row['width']),
        'window': str(row['label']),
        'start': row['start'],
        'statistic': statistic,
        'column': column,
        'value': value,
        'threshold': threshold,
        'message': message,
    }


EVIDENTLY_SMALL = 1000
"""Up to this many reference values, Evidently tests numeric drift with KS; above, with the Wasserstein distance."""


def _decides(statistic: str, statistics: Mapping[str, Any], numeric_test: str) -> bool:
    """Whether this numeric statistic raises alerts under the ``numeric_test`` rule (category statistics always do)."""
    if statistic not in ('ks_pvalue', 'wasserstein') or numeric_test == 'both':
        return True
    if numeric_test == 'auto':
        numeric_test = 'ks' if int(statistics.get('reference_values') or 0) <= EVIDENTLY_SMALL else 'wasserstein'
    return (statistic == 'ks_pvalue') == (numeric_test == 'ks')


def alert_candidates(
    rows: Sequence[Mapping[str, Any]], thresholds: Mapping[str, Any], *, reference_bucket: int | None
) -> list[dict[str, Any]]:
    """Every alert the rules raise on these window rows (ordered by window), raised or not before.

    Args:
        rows: Window-table rows, any order.
        thresholds: Validated thresholds.
        reference_bucket: The reference window (never alerts), if the reference is a window.
    """
    ordered = sorted(rows, key=lambda r: int(r['bucket']))
    if not ordered:
        return []
    last = int(ordered[-1]['bucket'])
    complete = [r for r in ordered if int(r['bucket']) < last and int(r['bucket']) != reference_bucket]
    min_rows = int(thresholds['min_rows'])
    by_size = thresholds.get('drift_rule', 'sample_size') == 'sample_size'
    out: list[dict[str, Any]] = []
    for row in complete:
        if int(row['rows']) >= min_rows and by_size:
            out += _limit_alerts(row, float(thresholds.get('false_alarm_rate') or 0.02))
        elif int(row['rows']) >= min_rows:
            for column, statistics in sorted((row.get('drift') or {}).items()):
                for statistic, name, direction in DRIFT_RULES:
                    if not _decides(statistic, statistics, str(thresholds.get('numeric_test', 'auto'))):
                        continue
                    value, threshold = statistics.get(statistic), thresholds.get(name)
                    if value is None or threshold is None:
                        continue
                    crossed = value < threshold if direction == 'below' else value >= threshold
                    if crossed:
                        word = 'below' if direction == 'below' else 'at or above'
                        out.append(
                            _alert(
                                row,
                                statistic,
                                column,
                                value,
                                threshold,
                                f'{statistic} of {column} is {value:.4g}, {word} {threshold:g}',
                            )
                        )
        if int(row['labeled']) >= min_rows:
            for metric, name in METRIC_RULES:
                value, threshold = row.get(metric), thresholds.get(name)
                if value is not None and threshold is not None and value < threshold:
                    out.append(
                        _alert(
                            row, metric, 'metrics', value, threshold, f'{metric} is {value:.4g}, below {threshold:g}'
                        )
                    )
    out += detector_alerts([r for r in complete if int(r['labeled']) >= min_rows], thresholds)
    return out


LIMIT_RULES: tuple[tuple[str, str], ...] = (('js', 'js_limit'), ('wasserstein', 'wasserstein_limit'))
"""The sample-size rule: ``(statistic, its no-drift limit stored beside it)``; classes by Jensen-Shannon distance,
numbers by normed Wasserstein distance."""


def _limit_alerts(row: Mapping[str, Any], alpha: float) -> list[dict[str, Any]]:
    """Alerts of the sample-size rule on one window: a statistic above the limit it stays under without drift —
    for the window alone, or for the window pooled with the 1 or 3 before it (``*_pooled2``, ``*_pooled4``) — the
    false-alarm rate ``alpha`` split between these tests. One alert per statistic and column: the first test that
    crosses its limit (the window alone first)."""
    out = []
    for column, statistics in sorted((row.get('drift') or {}).items()):
        for statistic, limit_name in LIMIT_RULES:
            for k in (1, *POOLS):
                suffix = '' if k == 1 else f'_pooled{k}'
                value = statistics.get(statistic + suffix)
                limit = statistics.get(limit_name if k == 1 else f'{statistic}{suffix}_limit')
                if value is None or limit is None or not value > limit:
                    continue
                n = statistics.get('values' + suffix)
                where = f'of {k} windows pooled ({n} values)' if k > 1 else f'of windows of {n} values'
                message = (
                    f'{statistic} of {column} is {value:.4g}, above {limit:.4g}: without drift, '
                    f'{100 * (1 - alpha_shares(alpha)[k]):.4g}% {where} stay below'
                )
                out.append(_alert(row, statistic, column, value, limit, message))
                break
    return out


def spread(ones: int, total: int) -> list[int]:
    """``total`` bits with ``ones`` of them set, spread evenly (how a window's correct rows feed a per-row detector).

    Example:
        >>> spread(2, 5)
        [0, 0, 1, 0, 1]
    """
    return [((i + 1) * ones) // total - (i * ones) // total for i in range(total)] if total else []


def detector_alerts(rows: Sequence[Mapping[str, Any]], thresholds: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Sequential detectors from river on the accuracy stream of windows in order; one alert per detection.

    Page-Hinkley (``mode='down'``) reads each window's accuracy: its threshold is in accuracy units summed over
    windows (0.5 = a drop of 0.1 held for about five windows). ADWIN reads the per-row correctness stream — each
    window's correct and wrong rows, spread evenly inside it — so its ``delta`` keeps its usual meaning.
    """
    out: list[dict[str, Any]] = []
    ph_threshold = thresholds.get('page_hinkley')
    if ph_threshold is not None:
        ph = river_drift.PageHinkley(min_instances=3, delta=0.005, threshold=float(ph_threshold), mode='down')
        for row in rows:
            value = row.get('accuracy')
            if value is None:
                continue
            ph.update(float(value))
            if ph.drift_detected:
                out.append(
                    _alert(
                        row,
                        'page_hinkley',
                        'accuracy',
                        float(value),
                        float(ph_threshold),
                        f'Page-Hinkley detected a drop in accuracy (now {value:.4g})',
                    )
                )
    delta = thresholds.get('adwin_delta')
    if delta is not None:
        adwin = river_drift.ADWIN(delta=float(delta))
        for row in rows:
            detected = False
            for bit in spread(int(row.get('correct') or 0), int(row.get('labeled') or 0)):
                adwin.update(bit)
                detected = detected or adwin.drift_detected
            if detected:
                value = row.get('accuracy')
                out.append(
                    _alert(
                        row,
                        'adwin',
                        'accuracy',
                        None if value is None else float(value),
                        float(delta),
                        f'ADWIN detected a change in accuracy (window accuracy {value:.4g})',
                    )
                )
    return out


def new_alerts(candidates: Sequence[dict[str, Any]], known: set[str], now: datetime.datetime) -> list[dict[str, Any]]:
    """The candidates not raised before, stamped with ``raised_at``."""
    seen = set(known)
    out = []
    for alert in candidates:
        if alert['alert_id'] in seen:
            continue
        seen.add(alert['alert_id'])
        out.append({**alert, 'raised_at': now})
    return out
