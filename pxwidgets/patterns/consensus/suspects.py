"""Suspect labels: rows whose ground truth is probably wrong given the models, found with cleanlab.

The models' confidences give class probabilities (a model saying ``y`` with confidence ``c`` gives ``y`` probability
``c`` and each other class ``(1 - c) / (K - 1)``), averaged over the models. From them:

- each row's label quality is cleanlab's ``self_confidence`` score, the averaged probability of the given label. It is
  a stored computed column (``<c>_label_quality``, a batched UDF), so new rows get it on insert and the "suspect
  labels" filter is a SQL ``where`` + ``order by``;
- how many labels are wrong is cleanlab's own estimate, ``cleanlab.count.num_label_issues`` (confident learning), over
  the labelled rows; the suspects are that many rows of lowest quality, the ranking cleanlab recommends.

Example:
    >>> c.find_suspects()['issues']  # doctest: +SKIP
    37
    >>> c.rows('suspects', limit=10)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pixeltable as pxt

from pxwidgets.errors import InvalidRequestError
from pxwidgets.functions.consensus import averaged_probabilities, truth_probability
from pxwidgets.patterns.common.metadata import role_metadata
from pxwidgets.patterns.consensus.catalog import COLUMN_ROLE, ConsensusState, ModelInfo
from pxwidgets.patterns.consensus.columns import ColumnSpec, ref
from pxwidgets.patterns.consensus.errors import NoGroundTruthError, NotEnoughModelsError
from pxwidgets.patterns.consensus.metrics import MISSING, TRUTH_KEY, label_tuples
from pxwidgets.tables.internals import table_version
from pxwidgets.tables.lru import LruCache
from pxwidgets.tables.resolve import table_path

PART = 'label_quality'

ISSUES: LruCache[int] = LruCache(64)
"""cleanlab's estimate of the number of wrong labels, per table version."""


def quality_name(consensus: str) -> str:
    return f'{consensus}_{PART}'


def probability_models(state: ConsensusState) -> list[ModelInfo]:
    """The models whose class probabilities cleanlab reads: those with a confidence.

    Raises:
        NoGroundTruthError: The consensus has no ground truth (there is no label to suspect).
        NotEnoughModelsError: Detections, or fewer than two models with a confidence.
    """
    if state.kind == 'detections':
        raise NotEnoughModelsError('Suspect labels are found among class labels; this consensus compares detections.')
    if state.truth_column is None:
        raise NoGroundTruthError(
            f'Suspect labels need a ground-truth column; the consensus {state.name!r} has none.',
            hint='Create the consensus with ground_truth=<column>.',
        )
    models = [m for m in state.models if m.confidence_column]
    if len(models) < 2:
        without = [m.name for m in state.models if not m.confidence_column]
        raise NotEnoughModelsError(
            'Suspect labels need class probabilities from at least two models (cleanlab averages them): models '
            f'whose output carries a confidence. This consensus has {len(models)}'
            + (f' ({", ".join(m.name for m in models)})' if models else '')
            + (f'; without a confidence: {", ".join(without)}' if without else '')
            + '.',
            hint='Add models that output {"label": …, "confidence": …} (or "score" / "probs"). Nothing was written.',
        )
    return models


def classes_of(t: pxt.Table, state: ConsensusState) -> list[str]:
    """Every class the ground truth or a model names (one SQL ``group by``)."""
    tuples = label_tuples(t, state)
    keys = [m.name for m in state.models] + [TRUTH_KEY]
    found = {str(v) for k in keys if k in tuples for v in tuples[k] if v is not None}
    return sorted(found - {MISSING}, key=lambda s: (len(s), s))


def quality_column(t: pxt.Table, state: ConsensusState, classes: list[str]) -> ColumnSpec:
    """The stored label quality column (cleanlab's self-confidence of the ground-truth label)."""
    models = probability_models(state)
    labels = [t[str(m.label_column)] for m in models]
    confs = [t[str(m.confidence_column)] for m in models]
    truth = str(state.truth_column)
    labels_code = '[' + ', '.join(ref(str(m.label_column)) for m in models) + ']'
    confs_code = '[' + ', '.join(ref(str(m.confidence_column)) for m in models) + ']'
    return ColumnSpec(
        quality_name(state.name),
        lambda: truth_probability(labels, confs, t[truth], classes),
        f'truth_probability({labels_code}, {confs_code}, {ref(truth)}, {classes!r})',
        role_metadata(
            COLUMN_ROLE,
            {'consensus': state.name, 'part': PART, 'models': [m.name for m in models], 'classes': classes},
        ),
    )


def probabilities(t: pxt.Table, state: ConsensusState) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The labelled rows' ground truth (class indices) and averaged class probabilities, as cleanlab takes them.

    Pulls the models' labels and confidences of every labelled row (scalars only).
    """
    models = probability_models(state)
    truth = str(state.truth_column)
    stored = next((c.data.get('classes') for c in state.columns if c.part == PART), None)
    classes = list(stored) if stored else classes_of(t, state)
    select = {f'l{i}': t[str(m.label_column)] for i, m in enumerate(models)}
    select |= {f'c{i}': t[str(m.confidence_column)] for i, m in enumerate(models)}
    rs = t.where(t[truth] != None).select(**select, truth=t[truth]).collect()  # noqa: E711
    index = {c: i for i, c in enumerate(classes)}
    keep = [i for i, label in enumerate(rs['truth']) if label in index]
    labels = np.array([index[rs['truth'][i]] for i in keep], dtype=int)
    columns = [(rs[f'l{j}'], rs[f'c{j}']) for j in range(len(models))]
    probs = np.array(
        [averaged_probabilities([ls[i] for ls, _ in columns], [cs[i] for _, cs in columns], classes) for i in keep]
    ).reshape(len(keep), len(classes))
    return labels, probs, classes


def issue_count(t: pxt.Table, state: ConsensusState) -> int:
    """cleanlab's estimate of how many ground-truth labels are wrong (``num_label_issues``), cached per version."""
    from cleanlab.count import num_label_issues

    key = (table_path(t), table_version(t), state.name)
    cached = ISSUES.get(key)
    if cached is not None:
        return cached
    labels, probs, classes = probabilities(t, state)
    one_class = len(classes) < 2 or len(set(labels.tolist())) < 2  # nothing to confuse it with
    count = 0 if one_class else int(num_label_issues(labels, probs))
    ISSUES.put(key, count)
    return count


def find(tbl: pxt.Table, state: ConsensusState) -> str:
    """Add the label quality column (if it is not there yet); returns the code that added it.

    Raises:
        NoGroundTruthError, NotEnoughModelsError: What cleanlab needs is missing (nothing is written).
    """
    probability_models(state)
    if state.column(PART) is not None:
        return ''
    spec = quality_column(tbl, state, classes_of(tbl, state))
    tbl.add_computed_column(**{spec.name: spec.make()}, custom_metadata=spec.metadata, on_error=spec.on_error)
    return f"t.add_computed_column({spec.name}={spec.code}, on_error='ignore')"


def suspects_predicate(t: pxt.Table, state: ConsensusState) -> tuple[Any, str]:
    """The SQL ``where`` of the suspect labels: the ``num_label_issues`` rows of lowest label quality."""
    quality = state.column(PART)
    if quality is None:
        probability_models(state)  # says what is missing, if anything
        raise InvalidRequestError(
            'Suspect labels have not been looked for yet.',
            hint='Call find_suspects() (the panel: "Find suspect labels") once; new rows are scored on insert.',
        )
    n = issue_count(t, state)
    if n == 0:
        return t[quality] < -1.0, f't.{quality} < -1.0  # cleanlab found no label issue'
    cut = t.where(t[quality] != None).order_by(t[quality]).select(q=t[quality]).limit(1, offset=n - 1).collect()  # noqa: E711
    cutoff = float(cut['q'][0]) if len(cut) else 1.0
    return t[quality] <= cutoff, f't.{quality} <= {cutoff!r}  # the {n} rows of lowest label quality'
