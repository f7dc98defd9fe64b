"""UDFs of incremental evaluation: per-row correctness and the window key, defined in a module (restart-safe).

Each returns ``None`` where its input is missing, so that a row still waiting for its ground truth is *pending*
(``NULL``), never *wrong*, and a row without a timestamp falls in no window.

Example:
    >>> t = pxt.get_table('demo/predictions')  # doctest: +SKIP
    >>> t.add_computed_column(correct=label_match_int(t.pred, t.label))  # doctest: +SKIP
    >>> t.add_computed_column(key=epoch_seconds(t.ts))  # doctest: +SKIP
"""

from __future__ import annotations

import datetime

import pixeltable as pxt

from pxwidgets.functions.boxes import match_row, row_digest


@pxt.udf
def label_match_int(prediction: int | None, truth: int | None) -> bool | None:
    """Whether an integer prediction equals its ground truth; ``None`` while either is missing.

    Example:
        >>> label_match_int.py_fn(3, 3), label_match_int.py_fn(3, None)  # doctest: +SKIP
        (True, None)
    """
    if prediction is None or truth is None:
        return None
    return prediction == truth


@pxt.udf
def label_match_string(prediction: str | None, truth: str | None) -> bool | None:
    """Whether a string prediction equals its ground truth; ``None`` while either is missing."""
    if prediction is None or truth is None:
        return None
    return prediction == truth


@pxt.udf
def epoch_seconds(ts: datetime.datetime | None) -> int | None:
    """A timestamp as whole seconds since 1970-01-01 UTC (naive timestamps are read as UTC); ``None`` if missing.

    Stored as a column, it is the window key: ``key // 3600`` is the hour window, grouped on in SQL.

    Example:
        >>> epoch_seconds.py_fn(datetime.datetime(1970, 1, 1, 1, tzinfo=datetime.timezone.utc))  # doctest: +SKIP
        3600
    """
    if ts is None:
        return None
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=datetime.UTC)
    return int(ts.timestamp() // 1)


@pxt.udf
def match_detections(
    prediction: dict | None, truth: dict | None, width: int | None = None, height: int | None = None
) -> dict | None:
    """One row's detections matched to its ground-truth boxes (see :func:`pxwidgets.functions.boxes.match_row`):
    true and false positives and false negatives at IoU 0.5, and each detection's matches at IoU 0.5:0.95.

    ``None`` without a prediction; ``tp``/``fp``/``fn`` are ``None`` while the ground truth is missing (pending);
    a malformed value or a box outside the ``width`` x ``height`` image gives ``{'error': why, ...}``.

    Example:
        >>> t.add_computed_column(eval_correct=match_detections(t.dets, t.boxes))  # doctest: +SKIP
    """
    if prediction is None:
        return None
    return match_row(
        prediction,
        truth,
        width=None if width is None else float(width),
        height=None if height is None else float(height),
    )


@pxt.udf
def match_digest(match: dict | None) -> float | None:
    """A number in [0, 1) that changes whenever a row's match changes (summed per window, in SQL, to tell which
    windows changed)."""
    return row_digest(match)
