"""Test helpers of incremental evaluation: a predictions table from the drifting digits, scikit-learn's metrics."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pixeltable as pxt
from sklearn.metrics import accuracy_score, precision_recall_fscore_support

from pxwidgets.demo.drifting_digits import Batch

SCHEMA: dict[str, Any] = {
    'id': pxt.Int,
    'ts': pxt.Timestamp | None,
    'digit': pxt.Int,
    'prediction': pxt.Int | None,
    'confidence': pxt.Float | None,
    'label': pxt.Int | None,
}


def predictions_table(path: str, batches: list[Batch]) -> pxt.Table:
    """A table of predictions (primary key ``id``) holding the rows of ``batches``."""
    tbl = pxt.create_table(path, SCHEMA, primary_key='id')
    for batch in batches:
        tbl.insert(batch.rows)
    return tbl


def sklearn_metrics(truth: list[Any], predicted: list[Any]) -> dict[str, float]:
    """Accuracy and macro precision / recall / F1 as scikit-learn computes them (undefined counts as 0)."""
    p, r, f, _ = precision_recall_fscore_support(truth, predicted, average='macro', zero_division=0)
    return {'accuracy': accuracy_score(truth, predicted), 'precision': p, 'recall': r, 'f1': f}


def rows_of(tbl: pxt.Table) -> pd.DataFrame:
    """Every row of a (small) test table, with its epoch-second key."""
    frame = tbl.select(tbl.id, tbl.ts, tbl.prediction, tbl.label, tbl.confidence).collect().to_pandas()
    frame['epoch'] = [int(ts.timestamp()) if ts is not None and not pd.isna(ts) else None for ts in frame['ts']]
    return frame


def expected_windows(frame: pd.DataFrame, width: int) -> dict[int, dict[str, Any]]:
    """Per window: rows, pending, and scikit-learn's metrics on the labeled rows."""
    out: dict[int, dict[str, Any]] = {}
    frame = frame[frame['epoch'].notna()]
    for bucket, group in frame.groupby(frame['epoch'].astype(np.int64) // width):
        labeled = group[group['label'].notna() & group['prediction'].notna()]
        entry: dict[str, Any] = {
            'rows': len(group),
            'pending': int((group['label'].isna() & group['prediction'].notna()).sum()),
        }
        if len(labeled):
            entry |= sklearn_metrics(labeled['label'].astype(int).tolist(), labeled['prediction'].astype(int).tolist())
        out[int(bucket)] = entry
    return out
