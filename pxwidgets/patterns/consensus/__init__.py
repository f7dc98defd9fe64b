"""Multi-model consensus: run N models on the same rows, compare them and combine them, inside Pixeltable.

Example:
    >>> from pxwidgets.patterns.consensus import MultiModelConsensus
    >>> c = MultiModelConsensus('demo/digits', 'image', ground_truth='label')  # doctest: +SKIP
"""

from pxwidgets.patterns.consensus.catalog import ConsensusState, ModelInfo
from pxwidgets.patterns.consensus.consensus import ConsensusMetrics, MultiModelConsensus
from pxwidgets.patterns.consensus.errors import (
    ConfirmationRequiredError,
    ConsensusError,
    LabelTypeError,
    MixedKindsError,
    ModelInUseError,
    ModelNameError,
    ModelNotFoundError,
    NoGroundTruthError,
    NotEnoughModelsError,
)
from pxwidgets.patterns.consensus.rows import FILTERS, RowQuery

__all__ = [
    'FILTERS',
    'ConfirmationRequiredError',
    'ConsensusError',
    'ConsensusMetrics',
    'ConsensusState',
    'LabelTypeError',
    'MixedKindsError',
    'ModelInUseError',
    'ModelInfo',
    'ModelNameError',
    'ModelNotFoundError',
    'MultiModelConsensus',
    'NoGroundTruthError',
    'NotEnoughModelsError',
    'RowQuery',
]
