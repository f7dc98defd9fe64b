"""Metrics across rows, computed from one SQL ``group by`` instead of the rows themselves.

For label models, every metric here is a function of how often each combination of (model labels, consensus labels,
ground truth) occurs. Pixeltable counts those combinations in the database (:func:`label_tuples`); the result has
one row per distinct combination — a few hundred for 10 classes, however many rows the table has — and
scikit-learn computes the metrics from it with the counts as sample weights (Fleiss' kappa is weighted by them the
same way). Nothing here pulls the table's rows into memory.

Example:
    >>> tuples = label_tuples(t, state)  # doctest: +SKIP
    >>> leaderboard(tuples, state)  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pixeltable as pxt

from pxwidgets.errors import InvalidRequestError
from pxwidgets.functions.boxes import match_boxes
from pxwidgets.functions.consensus import label_of, weighted
from pxwidgets.patterns.consensus.catalog import ConsensusState
from pxwidgets.patterns.consensus.counts import Counted, combination_counts
from pxwidgets.patterns.consensus.errors import NoGroundTruthError, NotEnoughModelsError
from pxwidgets.tables.counting import failed_rows_by_column

MISSING = '\u2205'
"""The label a missing prediction counts as when scored against ground truth (it is always wrong)."""

CONSENSUS_PARTS = {
    'label': 'consensus (majority)',
    'weighted_label': 'consensus (confidence-weighted)',
    'accuracy_weighted_label': 'consensus (accuracy-weighted)',
    'custom_label': 'consensus (custom)',
}
"""The consensus columns scored beside the models, and how the leaderboard names them."""

TRUTH_KEY = '__truth'
N_KEY = '__n'


def label_tuples(t: pxt.Table, state: ConsensusState, only: Sequence[str] | None = None) -> pd.DataFrame:
    """How many rows have each combination of model labels, consensus labels and ground truth (see
    :func:`counted_tuples`)."""
    return counted_tuples(t, state, only)[0]


def counted_tuples(
    t: pxt.Table, state: ConsensusState, only: Sequence[str] | None = None
) -> tuple[pd.DataFrame, Counted]:
    """How many rows have each combination of model labels, consensus labels and ground truth (one SQL query, or
    none: the counts are kept and brought up to date by counting only the rows inserted, updated or deleted since,
    see :mod:`.counts`).

    Raw models (:meth:`ConsensusState.is_raw`) are grouped by their output column, whose values are turned into
    labels afterwards (one to one); an unstored consensus label (the accuracy-weighted vote, a function of the
    models' labels) is computed per combination.

    Args:
        t: The table.
        state: The consensus.
        only: Group by these keys alone (model names, consensus label columns, ``__truth``), e.g. a confusion matrix.

    Returns:
        One row per distinct combination: a column per model (its name), per consensus label (the column's name),
        ``__truth`` (when there is ground truth), and ``__n`` (how many rows). Missing labels are None. With them,
        how the counts were obtained and the table version they hold for.
    """
    keys: dict[str, str] = {m.name: state.sql_label(m) for m in state.models}
    derived: list[str] = []
    for part in CONSENSUS_PARTS:
        column = state.column(part)
        if column is not None and state.facts[column].is_stored:
            keys[column] = column
        elif column is not None:
            derived.append(part)
    if state.truth_column is not None:  # an unstored (raw) truth text: group by the truth itself, text afterwards
        keys[TRUTH_KEY] = str(state.truth) if state.truth_is_raw else state.truth_column
    counted = combination_counts(t, [t[v] for v in keys.values()], list(keys.values()))
    records = [(*values, n) for values, n in counted.counts.items()]
    result = pd.DataFrame(records, columns=[*keys, N_KEY]).astype({k: object for k in keys})
    result = result.astype({N_KEY: 'int64'}).where(result.notna(), None)
    for m in state.models:  # object series: pandas would turn None back into NaN
        if state.is_raw(m) and m.name in keys:
            result[m.name] = pd.Series([label_of(v) for v in result[m.name]], index=result.index, dtype=object)
    if state.truth_is_raw and TRUTH_KEY in keys:
        result[TRUTH_KEY] = pd.Series([label_of(v) for v in result[TRUTH_KEY]], index=result.index, dtype=object)
    for part in derived:
        labels = _derived_labels(result, state, part)
        result[str(state.column(part))] = pd.Series(labels, index=result.index, dtype=object)
    if only is not None:  # the counts of fewer keys: the kept counts summed over the others
        kept = [k for k in result.columns if k in only]
        summed = result.groupby(kept, dropna=False, sort=False)[N_KEY].sum().reset_index() if kept else result
        return summed.astype({k: object for k in kept}).where(summed.notna(), None), counted
    return result, counted


def _derived_labels(tuples: pd.DataFrame, state: ConsensusState, part: str) -> list[str | None]:
    """An unstored consensus label per label combination (the accuracy-weighted vote, from the weights it was built
    with)."""
    names = [m.name for m in state.models]
    data = next(c.data for c in state.columns if c.part == part.removesuffix('_label'))
    weights = [float((data.get('weights') or {}).get(n, 0.0)) for n in names]
    rows = zip(*(tuples[n] for n in names), strict=True) if len(tuples) else iter(())
    return [_weighted_label(tuple(labels), tuple(names), tuple(weights)) for labels in rows]


@functools.lru_cache(maxsize=1 << 16)
def _weighted_label(labels: tuple[str | None, ...], names: tuple[str, ...], weights: tuple[float, ...]) -> str | None:
    """:func:`weighted`'s label, remembered: every summary asks again for the same few thousand combinations."""
    return weighted(list(labels), list(names), list(weights))['label']


def _pair(tuples: pd.DataFrame, a: str, b: str, *, missing_as_wrong: bool) -> tuple[list[str], list[str], np.ndarray]:
    """Aligned labels of two columns and their weights, rows with a missing value dropped (or counted as MISSING)."""
    ya, yb, w = [], [], []
    for va, vb, n in zip(tuples[a], tuples[b], tuples[N_KEY], strict=True):
        if vb is None or (va is None and not missing_as_wrong):
            continue
        ya.append(MISSING if va is None else str(va))
        yb.append(str(vb))
        w.append(int(n))
    return ya, yb, np.asarray(w, dtype=float)


def _scores(pred: list[str], ref: list[str], w: np.ndarray) -> dict[str, float | None]:
    from sklearn.metrics import accuracy_score, precision_recall_fscore_support

    if not len(w) or w.sum() == 0:
        return {'accuracy': None, 'precision': None, 'recall': None, 'f1': None}
    labels = sorted(set(ref))  # macro averages over the reference classes
    p, r, f, _ = precision_recall_fscore_support(
        ref, pred, labels=labels, average='macro', sample_weight=w, zero_division=0
    )
    return {
        'accuracy': float(accuracy_score(ref, pred, sample_weight=w)),
        'precision': float(p),
        'recall': float(r),
        'f1': float(f),
    }


def _errors(t: pxt.Table, state: ConsensusState) -> dict[str, int]:
    computed = [m.column for m in state.models if m.computed]
    counts = failed_rows_by_column(t, computed) if computed else {}
    return {m.name: int(counts.get(m.column, 0)) for m in state.models}


def leaderboard(tuples: pd.DataFrame, state: ConsensusState, errors: dict[str, int] | None = None) -> pd.DataFrame:
    """Per model (and per consensus method): coverage, accuracy / precision / recall / F1 against the ground truth
    (rows without ground truth left out), agreement with the majority consensus, cost and failed rows.

    Without ground truth, ``accuracy`` … ``f1`` are measured against the majority consensus instead (rows where it
    is a tie left out), and ``reference`` says so.
    """
    total = int(tuples[N_KEY].sum()) if len(tuples) else 0
    has_truth = TRUTH_KEY in tuples.columns
    consensus = state.column('label')
    rows: list[dict[str, Any]] = []
    entries: list[tuple[str, str, bool]] = [(m.name, m.name, False) for m in state.models]
    entries += [(CONSENSUS_PARTS[p], str(state.column(p)), True) for p in CONSENSUS_PARTS if state.column(p)]
    for name, key, is_consensus in entries:
        answered = int(tuples.loc[tuples[key].notna(), N_KEY].sum()) if len(tuples) else 0
        reference = TRUTH_KEY if has_truth else consensus
        row: dict[str, Any] = {
            'model': name,
            'kind': 'consensus' if is_consensus else 'model',
            'rows': total,
            'coverage': answered / total if total else None,
            'reference': 'ground truth' if has_truth else 'consensus',
        }
        if reference is not None and reference in tuples.columns:
            pred, ref, w = _pair(tuples, key, reference, missing_as_wrong=True)
            row.update(_scores(pred, ref, w))
            row['scored_rows'] = int(w.sum())
        if consensus is not None and consensus in tuples.columns and not is_consensus:
            pred, ref, w = _pair(tuples, key, consensus, missing_as_wrong=True)
            row['agreement_with_consensus'] = (
                float(w[np.array(pred) == np.array(ref)].sum() / w.sum()) if len(w) else None
            )
        model = state.model(name)
        row['seconds_per_row'] = model.seconds_per_row if model is not None else None
        row['failed_rows'] = (errors or {}).get(name, 0) if model is not None else None
        rows.append(row)
    columns = [
        'model',
        'kind',
        'rows',
        'coverage',
        'reference',
        'scored_rows',
        'accuracy',
        'precision',
        'recall',
        'f1',
        'agreement_with_consensus',
        'seconds_per_row',
        'failed_rows',
    ]
    return pd.DataFrame(rows, columns=columns)


def kappa_matrix(tuples: pd.DataFrame, models: Sequence[str]) -> pd.DataFrame:
    """Pairwise Cohen's kappa (scikit-learn) between models, on the rows where both gave a label.

    Raises:
        NotEnoughModelsError: With fewer than two models.
    """
    from sklearn.metrics import cohen_kappa_score

    if len(models) < 2:
        raise NotEnoughModelsError(
            f"Cohen's kappa compares two models; this consensus has {len(models)}.", hint='Add another model.'
        )
    matrix = pd.DataFrame(np.eye(len(models)), index=list(models), columns=list(models), dtype=float)
    for i, a in enumerate(models):
        for b in models[i + 1 :]:
            ya, yb, w = _pair(tuples, a, b, missing_as_wrong=False)
            value = (
                float(cohen_kappa_score(ya, yb, sample_weight=w)) if len(w) and len(set(ya) | set(yb)) > 1 else math.nan
            )
            if len(w) and len(set(ya) | set(yb)) == 1:
                value = 1.0  # every rater gave the one label: perfect agreement (sklearn returns nan)
            matrix.loc[a, b] = matrix.loc[b, a] = value
    return matrix


def fleiss(tuples: pd.DataFrame, models: Sequence[str]) -> tuple[float | None, int]:
    """Fleiss' kappa over the rows where every model gave a label, and how many rows that is.

    Computed from the label combinations and their counts (Fleiss, 1971: each combination's agreement weighted by
    how many rows have it), equal to statsmodels' ``fleiss_kappa`` over the rows themselves, without expanding them.
    """
    if len(models) < 2 or not len(tuples):
        return None, 0
    complete = tuples[tuples[list(models)].notna().all(axis=1)]
    if not len(complete):
        return None, 0
    labels = complete[list(models)].astype(str).to_numpy()
    categories, codes = np.unique(labels, return_inverse=True)
    codes = codes.reshape(labels.shape)
    table = np.zeros((len(complete), len(categories)))
    for j in range(len(models)):
        np.add.at(table, (np.arange(len(complete)), codes[:, j]), 1)
    weights = complete[N_KEY].to_numpy(dtype=float)
    rows = int(weights.sum())
    if len(categories) == 1:
        return 1.0, rows
    raters = len(models)
    shares = (table * weights[:, None]).sum(axis=0) / (rows * raters)
    agreement = ((table**2).sum(axis=1) - raters) / (raters * (raters - 1))
    observed, expected = float((agreement * weights).sum() / rows), float((shares**2).sum())
    return (observed - expected) / (1 - expected), rows


def confusion(tuples: pd.DataFrame, model: str, reference: str) -> pd.DataFrame:
    """The confusion matrix (scikit-learn) of one model against a reference column: rows = reference labels,
    columns = the model's labels (``∅`` for missing predictions)."""
    from sklearn.metrics import confusion_matrix

    pred, ref, w = _pair(tuples, model, reference, missing_as_wrong=True)
    labels = sorted(set(ref) | set(pred), key=lambda s: (s == MISSING, len(s), s))
    matrix = confusion_matrix(ref, pred, labels=labels, sample_weight=w) if len(w) else np.zeros((0, 0))
    return pd.DataFrame(
        matrix.astype(int), index=pd.Index(labels, name='reference'), columns=pd.Index(labels, name=model)
    )


# ---- detections --------------------------------------------------------------------------------------------------


@dataclass
class BoxCounts:
    """IoU-matched true positives, false positives and false negatives of one model over many rows."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    rows: int = 0
    answered: int = 0
    per_row: list[float] = field(default_factory=list)

    def scores(self) -> dict[str, float | None]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else None
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else None
        f = (
            2 * p * r / (p + r)
            if p is not None and r is not None and p + r
            else (0.0 if p is not None and r is not None else None)
        )
        return {'precision': p, 'recall': r, 'f1': f}


def box_leaderboard(t: pxt.Table, state: ConsensusState, iou_threshold: float, errors: dict[str, int]) -> pd.DataFrame:
    """Per detector: IoU-matched precision / recall / F1 against the ground-truth boxes when there are some,
    otherwise against the kept consensus boxes (read from the consensus column, one small JSON per row)."""
    vote = state.column('vote')
    counts = {m.name: BoxCounts() for m in state.models}
    if state.truth is not None:
        select = {f'm{i}': t[m.column] for i, m in enumerate(state.models)} | {'truth': t[state.truth]}
        for row in t.select(**select).collect():
            truth = row['truth']
            if not isinstance(truth, dict):
                continue
            for i, m in enumerate(state.models):
                det = row[f'm{i}']
                bc = counts[m.name]
                bc.rows += 1
                if not isinstance(det, dict):
                    bc.fn += len(truth.get('bboxes') or [])
                    continue
                bc.answered += 1
                tp, fp, fn = match_boxes(
                    det.get('bboxes') or [],
                    truth.get('bboxes') or [],
                    iou_threshold,
                    det.get('labels'),
                    truth.get('labels'),
                )
                bc.tp, bc.fp, bc.fn = bc.tp + tp, bc.fp + fp, bc.fn + fn
        reference = 'ground truth'
    elif vote is not None:
        for per_model in t.select(p=t[vote].per_model).collect()['p']:
            for m in state.models:
                bc = counts[m.name]
                bc.rows += 1
                got = (per_model or {}).get(m.name)
                if got is None:
                    continue
                bc.answered += 1
                bc.tp, bc.fp, bc.fn = bc.tp + got['tp'], bc.fp + got['fp'], bc.fn + got['fn']
        reference = 'consensus'
    else:
        reference = 'none'
    rows = []
    for m in state.models:
        bc = counts[m.name]
        rows.append(
            {
                'model': m.name,
                'kind': 'model',
                'rows': bc.rows,
                'coverage': bc.answered / bc.rows if bc.rows else None,
                'reference': reference,
                'tp': bc.tp,
                'fp': bc.fp,
                'fn': bc.fn,
                **bc.scores(),
                'seconds_per_row': m.seconds_per_row,
                'failed_rows': errors.get(m.name, 0),
            }
        )
    return pd.DataFrame(rows)


def model_errors(t: pxt.Table, state: ConsensusState) -> dict[str, int]:
    """Failed rows per model (computed model columns only; one query)."""
    return _errors(t, state)


@dataclass(frozen=True)
class ConsensusMetrics:
    """Everything the summary shows, computed from aggregates.

    Attributes:
        summary: One row per model and per consensus method (see :meth:`MultiModelConsensus.summary`).
        kappa: Pairwise Cohen's kappa (labels), or None.
        fleiss: Fleiss' kappa over rows where every model answered (labels), or None.
        fleiss_rows: How many rows Fleiss' kappa used.
        groups: How many distinct label combinations the database returned (what the metrics were computed from).
        elapsed_ms: How long it took.
        version: The table version the label counts hold for (always the latest when they were read: the counts are
            kept and brought up to date, never served stale); None for detections.
        counting: How the label counts were obtained: ``'full'`` (every row counted), ``'incremental'`` (the rows
            inserted, updated or deleted since the last summary added and subtracted) or ``'cached'`` (no change
            since); None for detections.
    """

    summary: pd.DataFrame
    kappa: pd.DataFrame | None
    fleiss: float | None
    fleiss_rows: int
    groups: int
    elapsed_ms: float
    version: int | None = None
    counting: str | None = None


def compute(t: pxt.Table, state: ConsensusState, iou_threshold: float) -> ConsensusMetrics:
    """The summary, the kappa matrix and Fleiss' kappa of a consensus with at least one model (one ``group by``)."""
    start = time.perf_counter()
    errors = model_errors(t, state)
    if state.kind == 'detections':
        summary = box_leaderboard(t, state, iou_threshold, errors)
        return ConsensusMetrics(summary, None, None, 0, 0, (time.perf_counter() - start) * 1000)
    tuples, counted = counted_tuples(t, state)
    summary = leaderboard(tuples, state, errors)
    names = [m.name for m in state.models]
    kappa = kappa_matrix(tuples, names) if len(names) >= 2 else None
    fleiss_value, fleiss_rows = fleiss(tuples, names)
    elapsed = (time.perf_counter() - start) * 1000
    return ConsensusMetrics(
        summary, kappa, fleiss_value, fleiss_rows, len(tuples), elapsed, counted.version, counted.how
    )


def reference_key(state: ConsensusState, reference: str) -> tuple[str, str]:
    """The column a model is scored against and its name: ``'truth'`` (the ground truth), ``'consensus'`` (the
    majority label) or ``'auto'`` (the ground truth when there is one).

    Raises:
        NoGroundTruthError: Against the truth of a consensus without one.
        NotEnoughModelsError: Against the consensus of a single model.
        InvalidRequestError: Another reference.
    """
    if reference == 'auto':
        reference = 'truth' if state.truth_column else 'consensus'
    if reference == 'truth':
        if state.truth_column is None:
            raise NoGroundTruthError(f'The consensus {state.name!r} has no ground truth.')
        return state.truth_column, reference
    if reference == 'consensus':
        label = state.column('label')
        if label is None:
            raise NotEnoughModelsError('A consensus needs at least two models.', hint='Add another model.')
        return label, reference
    raise InvalidRequestError(f"reference must be 'truth', 'consensus' or 'auto', not {reference!r}.")


def confusion_against(t: pxt.Table, state: ConsensusState, model: str, reference: str) -> pd.DataFrame:
    """A label model's confusion matrix against the ground truth (``'truth'``) or the consensus (``'consensus'``);
    ``'auto'``: the ground truth when there is one. Counted by one SQL ``group by`` (:func:`label_tuples`).

    Raises:
        NoGroundTruthError: Against the truth of a consensus without one.
        NotEnoughModelsError: Against the consensus of a single model.
    """
    column, name = reference_key(state, reference)
    key = TRUTH_KEY if name == 'truth' else column
    matrix = confusion(label_tuples(t, state, only=(model, key)), model, key)
    matrix.index.name = name
    return matrix


def class_report(matrix: pd.DataFrame) -> pd.DataFrame:
    """Per class of the reference: precision, recall, F1 and support, from a confusion matrix (rows = reference,
    columns = predictions; a missing prediction, ``∅``, is a wrong one). Classes only predicted, never in the
    reference, are left out, as scikit-learn's ``classification_report`` does with ``labels=`` the reference's.

    Example:
        >>> m = pd.DataFrame([[3, 1], [0, 2]], index=['a', 'b'], columns=['a', 'b'])
        >>> class_report(m)['recall'].round(2).tolist()
        [0.75, 1.0]
    """
    counts = matrix.to_numpy(dtype=float)
    labels = [str(c) for c in matrix.columns]
    rows = []
    for i, label in enumerate(str(r) for r in matrix.index):
        support = counts[i].sum()
        if label == MISSING or not support:
            continue
        j = labels.index(label)
        tp = counts[i, j]
        predicted = counts[:, j].sum()
        p = tp / predicted if predicted else 0.0
        r = tp / support if support else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        rows.append({'class': label, 'precision': p, 'recall': r, 'f1': f, 'support': int(support)})
    return pd.DataFrame(rows, columns=['class', 'precision', 'recall', 'f1', 'support'])


def best_of(summary: pd.DataFrame, metric: str) -> str:
    """The model of a summary with the highest ``metric``; ties go to the cheaper model, then to the earlier one.

    Raises:
        InvalidRequestError: An unknown metric.
        NotEnoughModelsError: No model has that metric.
    """
    if metric not in summary.columns:
        raise InvalidRequestError(f'Unknown metric {metric!r}.', hint=f'Columns: {", ".join(summary.columns)}.')
    models = summary[(summary['kind'] == 'model') & summary[metric].notna()]
    if not len(models):
        raise NotEnoughModelsError(f'No model has a {metric} yet.')
    ranked = models.assign(_cost=models['seconds_per_row'].fillna(float('inf')), _order=range(len(models)))
    ranked = ranked.sort_values([metric, '_cost', '_order'], ascending=[False, True, True])
    return str(ranked.iloc[0]['model'])
