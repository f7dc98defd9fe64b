"""Accuracy before the labels arrive (NannyML's confidence-based performance estimation, CBPE): the predictions'
confidences, calibrated on the labeled reference by isotonic regression (scikit-learn), averaged over a window.

If the calibrated confidence of a prediction is the probability that it is right, the expected accuracy of a window
is the mean of its rows' calibrated confidences, which needs no label. It holds while the relation between
confidence and correctness stays as in the reference (not under concept drift); its error is measured once the
labels arrive (:func:`estimation_error`).

Example:
    >>> calibration = np.array([[0.2, 0.4, 0.6, 0.8, 0.9], [0, 0, 1, 1, 1]], dtype=float)
    >>> estimated_accuracy(calibration, np.array([0.9, 0.95, 0.3]))
    0.6666666666666666
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd


def estimated_accuracy(calibration: np.ndarray | None, confidences: np.ndarray) -> float | None:
    """The mean calibrated confidence of a window's predictions; ``None`` without calibration pairs or values.

    Args:
        calibration: ``(2, n)``: the labeled reference rows' confidences and correctness (1.0 / 0.0).
        confidences: The window's confidences.
    """
    from sklearn.isotonic import IsotonicRegression

    if calibration is None or calibration.ndim != 2 or calibration.shape[1] < 2 or not len(confidences):
        return None
    x, y = calibration
    if len(set(y.tolist())) < 2:  # the reference is all right (or all wrong): nothing to calibrate
        return float(y.mean())
    model = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds='clip').fit(x, y)
    return float(np.mean(model.predict(np.asarray(confidences, dtype=np.float64))))


def estimation_error(rows: Sequence[Mapping[str, Any]], reference_bucket: int | None = None) -> pd.DataFrame:
    """Estimated against realized accuracy on the windows whose labels have all arrived (the reference left out).

    Returns:
        One row per window: ``label``, ``rows``, ``estimated``, ``realized``, ``error`` (estimated - realized).
    """
    out = [
        {
            'label': r['label'],
            'rows': int(r['rows']),
            'estimated': float(r['estimated_accuracy']),
            'realized': float(r['accuracy']),
            'error': float(r['estimated_accuracy']) - float(r['accuracy']),
        }
        for r in rows
        if int(r['bucket']) != reference_bucket
        and int(r.get('pending') or 0) == 0
        and _number(r.get('estimated_accuracy'))
        and _number(r.get('accuracy'))
    ]
    return pd.DataFrame(out, columns=['label', 'rows', 'estimated', 'realized', 'error'])


def _number(value: Any) -> bool:
    return value is not None and not pd.isna(value)
