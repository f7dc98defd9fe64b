"""Consensus UDFs: label votes (majority with ties, weighted), labels and confidences out of model outputs, and
box-level consensus of detections by weighted box fusion (the ``ensemble-boxes`` package).

They live in a module so that the consensus columns built on them survive a kernel restart. The plain-Python functions
(``majority``, ``weighted``, ``fuse``, ``match_boxes``) do the work and are tested on their own; the UDFs wrap them.

Example:
    >>> majority(['3', '3', '5'], ['a', 'b', 'c'])['label']
    '3'
    >>> majority(['3', '5'], ['a', 'b'])['tie']
    True
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pixeltable as pxt
import sqlalchemy as sql
from pixeltable.func import Batch

from pxwidgets.functions.boxes import fuse, iou_matrix, match_boxes  # noqa: F401  (re-exported)

LABEL_KEYS = ('label', 'class', 'prediction', 'pred')
"""Keys a model's JSON output may hold its label under (the first present wins)."""

CONFIDENCE_KEYS = ('confidence', 'score', 'probability', 'prob')
"""Keys a model's JSON output may hold its confidence under."""

BATCH_SIZE = 1024
"""Rows per call of the batched UDFs: one Python call per batch, not per row. Must stay well below Pixeltable's
``ExprEvalNode.MAX_BUFFERED_ROWS`` (2048 in 0.7.21): a batch larger than the rows it lets in flight never fills, and
adding the column hangs (seen here with 4096)."""


# ---- labels and confidences out of model outputs ------------------------------------------------------------------


def normalize_text(text: str) -> str:
    """Free text for agreement by exact match: Unicode-normalised, case-folded, punctuation dropped, spaces collapsed.

    Example:
        >>> normalize_text('  The  Cat, sat! ')
        'the cat sat'
    """
    folded = unicodedata.normalize('NFKC', text).casefold()
    folded = re.sub(r'[^\w\s]', ' ', folded)
    return ' '.join(folded.split())


def label_of(value: Any, *, normalize: bool = False) -> str | None:
    """A model output's label as text (the common domain of every label model and the ground truth).

    Ints, strings and bools are labels themselves; a dict holds one under ``label`` (or ``class``, ``prediction``).
    Floats that are whole numbers read as ints (``3.0`` is ``'3'``). ``None`` (a failed or missing output) stays None.

    Example:
        >>> label_of(3), label_of({'label': 'cat', 'confidence': 0.9}), label_of(None)
        ('3', 'cat', None)
    """
    if isinstance(value, Mapping):
        value = next((value[k] for k in LABEL_KEYS if k in value), None)
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    return normalize_text(text) if normalize else text


def confidence_of(value: Any) -> float | None:
    """A model output's confidence: ``confidence`` (or ``score``, …), else the largest of ``probs``; else None.

    Example:
        >>> confidence_of({'label': 1, 'probs': [0.2, 0.8]}), confidence_of('cat')
        (0.8, None)
    """
    if not isinstance(value, Mapping):
        return None
    for key in CONFIDENCE_KEYS:
        if isinstance(value.get(key), int | float) and not isinstance(value.get(key), bool):
            number = float(value[key])
            return number if math.isfinite(number) else None
    probs = value.get('probs') or value.get('probabilities')
    if isinstance(probs, Sequence) and probs:
        try:
            return float(max(float(p) for p in probs))
        except (TypeError, ValueError):
            return None
    return None


@pxt.udf
def label_text(value: pxt.Json | None, normalize: bool = False) -> str | None:
    """The label of a model's output as text (see :func:`label_of`)."""
    return label_of(value, normalize=normalize)


@pxt.udf(batch_size=BATCH_SIZE)
def label_texts(values: Batch[pxt.Json | None]) -> Batch[str | None]:
    """:func:`label_text` over a batch of rows (one Python call per batch)."""
    return [label_of(v) for v in values]


@pxt.udf
def raw_label_text(value: pxt.Json | None) -> str | None:
    """A string, int or bool label as text (:func:`label_of`), also in SQL: ``CAST(value AS TEXT)`` gives the same
    text (``'3'``, ``'cat'``, ``'true'``), so an unstored column of it is pushed into SQL filters and ``group by``.

    Only for string, int and bool columns (a JSON column's SQL text would keep its quotes).

    Example:
        >>> t.add_computed_column(truth_text=raw_label_text(t.label), stored=False)  # doctest: +SKIP
    """
    return label_of(value)


@raw_label_text.to_sql
def _(value: sql.ColumnElement) -> sql.ColumnElement:
    return sql.cast(value, sql.Text)


@pxt.udf(batch_size=BATCH_SIZE)
def normalized_texts(values: Batch[pxt.Json | None]) -> Batch[str | None]:
    """:func:`label_text` with ``normalize=True`` over a batch of rows."""
    return [label_of(v, normalize=True) for v in values]


@pxt.udf
def map_label(value: pxt.Json | None, mapping: dict, default: str | None = None) -> str | None:
    """A model's label mapped through ``mapping`` (keyed by the label as text, see :func:`label_of`); a label it
    lacks becomes ``default``. How a model whose labels are of another type or vocabulary than a consensus's joins
    it: explicitly, by the user's mapping.

    Example:
        >>> c.add_model('num', map_label(t.idx, {'0': 'cat', '1': 'dog'}))  # doctest: +SKIP
    """
    label = label_of(value)
    found = None if label is None else mapping.get(label, default)
    return None if found is None else str(found)


@pxt.udf
def label_confidence(value: pxt.Json | None) -> float | None:
    """The confidence of a model's output (see :func:`confidence_of`)."""
    return confidence_of(value)


# ---- votes ---------------------------------------------------------------------------------------------------------


def _result(
    label: str | None,
    tied: list[str],
    scores: dict[str, float],
    labels: Sequence[str | None],
    models: Sequence[str],
    confidences: Sequence[float | None] | None,
) -> dict[str, Any]:
    valid = [(m, lab) for m, lab in zip(models, labels, strict=True) if lab is not None]
    missing = [m for m, lab in zip(models, labels, strict=True) if lab is None]
    top = Counter(lab for _, lab in valid).most_common(1)
    # on a tie the agreement is that of the largest group
    agreeing = sum(1 for _, lab in valid if lab == label) if label is not None else (top[0][1] if top else 0)
    dissent = [m for m, lab in valid if label is None or lab != label]
    conf = {m: c for m, c in zip(models, confidences or [None] * len(models), strict=True)}
    return {
        'label': label,
        'tie': len(tied) > 1,
        'tied': tied if len(tied) > 1 else [],
        'scores': scores,
        'agreement': agreeing / len(valid) if valid else None,
        'dissent': dissent,
        'missing': missing,
        'n_models': len(models),
        'n_valid': len(valid),
        'labels': dict(zip(models, labels, strict=True)),
        'confidences': conf,
    }


def majority(
    labels: Sequence[str | None], models: Sequence[str], confidences: Sequence[float | None] | None = None
) -> dict[str, Any]:
    """Majority vote over the models that gave a label; a tie is reported (``label`` None, ``tied`` the labels).

    Args:
        labels: One label per model (None: the model failed or gave nothing on this row).
        models: The models' names, in the same order.
        confidences: Each model's confidence (only reported).

    Returns:
        ``label``, ``tie``, ``tied``, ``scores`` (votes per label), ``agreement`` (share of the answering models that
        gave the winning label, or the largest group's share on a tie), ``dissent`` (models that did not give the
        consensus label; all answering models on a tie), ``missing`` (models without a label), ``n_models``,
        ``n_valid``, ``labels`` and ``confidences`` by model.

    Example:
        >>> r = majority(['1', '2', None], ['a', 'b', 'c'])
        >>> r['label'], r['tied'], r['missing'], r['agreement']
        (None, ['1', '2'], ['c'], 0.5)
    """
    votes = Counter(lab for lab in labels if lab is not None)
    scores = {k: float(v) for k, v in sorted(votes.items())}
    return _decide(scores, labels, models, confidences)


def weighted(
    labels: Sequence[str | None],
    models: Sequence[str],
    weights: Sequence[float | None],
    confidences: Sequence[float | None] | None = None,
) -> dict[str, Any]:
    """Weighted vote: each label scores the sum of its models' weights; equal top scores are a tie.

    A model without a weight (None) votes with weight 0 (it still counts towards agreement).

    Example:
        >>> weighted(['1', '2', '2'], ['a', 'b', 'c'], [0.9, 0.3, 0.4])['label']
        '1'
    """
    scores: dict[str, float] = {}
    for lab, w in zip(labels, weights, strict=True):
        if lab is None:
            continue
        scores[lab] = scores.get(lab, 0.0) + (float(w) if w is not None and math.isfinite(float(w)) else 0.0)
    return _decide(dict(sorted(scores.items())), labels, models, confidences)


def _decide(
    scores: dict[str, float],
    labels: Sequence[str | None],
    models: Sequence[str],
    confidences: Sequence[float | None] | None,
) -> dict[str, Any]:
    if not scores:
        return _result(None, [], scores, labels, models, confidences)
    best = max(scores.values())
    tied = sorted(k for k, v in scores.items() if math.isclose(v, best, rel_tol=1e-9, abs_tol=1e-12))
    label = tied[0] if len(tied) == 1 else None
    return _result(label, tied, scores, labels, models, confidences)


@pxt.udf
def majority_vote(labels: list, models: list, confidences: list | None = None) -> dict:
    """Majority vote with ties reported (see :func:`majority`)."""
    return majority(list(labels), list(models), None if confidences is None else list(confidences))


@pxt.udf
def weighted_vote(labels: list, models: list, weights: list, confidences: list | None = None) -> dict:
    """Weighted vote with ties reported (see :func:`weighted`); pass confidences as weights for a
    confidence-weighted vote, or each model's accuracy for an accuracy-weighted one."""
    return weighted(list(labels), list(models), list(weights), None if confidences is None else list(confidences))


# the scalar parts of a vote, over a batch of rows: one Python call per batch. The labels may be the models' label
# columns (text) or, for models whose outputs are labels as they are (ints, strings, bools), those outputs: each is
# read as text first (strings as they are). The models' names do not change a vote's label, agreement or tie, so
# positions stand in for them.


def _positions(labels: Sequence[Any]) -> list[str]:
    return [str(i) for i in range(len(labels))]


def _texts(row: Sequence[Any]) -> list[str | None]:
    return [v if v is None or isinstance(v, str) else label_of(v) for v in row]


def top_vote(row: Sequence[Any]) -> tuple[str | None, float | None, bool]:
    """The majority vote's label, agreement and tie of one row, as :func:`majority` gives them (without the rest of
    its record: this is what the stored columns hold, computed for every row).

    Example:
        >>> top_vote(['3', 3, None, '5'])
        ('3', 0.6666666666666666, False)
    """
    votes = Counter(v for v in _texts(row) if v is not None)
    if not votes:
        return None, None, False
    best = max(votes.values())
    tied = [k for k, n in votes.items() if n == best]
    agreement = best / sum(votes.values())
    return (tied[0], agreement, False) if len(tied) == 1 else (None, agreement, True)


@pxt.udf(batch_size=BATCH_SIZE)
def majority_label(labels: Batch[list]) -> Batch[str | None]:
    """The majority vote's label per row (None on a tie or without labels; see :func:`majority`)."""
    return [top_vote(row)[0] for row in labels]


@pxt.udf(batch_size=BATCH_SIZE)
def majority_agreement(labels: Batch[list]) -> Batch[float | None]:
    """The majority vote's agreement per row (see :func:`majority`)."""
    return [top_vote(row)[1] for row in labels]


@pxt.udf(batch_size=BATCH_SIZE)
def majority_tie(labels: Batch[list]) -> Batch[bool]:
    """Whether the majority vote is a tie, per row (see :func:`majority`)."""
    return [top_vote(row)[2] for row in labels]


@pxt.udf(batch_size=BATCH_SIZE)
def weighted_label(labels: Batch[list], weights: Batch[list]) -> Batch[str | None]:
    """The weighted vote's label per row (see :func:`weighted`); ``weights`` per row (confidences) or the same
    list on every row (accuracies)."""
    return [weighted(_texts(row), _positions(row), list(w))['label'] for row, w in zip(labels, weights, strict=True)]


# ---- class probabilities from the models' confidences (suspect labels) -------------------------------------------


def averaged_probabilities(
    labels: Sequence[str | None], confidences: Sequence[float | None], classes: Sequence[str]
) -> np.ndarray:
    """The models' class probabilities, averaged: a model that says label ``y`` with confidence ``c`` gives ``y``
    probability ``c`` and each other class ``(1 - c) / (K - 1)``; models without a label or a confidence are left out
    (uniform when none is left).

    Example:
        >>> averaged_probabilities(['a', 'b'], [0.9, 0.6], ['a', 'b', 'c']).round(3).tolist()
        [0.55, 0.325, 0.125]
    """
    k = len(classes)
    index = {c: i for i, c in enumerate(classes)}
    total = np.zeros(k)
    n = 0
    for label, conf in zip(labels, confidences, strict=True):
        if label is None or conf is None or label not in index or not math.isfinite(float(conf)):
            continue
        c = min(max(float(conf), 0.0), 1.0)
        row = np.full(k, (1.0 - c) / (k - 1) if k > 1 else 0.0)
        row[index[label]] = c if k > 1 else 1.0
        total += row
        n += 1
    return total / n if n else np.full(k, 1.0 / k)


@pxt.udf(batch_size=BATCH_SIZE)
def truth_probability(
    labels: Batch[list], confidences: Batch[list], truth: Batch[str | None], classes: Batch[list]
) -> Batch[float | None]:
    """The probability the models (averaged, see :func:`averaged_probabilities`) give the ground-truth label:
    cleanlab's ``self_confidence`` label quality score. None without ground truth or for an unknown class."""
    out: list[float | None] = []
    for row, confs, label, names in zip(labels, confidences, truth, classes, strict=True):
        if label is None or label not in names:
            out.append(None)
            continue
        out.append(float(averaged_probabilities(list(row), list(confs), list(names))[list(names).index(label)]))
    return out


# ---- free text by meaning ------------------------------------------------------------------------------------------


def group_texts(vectors: np.ndarray, threshold: float) -> list[int]:
    """Greedy grouping of answers by cosine similarity: each answer joins the first group whose first answer is at
    least ``threshold`` similar to it (vectors normalised), else starts a group. Returns a group id per answer.

    Example:
        >>> group_texts(np.array([[1.0, 0.0], [0.99, 0.141], [0.0, 1.0]]), 0.9)
        [0, 0, 1]
    """
    heads: list[int] = []
    groups: list[int] = []
    for i in range(len(vectors)):
        sims = [float(np.dot(vectors[i], vectors[h])) for h in heads]
        best = int(np.argmax(sims)) if sims else -1
        if best >= 0 and sims[best] >= threshold:
            groups.append(best)
        else:
            heads.append(i)
            groups.append(len(heads) - 1)
    return groups


def text_majority(
    texts: Sequence[str | None], models: Sequence[str], threshold: float, vectors: np.ndarray | None = None
) -> dict[str, Any]:
    """Majority vote over free-text answers grouped by meaning (embedding similarity ≥ ``threshold``).

    The answers are embedded with the packaged wordllama model (offline) unless ``vectors`` are given. The consensus
    label is the first answer of the largest group; two largest groups of equal size are a tie. ``groups`` lists the
    models of each group.

    Example:
        >>> v = np.array([[1.0, 0.0], [0.99, 0.141], [0.0, 1.0]])
        >>> r = text_majority(['a cat', 'the cat', 'a dog'], ['x', 'y', 'z'], 0.9, vectors=v)
        >>> r['label'], r['dissent'], r['groups']
        ('a cat', ['z'], [['x', 'y'], ['z']])
    """
    answered = [(m, t) for m, t in zip(models, texts, strict=True) if t is not None]
    if not answered:
        return _result(None, [], {}, list(texts), models, None) | {'groups': []}
    if vectors is None:
        from pxwidgets.functions.embeddings import wordllama_vectors

        vectors = wordllama_vectors([t for _, t in answered])
    ids = group_texts(np.asarray(vectors, dtype=float), threshold)
    members: dict[int, list[int]] = {}
    for k, g in enumerate(ids):
        members.setdefault(g, []).append(k)
    # every answer votes for its group's first answer: the exact vote over those representatives is the text vote
    representative = [answered[members[g][0]][1] for g in ids]
    votes = iter(representative)
    labels = [next(votes) if t is not None else None for t in texts]
    result = majority(labels, models)
    result['labels'] = dict(zip(models, texts, strict=True))
    result['groups'] = [[answered[k][0] for k in ks] for ks in members.values()]
    return result


@pxt.udf
def text_vote(texts: list, models: list, threshold: float = 0.8) -> dict:
    """Majority vote over free-text answers grouped by meaning (see :func:`text_majority`)."""
    return text_majority(list(texts), list(models), threshold)


# ---- boxes ---------------------------------------------------------------------------------------------------------


@pxt.udf
def fuse_detections(
    detections: list,
    models: list,
    width: int,
    height: int,
    min_votes: int = 2,
    iou_threshold: float = 0.55,
    skip_threshold: float = 0.0,
) -> dict:
    """Box-level consensus by weighted box fusion (see :func:`fuse`)."""
    return fuse(
        list(detections),
        list(models),
        width,
        height,
        min_votes=min_votes,
        iou_threshold=iou_threshold,
        skip_threshold=skip_threshold,
    )


@pxt.udf
def box_count(detections: dict | None) -> int | None:
    """How many boxes a detection result holds (None for a failed output)."""
    if not isinstance(detections, Mapping):
        return None
    return len(detections.get('bboxes') or [])
