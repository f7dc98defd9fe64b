"""Accuracy estimated from confidences before labels arrive (CBPE), against scikit-learn's isotonic regression fitted
by hand on the reference rows, and its error against the realized accuracy once labels arrive."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pixeltable as pxt
import pytest
from sklearn.isotonic import IsotonicRegression

from pxwidgets import DriftDashboard
from pxwidgets.demo.drifting_digits import Batch, drifting_batches
from pxwidgets.patterns.incremental import IncrementalEvaluation
from tests.support.incremental import predictions_table, rows_of

HOUR = 3600


@pytest.fixture(scope='module')
def batches() -> list[Batch]:
    return drifting_batches(n_batches=6, batch_size=300, drift_from=4, seed=11)


@pytest.fixture(scope='module')
def evaluation(pxt_home: Path, batches: list[Batch]) -> Iterator[IncrementalEvaluation]:
    root = f'est_{uuid.uuid4().hex[:8]}'
    pxt.create_dir(root)
    tbl = predictions_table(f'{root}/preds', batches)
    ev = IncrementalEvaluation(tbl, 'prediction', 'label', 'ts', window='1h', confidence='confidence')
    ev.refresh()
    yield ev
    pxt.drop_dir(root, force=True, if_not_exists='ignore')


def test_estimate_equals_scikit_learn_by_hand(evaluation: IncrementalEvaluation) -> None:
    frame = rows_of(evaluation.table)
    frame['bucket'] = frame['epoch'] // HOUR
    first = int(frame['bucket'].min())
    ref = frame[(frame['bucket'] == first) & frame['label'].notna() & frame['confidence'].notna()]
    model = IsotonicRegression(y_min=0, y_max=1, out_of_bounds='clip')
    model.fit(ref['confidence'], (ref['prediction'] == ref['label']).astype(float))
    stored = {int(r['bucket']): r for r in evaluation.to_pandas().to_dict('records')}
    assert 'confidence' in evaluation.spec.numeric  # its drift is measured too
    for bucket, group in frame.groupby('bucket'):
        conf = group['confidence'].dropna().to_numpy(dtype=float)
        assert stored[int(bucket)]['estimated_accuracy'] == pytest.approx(float(np.mean(model.predict(conf))))


def test_the_estimate_is_checked_once_labels_arrive(evaluation: IncrementalEvaluation, batches: list[Batch]) -> None:
    assert evaluation.estimation_error().empty  # every window still waits for some labels
    evaluation.add_labels({k: v for b in batches for k, v in b.late_labels.items()})
    evaluation.refresh()
    errors = evaluation.estimation_error()
    stored = evaluation.to_pandas()
    complete = stored[(stored['pending'] == 0)].iloc[1:]  # the reference window is left out
    assert list(errors['label']) == list(complete['label'])
    assert errors['error'].tolist() == pytest.approx((complete['estimated_accuracy'] - complete['accuracy']).tolist())
    assert len(errors) == 5
    assert errors.iloc[:3]['error'].abs().max() < 0.1  # before the drift (from hour 4) the calibration holds
    s = DriftDashboard(evaluation).handle_request('state')['payload']
    assert s['estimation']['windows'] == len(errors)
    assert s['estimation']['mean_abs_error'] == pytest.approx(errors['error'].abs().mean())
    assert any(t['name'] == 'accuracy (estimated)' and t['line']['dash'] == 'dash' for t in s['metrics_figure']['data'])
