"""A drifting stream of classified digits: timestamped batches of predictions whose ground truth arrives late.

A logistic regression is trained on the training split of scikit-learn's digits (:mod:`pxwidgets.demo.digits`). The
held-out digits then arrive in batches, one per period (an hour by default), each row with the classifier's
prediction and confidence. From batch ``drift_from`` on the inputs drift — Gaussian pixel noise, a rotation, or a
change of class mix — so accuracy falls and the distributions move. Part of every batch arrives without its label;
those labels come later (:attr:`Batch.late_labels`). Everything is seeded: the same arguments give the same stream.

Example:
    >>> batches = drifting_batches(n_batches=4, batch_size=50, drift_from=2)
    >>> len(batches), len(batches[0].rows), batches[2].drifted
    (4, 50, True)
    >>> sum(r['label'] is None for r in batches[0].rows) == len(batches[0].late_labels)
    True
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from scipy import ndimage

from pxwidgets.demo.digits import digit_rows

Drift = Literal['noise', 'rotation', 'class_mix']

DEFAULT_START = datetime.datetime(2026, 1, 5, 8, 0, tzinfo=datetime.UTC)
"""When the first batch arrives (in the past, so no timestamp is in the future)."""

SCHEMA_DOC = {
    'id': 'int, primary key, grows with arrival',
    'ts': 'timestamp (UTC) of the prediction',
    'digit': 'row of load_digits() the input came from',
    'prediction': 'int, the predicted digit',
    'confidence': 'float, the classifier probability of its prediction',
    'label': 'int or None: the true digit, None until it arrives',
}
"""The columns of every row."""


@dataclass
class Batch:
    """One period's predictions.

    Attributes:
        index: Batch number (0 first).
        start: The batch's period start; its rows' timestamps fall in ``[start, start + every)``.
        drifted: Whether its inputs were altered.
        rows: Rows with ``id, ts, digit, prediction, confidence, label`` (``label`` is ``None`` for late ones).
        late_labels: ``{id: label}`` of the rows whose label arrives later.
    """

    index: int
    start: datetime.datetime
    drifted: bool
    rows: list[dict[str, Any]] = field(default_factory=list)
    late_labels: dict[int, int] = field(default_factory=dict)

    def accuracy(self) -> float:
        """The true accuracy of the batch (labels included, late or not)."""
        truth = {r['id']: r['label'] for r in self.rows} | self.late_labels
        return float(np.mean([r['prediction'] == truth[r['id']] for r in self.rows]))


@functools.cache
def classifier() -> Any:
    """A logistic regression trained on the training split of the digits (cached per process).

    Example:
        >>> round(classifier().score(*test_set()), 2) >= 0.95
        True
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rows = digit_rows(split='train', size=8)
    x = np.stack([r['pixels'] for r in rows])
    y = np.array([r['label'] for r in rows])
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, random_state=0)).fit(x, y)


def test_set() -> tuple[np.ndarray, np.ndarray]:
    """The held-out digits' features and labels."""
    rows = digit_rows(split='test', size=8)
    return np.stack([r['pixels'] for r in rows]), np.array([r['label'] for r in rows])


def _alter(pixels: np.ndarray, drift: Drift, strength: float, rng: np.random.Generator) -> np.ndarray:
    if drift == 'noise':
        return np.clip(pixels + rng.normal(0.0, 6.0 * strength, pixels.shape), 0, 16)
    if drift == 'rotation':
        out = np.stack(
            [ndimage.rotate(p.reshape(8, 8), 35.0 * strength, reshape=False, order=1).ravel() for p in pixels]
        )
        return np.clip(out, 0, 16)
    return pixels


def drifting_batches(
    n_batches: int = 12,
    batch_size: int = 400,
    *,
    drift_from: int = 8,
    drift: Drift = 'rotation',
    start: datetime.datetime = DEFAULT_START,
    every: datetime.timedelta = datetime.timedelta(hours=1),
    late_fraction: float = 0.3,
    first_id: int = 0,
    seed: int = 0,
) -> list[Batch]:
    """The stream, batch by batch.

    Args:
        n_batches: How many batches.
        batch_size: Rows per batch (sampled with replacement from the 540 held-out digits).
        drift_from: The first drifted batch (``n_batches`` or more: no drift).
        drift: ``'noise'`` (pixel noise), ``'rotation'`` (rotated digits) or ``'class_mix'`` (mostly 1, 7, 8, 9).
        start: The first batch's period start.
        every: The period of a batch.
        late_fraction: Share of each batch whose label arrives late.
        first_id: The first row id.
        seed: Random seed.

    Returns:
        The batches, in time order.

    Raises:
        ValueError: On sizes or fractions out of range.
    """
    if n_batches < 1 or batch_size < 1:
        raise ValueError('n_batches and batch_size must be >= 1')
    if not 0 <= late_fraction <= 1:
        raise ValueError(f'late_fraction must be in [0, 1], got {late_fraction}')
    if drift not in ('noise', 'rotation', 'class_mix'):
        raise ValueError(f'unknown drift {drift!r}')
    model = classifier()
    rows = digit_rows(split='test', size=8)
    x = np.stack([r['pixels'] for r in rows])
    y = np.array([r['label'] for r in rows])
    index = np.array([r['index'] for r in rows])
    rng = np.random.default_rng(seed)
    batches: list[Batch] = []
    next_id = first_id
    for b in range(n_batches):
        drifted = b >= drift_from
        if drifted and drift == 'class_mix':
            weights = np.where(np.isin(y, [1, 7, 8, 9]), 6.0, 1.0)
            pick = rng.choice(len(y), size=batch_size, p=weights / weights.sum())
        else:
            pick = rng.choice(len(y), size=batch_size)
        pixels = x[pick]
        if drifted:
            pixels = _alter(pixels, drift, min(1.0, 0.5 + 0.25 * (b - drift_from)), rng)
        proba = model.predict_proba(pixels)
        pred = model.classes_[proba.argmax(axis=1)]
        period = start + every * b
        offsets = np.sort(rng.uniform(0, every.total_seconds(), size=batch_size))
        late = rng.random(batch_size) < late_fraction
        batch = Batch(b, period, drifted)
        for i in range(batch_size):
            truth = int(y[pick[i]])
            batch.rows.append(
                {
                    'id': next_id,
                    'ts': period + datetime.timedelta(seconds=float(offsets[i])),
                    'digit': int(index[pick[i]]),
                    'prediction': int(pred[i]),
                    'confidence': float(proba[i].max()),
                    'label': None if late[i] else truth,
                }
            )
            if late[i]:
                batch.late_labels[next_id] = truth
            next_id += 1
        batches.append(batch)
    return batches


def predictions_table(path: str, batches: list[Batch] | None = None, *, if_exists: str = 'error') -> Any:
    """A Pixeltable table of predictions (primary key ``id``, ``label`` nullable) holding ``batches``' rows.

    Args:
        path: Where to create it (its directory must exist).
        batches: Batches to insert, in order (none: an empty table).
        if_exists: As ``pxt.create_table``'s (``'replace'`` to start over).

    Example:
        >>> t = predictions_table('demo/predictions', drifting_batches(4))  # doctest: +SKIP
        >>> t.count()  # doctest: +SKIP
        1600
    """
    import pixeltable as pxt

    schema = {
        'id': pxt.Int,
        'ts': pxt.Timestamp,
        'digit': pxt.Int,
        'prediction': pxt.Int,
        'confidence': pxt.Float | None,
        'label': pxt.Int | None,
    }
    tbl = pxt.create_table(path, schema, primary_key='id', if_exists=if_exists)  # type: ignore[arg-type]
    for batch in batches or []:
        tbl.insert(batch.rows)
    return tbl
