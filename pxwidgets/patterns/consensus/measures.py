"""The measuring half of ``MultiModelConsensus``: the summary, kappas, confusion matrices, precision-recall curves,
their figures and the suspect labels, each from aggregates the database computes (see :mod:`.metrics`).

``MultiModelConsensus`` inherits these methods; they read the consensus through its table and catalog state only.

Example:
    >>> c.summary()[['model', 'accuracy', 'f1']]  # doctest: +SKIP
    >>> c.confusion_figure('knn').show()  # doctest: +SKIP
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import pandas as pd
import pixeltable as pxt
import plotly.graph_objects as go

from pxwidgets.patterns.consensus import figures, metrics
from pxwidgets.patterns.consensus.catalog import ConsensusState, ModelInfo
from pxwidgets.patterns.consensus.checks import need_labels, need_models
from pxwidgets.patterns.consensus.columns import code_block
from pxwidgets.patterns.consensus.metrics import ConsensusMetrics, best_of


class ConsensusMeasures(ABC):
    """Metrics, figures and suspect labels of a consensus (mixed into ``MultiModelConsensus``)."""

    _path: str
    _kind: str | None
    _options: dict[str, Any]
    last_code: str

    @abstractmethod
    def _table(self) -> pxt.Table:
        """The consensus's table."""

    @abstractmethod
    def state(self, tbl: pxt.Table | None = None) -> ConsensusState:
        """The consensus as the catalog holds it now."""

    @abstractmethod
    def model(self, name: str) -> ModelInfo:
        """One model (raises ``ModelNotFoundError``)."""

    # ------------------------------------------------------------------------------------------------- metrics

    def metrics(self) -> ConsensusMetrics:
        """The summary table, the kappa matrix and Fleiss' kappa, from one ``group by`` in the database.

        Raises:
            NotEnoughModelsError: With no model at all.
        """
        tbl = self._table()
        state = self.state(tbl)
        need_models(state, 1, 'A summary')
        return metrics.compute(tbl, state, float(self._options['iou_threshold']))

    def summary(self) -> pd.DataFrame:
        """Per model and per consensus method: coverage, accuracy, precision, recall, F1 (against the ground truth, or
        the consensus when there is none), agreement with the consensus, measured seconds per row, failed rows.

        Example:
            >>> c.summary()[['model', 'accuracy', 'f1']]  # doctest: +SKIP
        """
        return self.metrics().summary

    def kappa(self) -> pd.DataFrame:
        """Pairwise Cohen's kappa between the models (scikit-learn), computed from aggregated label pairs.

        Raises:
            NotEnoughModelsError: With fewer than two models.
        """
        tuples, names = self._label_tuples("Cohen's kappa")
        return metrics.kappa_matrix(tuples, names)

    def _label_tuples(self, what: str) -> tuple[pd.DataFrame, list[str]]:
        """The aggregated label tuples and the model names, for a metric that compares two or more label models."""
        tbl = self._table()
        state = self.state(tbl)
        need_labels(state, what)
        need_models(state, 2, what)
        return metrics.label_tuples(tbl, state), [m.name for m in state.models]

    def fleiss_kappa(self) -> float | None:
        """Fleiss' kappa over the rows where every model gave a label (as statsmodels computes it).

        Raises:
            NotEnoughModelsError: With fewer than two models.
        """
        tuples, names = self._label_tuples("Fleiss' kappa")
        return metrics.fleiss(tuples, names)[0]

    def confusion_matrix(self, model: str, reference: str = 'auto') -> pd.DataFrame:
        """A model's confusion matrix (scikit-learn) against the ground truth (``'truth'``) or the consensus
        (``'consensus'``); ``'auto'``: the ground truth when there is one."""
        tbl = self._table()
        state = self.state(tbl)
        need_labels(state, 'A confusion matrix')
        self.model(model)
        return metrics.confusion_against(tbl, state, model, reference)

    def best_model(self, metric: str = 'auto', *, summary: pd.DataFrame | None = None) -> str:
        """The model with the highest ``metric`` (``'accuracy'``, ``'f1'``, …; ``'auto'``: F1 for detections, else
        accuracy); ties go to the cheaper model, then to the one added first.

        Args:
            metric: The summary column to rank by.
            summary: A summary already computed (``metrics().summary``), so it is not computed again.
        """
        return best_of(self.summary() if summary is None else summary, self._metric(metric))

    def _metric(self, metric: str) -> str:
        """``'auto'``: F1 for detections, accuracy for labels."""
        return ('f1' if self._kind == 'detections' else 'accuracy') if metric == 'auto' else metric

    def leaderboard_figure(self, metric: str = 'auto') -> go.Figure:
        """The leaderboard as a plotly bar chart (consensus methods in orange)."""
        return figures.leaderboard_figure(self.summary(), self._metric(metric))

    def kappa_figure(self) -> go.Figure:
        """The pairwise Cohen's kappa matrix as a plotly heatmap."""
        return figures.kappa_heatmap(self.kappa())

    def cost_quality_figure(self, metric: str = 'auto') -> go.Figure:
        """Each model's quality against its measured cost per row (plotly scatter, log-scale cost)."""
        return figures.cost_quality_figure(self.summary(), self._metric(metric))

    def confusion_figure(self, model: str, reference: str = 'auto') -> go.Figure:
        """A model's confusion matrix as a plotly heatmap (the panel's Summary tab shows the same figure; its cells
        open the rows of that cell: ``rows('confusion', model=..., actual=..., predicted=...)``).

        Example:
            >>> c.confusion_figure('knn').show()  # doctest: +SKIP
        """
        return figures.confusion_figure(self.confusion_matrix(model, reference), model)

    def class_report(self, model: str, reference: str = 'auto') -> pd.DataFrame:
        """Per class: precision, recall, F1 and support of a model against the ground truth or the consensus, from
        its confusion matrix (one SQL ``group by``).

        Example:
            >>> c.class_report('knn')  # doctest: +SKIP
              class  precision  recall    f1  support
        """
        return metrics.class_report(self.confusion_matrix(model, reference))

    def pr_curves(self, iou_threshold: float | None = None) -> dict[str, pd.DataFrame]:
        """Detections: each model's precision–recall curve over score thresholds against the ground-truth boxes
        (COCO's matching at ``iou_threshold``, default the consensus's).

        Raises:
            NotEnoughModelsError: A label consensus.
            NoGroundTruthError: No ground-truth boxes.

        Example:
            >>> c.pr_curves()['yolox_m'][['threshold', 'precision', 'recall']]  # doctest: +SKIP
        """
        from pxwidgets.patterns.consensus import curves

        tbl = self._table()
        threshold = float(self._options['iou_threshold'] if iou_threshold is None else iou_threshold)
        return curves.pr_curves(tbl, self.state(tbl), threshold)

    def best_thresholds(self, iou_threshold: float | None = None) -> pd.DataFrame:
        """Detections: each model's F1-optimal score threshold, with its precision and recall.

        Example:
            >>> c.best_thresholds()  # doctest: +SKIP
        """
        from pxwidgets.patterns.consensus import curves

        return curves.best_thresholds(self.pr_curves(iou_threshold))

    def pr_figure(self, iou_threshold: float | None = None) -> go.Figure:
        """Detections: the models' precision–recall curves, each model's best threshold marked."""
        return figures.pr_figure(self.pr_curves(iou_threshold))

    # ------------------------------------------------------------------------------------------------- suspects

    def find_suspects(self) -> dict[str, Any]:
        """Score every row's ground truth with cleanlab (the models' averaged class probabilities, from their
        confidences): adds ``<name>_label_quality`` (stored, computed on insert for new rows) and estimates how many
        labels are wrong (``cleanlab.count.num_label_issues``). ``rows('suspects')`` then lists them, most suspect
        first.

        Returns:
            ``{'issues': how many suspects, 'scored': labelled rows, 'column': the quality column}``.

        Raises:
            NoGroundTruthError: No ground truth.
            NotEnoughModelsError: Fewer than two models with a confidence (cleanlab needs class probabilities).
                Nothing is written.

        Example:
            >>> c.find_suspects()  # doctest: +SKIP
            {'issues': 37, 'scored': 1617, 'column': 'consensus_label_quality'}
        """
        from pxwidgets.patterns.consensus import suspects

        tbl = self._table()
        code = suspects.find(tbl, self.state(tbl))
        if code:
            self.last_code = code_block(self._path, [code])
        tbl = self._table()
        state = self.state(tbl)
        column = str(state.column(suspects.PART))
        scored = int(tbl.where(tbl[column] != None).count())  # noqa: E711
        return {'issues': suspects.issue_count(tbl, state), 'scored': scored, 'column': column}
