"""Metrics, drift statistics, settings and alert rules of incremental evaluation, without Pixeltable."""

from __future__ import annotations

import datetime
import math
from collections import Counter
from typing import Any

import numpy as np
import pytest
from scipy import stats as scipy_stats
from scipy.spatial import distance

from pxwidgets.errors import InvalidParameterError
from pxwidgets.patterns.incremental import stats
from pxwidgets.patterns.incremental.alerts import alert_candidates, new_alerts
from pxwidgets.patterns.incremental.config import (
    DEFAULT_THRESHOLDS,
    Reference,
    parse_reference,
    parse_window,
    validate_thresholds,
)
from pxwidgets.patterns.incremental.errors import InvalidReferenceError, InvalidWindowError
from tests.support.incremental import sklearn_metrics


def _cells(truth: list[Any], pred: list[Any]) -> dict[tuple[Any, Any], int]:
    return dict(Counter(zip(pred, truth, strict=True)))


@pytest.mark.parametrize(
    ('truth', 'pred'),
    [
        (list(np.random.default_rng(1).integers(0, 10, 300)), list(np.random.default_rng(2).integers(0, 10, 300))),
        ([3] * 20, [3] * 18 + [5, 7]),  # single-class truth; classes only predicted
        ([1, 1, 1], [1, 1, 1]),  # one class, all right
        (['cat', 'dog', 'dog', 'bird'], ['cat', 'cat', 'dog', 'fish']),  # strings, a class never predicted
    ],
)
def test_metrics_match_scikit_learn(truth: list[Any], pred: list[Any]) -> None:
    got = stats.metrics_from_counts(_cells(truth, pred))
    want = sklearn_metrics(truth, pred)
    for key, value in want.items():
        assert got[key] == pytest.approx(value), key
    assert got['labeled'] == len(truth)
    assert got['correct'] == sum(t == p for t, p in zip(truth, pred, strict=True))


def test_metrics_without_labels_are_none() -> None:
    got = stats.metrics_from_counts({})
    assert got['labeled'] == 0
    assert got['accuracy'] is None and got['f1'] is None and got['per_class'] == []


def test_psi_matches_its_definition_with_evidentlys_epsilon() -> None:
    ref, cur = {'a': 60, 'b': 30, 'c': 10}, {'a': 30, 'b': 30, 'd': 40}
    r = np.array([0.6, 0.3, 0.1, 0.0001])
    c = np.array([0.3, 0.3, 0.0001, 0.4])
    assert stats.psi(ref, cur) == pytest.approx(float(np.sum((r - c) * np.log(r / c))))
    assert stats.psi(ref, ref) == pytest.approx(0.0)
    assert stats.psi({}, cur) is None


def test_jensen_shannon_is_scipys_distance() -> None:
    ref, cur = {1: 50, 2: 50}, {1: 90, 2: 5, 3: 5}
    assert stats.js_distance(ref, cur) == pytest.approx(distance.jensenshannon([0.5, 0.5, 0], [0.9, 0.05, 0.05]))
    assert stats.js_distance(ref, ref) == pytest.approx(0.0, abs=1e-7)
    assert stats.js_distance(ref, {}) is None


def test_numeric_tests_are_scipys() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 2, 500), rng.normal(0.5, 2, 400)
    ks = stats.ks(a, b)
    assert ks is not None
    assert ks['pvalue'] == pytest.approx(scipy_stats.ks_2samp(a, b).pvalue)
    assert stats.wasserstein_normed(a, b) == pytest.approx(scipy_stats.wasserstein_distance(a, b) / np.std(a))
    const = np.full(10, 0.9)
    assert stats.wasserstein_normed(const, const + 0.001) == pytest.approx(1.0)  # divided by the 0.001 floor
    assert stats.ks(a, np.zeros(0)) is None and stats.wasserstein_normed(np.zeros(0), b) is None


def test_finite_drops_nan_and_none() -> None:
    assert stats.finite([1.0, None, float('nan'), 2, float('inf')]).tolist() == [1.0, 2.0]
    assert stats.clean(float('nan')) is None and stats.clean(np.float32(0.5)) == 0.5


def test_windows_and_references_parse() -> None:
    assert parse_window('1h').seconds == 3600 and parse_window('15min').seconds == 900
    assert parse_window('2d').seconds == 2 * 86400 and parse_window(datetime.timedelta(minutes=5)).seconds == 300
    rows = parse_window('500 rows')
    assert (rows.kind, rows.size, rows.label(2)) == ('rows', 500, 'rows 1000-1499')
    assert parse_window('1h').label(491000) == '2026-01-05 08:00'
    for bad in ('', 'hourly', '0h', '3 parsecs', 3600, None):
        with pytest.raises(InvalidWindowError):
            parse_window(bad)
    assert parse_reference(None) == Reference()
    assert parse_reference(3) == Reference('window', bucket=3)
    assert parse_reference('2026-01-05T08:00').start == '2026-01-05T08:00:00+00:00'
    span = parse_reference((datetime.date(2026, 1, 5), '2026-01-06'))
    assert (span.kind, span.end) == ('range', '2026-01-06T00:00:00+00:00')
    assert parse_reference({'snapshot': 'a/b'}).path == 'a/b'
    assert parse_reference(parse_reference(('2026-01-05', '2026-01-06')).to_json()) == span
    for bad in (-1, True, ('2026-01-06', '2026-01-05'), 'not a date', {'kind': 'x'}, 2.5):
        with pytest.raises(InvalidReferenceError):
            parse_reference(bad)


def test_thresholds_are_validated_with_a_message_per_field() -> None:
    assert DEFAULT_THRESHOLDS['psi'] == 0.1 and DEFAULT_THRESHOLDS['js'] == 0.1
    assert DEFAULT_THRESHOLDS['ks_pvalue'] == 0.05 and DEFAULT_THRESHOLDS['wasserstein'] == 0.1
    assert validate_thresholds({'psi': 1, 'min_accuracy': None})['psi'] == 1.0
    with pytest.raises(InvalidParameterError) as exc:
        validate_thresholds({'psi': -1, 'js': '0.2', 'min_accuracy': 1.5, 'bogus': 1})
    fields = {e['param'] for e in exc.value.errors}
    assert fields == {'psi', 'js', 'min_accuracy', 'bogus'}
    with pytest.raises(InvalidParameterError):
        validate_thresholds({'ks_pvalue': math.nan})
    with pytest.raises(InvalidParameterError):
        validate_thresholds([('psi', 0.2)])  # type: ignore[arg-type]


def _row(bucket: int, psi: float, accuracy: float | None = 0.95, rows: int = 100) -> dict[str, Any]:
    return {
        'bucket': bucket,
        'width': 3600,
        'label': f'w{bucket}',
        'start': None,
        'rows': rows,
        'labeled': rows if accuracy is not None else 0,
        'correct': round(rows * accuracy) if accuracy is not None else 0,
        'accuracy': accuracy,
        'f1': accuracy,
        'drift': {
            'prediction': {'psi': psi, 'js': 0.0},
            'confidence': {'ks_pvalue': 0.5, 'wasserstein': 0.0, 'reference_values': 100},
        },
    }


def test_an_alert_fires_at_the_threshold_and_only_on_complete_windows() -> None:
    thresholds = {**DEFAULT_THRESHOLDS, 'drift_rule': 'evidently', 'psi': 0.2, 'min_rows': 50}
    rows = [_row(0, 0.0), _row(1, 0.1999), _row(2, 0.2), _row(3, 0.5, rows=49), _row(4, 0.9)]
    fired = alert_candidates(rows, thresholds, reference_bucket=0)
    # 0.1999 is below; 0.2 crosses; window 3 has too few rows; window 4 is the last (not complete yet)
    assert [(a['bucket'], a['statistic']) for a in fired] == [(2, 'psi')]
    assert fired[0]['value'] == 0.2 and fired[0]['threshold'] == 0.2
    # the reference window never alerts, even above the threshold
    assert alert_candidates([_row(0, 0.9), _row(1, 0.0)], thresholds, reference_bucket=0) == []


def test_each_alert_is_new_once() -> None:
    thresholds = {**DEFAULT_THRESHOLDS, 'min_accuracy': 0.9}
    rows = [_row(0, 0.0), _row(1, 0.0, accuracy=0.8), _row(2, 0.0)]
    first = new_alerts(alert_candidates(rows, thresholds, reference_bucket=0), set(), datetime.datetime.now())
    assert [(a['bucket'], a['statistic'], a['column']) for a in first] == [(1, 'accuracy', 'metrics')]
    again = new_alerts(alert_candidates(rows, thresholds, reference_bucket=0), {a['alert_id'] for a in first}, None)  # type: ignore[arg-type]
    assert again == []


def test_page_hinkley_and_adwin_fire_on_a_drop_in_accuracy() -> None:
    steady = [_row(b, 0.0, accuracy=0.95 + 0.01 * (b % 2)) for b in range(8)]
    dropped = [_row(b, 0.0, accuracy=0.5) for b in range(8, 14)]
    thresholds = {**DEFAULT_THRESHOLDS, 'page_hinkley': 0.5, 'adwin_delta': 0.002}
    fired = alert_candidates(steady + dropped, thresholds, reference_bucket=None)
    buckets = {a['statistic']: a['bucket'] for a in fired if a['column'] == 'accuracy'}
    assert set(buckets) == {'page_hinkley', 'adwin'}
    assert all(b >= 8 for b in buckets.values())  # never before the drop
    assert alert_candidates(steady, thresholds, reference_bucket=None) == []


@pytest.mark.parametrize(
    ('reference_values', 'rule', 'fired'),
    [
        (1000, 'auto', {'ks_pvalue'}),  # small reference: KS decides (Evidently)
        (1001, 'auto', {'wasserstein'}),  # large: Wasserstein decides
        (10, 'wasserstein', {'wasserstein'}),
        (10, 'both', {'ks_pvalue', 'wasserstein'}),
    ],
)
def test_numeric_drift_follows_evidentlys_sample_size_rule(reference_values: int, rule: str, fired: set[str]) -> None:
    thresholds = {**DEFAULT_THRESHOLDS, 'drift_rule': 'evidently', 'numeric_test': rule}
    rows = [_row(0, 0.0), _row(1, 0.0), _row(2, 0.0)]
    rows[1]['drift']['confidence'] = {'ks_pvalue': 0.001, 'wasserstein': 0.5, 'reference_values': reference_values}
    got = {a['statistic'] for a in alert_candidates(rows, thresholds, reference_bucket=0)}
    assert got == fired


def test_the_sample_size_rule_alerts_above_the_limit_stored_beside_each_statistic() -> None:
    rows = [_row(0, 0.0), _row(1, 0.0), _row(2, 0.0), _row(3, 0.0)]
    rows[1]['drift']['prediction'] = {'psi': 0.9, 'js': 0.12, 'psi_limit': 0.5, 'js_limit': 0.15, 'values': 300}
    rows[2]['drift']['confidence'] = {'wasserstein': 0.12, 'wasserstein_limit': 0.11, 'ks_pvalue': 0.9, 'values': 300}
    fired = alert_candidates(rows, DEFAULT_THRESHOLDS, reference_bucket=0)
    # JS 0.12 stays under its limit 0.15 (a PSI above its limit decides nothing); Wasserstein 0.12 > 0.11 alerts
    assert [(a['bucket'], a['statistic'], a['column'], a['threshold']) for a in fired] == [
        (2, 'wasserstein', 'confidence', 0.11)
    ]
    assert '99% of windows of 300 values' in fired[0]['message']
    evidently = alert_candidates(rows, {**DEFAULT_THRESHOLDS, 'drift_rule': 'evidently'}, reference_bucket=0)
    assert {(a['bucket'], a['statistic']) for a in evidently} >= {(1, 'psi'), (1, 'js')}


@pytest.mark.parametrize('n', [50, 300, 2000])
def test_no_drift_limits_hold_their_false_alarm_rate(n: int) -> None:
    """Fresh undrifted windows (scipy's Wasserstein distance, drawn anew) cross the limit about alpha of the time."""
    from scipy import stats as sps

    from pxwidgets.patterns.incremental.nulls import numeric_limit, size_bin

    rng = np.random.default_rng(n)
    ref = rng.beta(8, 2, 1176)
    limit = numeric_limit(ref, n, 0.05)
    assert limit is not None
    crossed = [sps.wasserstein_distance(ref, rng.beta(8, 2, size_bin(n))) / np.std(ref) > limit for _ in range(400)]
    assert 0.01 <= float(np.mean(crossed)) <= 0.09
    assert numeric_limit(ref, 5000, 0.05) < 0.1 < numeric_limit(ref, 50, 0.05)  # type: ignore[operator]


def test_data_quality_per_window_against_pandas() -> None:
    import pandas as pd

    from pxwidgets.patterns.incremental.windows import numeric_drift

    rng = np.random.default_rng(4)
    reference = rng.normal(0, 1, 500)
    window = pd.Series([*rng.normal(0.5, 1.5, 200), None, None, float('nan')], dtype=float)
    finite = window[np.isfinite(window)].to_numpy()
    got = numeric_drift(reference, finite, rows=len(window) + 2, non_null=len(window) - 2)
    assert got['missing'] == 5 and got['nan'] == 1  # two rows with no value at all, two None, one NaN
    expected = int(((window < reference.min()) | (window > reference.max())).sum())
    assert got['out_of_range'] == expected > 0


def test_a_persistent_shift_under_each_window_s_limit_is_caught_by_the_windows_pooled() -> None:
    """Windows of 50 values, each the same noise-free shift of 0.3 reference standard deviation (evenly spaced
    quantiles, shifted): every window alone stays under its limit, but once 4 windows are pooled their distance —
    the same shift, with 4 times the values — crosses the pooled limit, and the alert says so. (Whether pooling
    detects earlier than testing each window alone at the whole rate depends on the sizes: ``bench/RESULTS.md``.)"""
    from scipy import stats as sps

    from pxwidgets.patterns.incremental.nulls import NullLimits
    from pxwidgets.patterns.incremental.windows import numeric_drift

    ref = sps.beta(8, 2).ppf((np.arange(1176) + 0.5) / 1176)
    shift = 0.3 * float(np.std(ref))
    window = sps.beta(8, 2).ppf((np.arange(50) + 0.5) / 50) - shift
    limits = NullLimits({}, 'ref', DEFAULT_THRESHOLDS['false_alarm_rate'])
    rows, drift = [_row(0, 0.0)], []
    for i in range(5):
        row = _row(i + 1, 0.0, rows=50)
        drift.append(numeric_drift(ref, window, 50, 50, limits, 'confidence', [window] * i))
        row['drift'] = {'confidence': drift[-1]}
        rows.append(row)
    rows.append(_row(6, 0.0))  # a later window: the drifted ones are complete
    assert all(d['wasserstein'] < d['wasserstein_limit'] for d in drift)  # no window alone crosses
    assert drift[3]['wasserstein_pooled4'] > drift[3]['wasserstein_pooled4_limit']
    fired = [
        a for a in alert_candidates(rows, DEFAULT_THRESHOLDS, reference_bucket=0) if a['statistic'] == 'wasserstein'
    ]
    first = min(fired, key=lambda a: a['bucket'])
    assert first['bucket'] <= 4 and 'windows pooled' in first['message']


def test_the_resampled_wasserstein_distances_follow_scipys() -> None:
    """The vectorised no-drift distances (distinct values and their counts) have the distribution of scipy's
    ``wasserstein_distance`` between a pseudo-reference and a window drawn one by one from the reference."""
    from pxwidgets.patterns.incremental.nulls import null_wasserstein

    rng = np.random.default_rng(11)
    ref = np.round(rng.beta(8, 2, 800), 3)  # ties: distinct values with counts
    ours = null_wasserstein(ref, 800, 200, 2000, np.random.default_rng(1))
    theirs = []
    for _ in range(1000):
        pseudo, window = rng.choice(ref, 800), rng.choice(ref, 200)
        theirs.append(scipy_stats.wasserstein_distance(pseudo, window) / np.std(pseudo))
    assert scipy_stats.ks_2samp(ours, theirs).pvalue > 0.001
    assert np.quantile(ours, 0.9) == pytest.approx(np.quantile(theirs, 0.9), rel=0.1)


@pytest.mark.parametrize('shape', ['lognormal', 'two peaks'])
def test_large_samples_are_simulated_at_a_smaller_size_and_scaled(shape: str) -> None:
    """A limit for 5,000 reference values and a window of 20,000 (drawn at 4,096 and scaled by the Brownian bridge's
    ``sqrt(1/m + 1/n)``) matches the quantile of the full simulation at those sizes, within its resampling noise."""
    from pxwidgets.patterns.incremental.nulls import SIMULATED, null_wasserstein, numeric_limit

    rng = np.random.default_rng(3)
    ref = rng.lognormal(0, 1, 5000) if shape == 'lognormal' else np.r_[rng.normal(0, 1, 2500), rng.normal(4, 0.3, 2500)]
    assert len(ref) > SIMULATED
    full = float(np.quantile(null_wasserstein(ref, 5000, 20_000, 2000, np.random.default_rng(2)), 0.99))
    scaled = numeric_limit(ref, 20_000, 0.01)
    assert scaled == pytest.approx(full, rel=0.12)  # a 0.99 quantile of 2,000 draws moves by ~5 % between seeds
    unscaled = float(np.quantile(null_wasserstein(ref, SIMULATED, SIMULATED, 2000, np.random.default_rng(2)), 0.99))
    assert abs(unscaled - full) > 2 * abs(scaled - full)  # the scaling is what makes it match


def test_limits_do_not_depend_on_the_order_of_the_reference_rows() -> None:
    """The rows of a reference come back in the order the query plan gives them; the limit is the same in any."""
    from pxwidgets.patterns.incremental.nulls import numeric_limit, support

    rng = np.random.default_rng(9)
    ref = rng.beta(8, 2, 6000)  # more distinct values than the support keeps: binned
    assert numeric_limit(ref, 300, 0.01) == numeric_limit(rng.permutation(ref), 300, 0.01)
    u, inverse = support(ref)
    assert len(u) == 4096 and np.all(np.diff(u) > 0) and inverse.max() == 4095
    assert np.average(u[inverse]) == pytest.approx(ref.mean())  # each bin at the mean of its values
