"""The exceptions of the consensus pattern; each refuses before anything is written (the table version is unchanged).

Example:
    >>> MixedKindsError('x').code
    'mixed_kinds'
"""

from __future__ import annotations

from pxwidgets.errors import InvalidRequestError, NotFoundError, PxWidgetsError


class ConsensusError(PxWidgetsError):
    """Base class of the consensus pattern's refusals."""

    code = 'consensus'


class MixedKindsError(ConsensusError, InvalidRequestError):
    """A model's output kind (labels, detections, text) differs from the consensus's."""

    code = 'mixed_kinds'


class LabelTypeError(ConsensusError, InvalidRequestError):
    """A model's labels are of another type (number, string, bool) than the consensus's: they could never agree."""

    code = 'label_type'


class ModelNameError(ConsensusError, InvalidRequestError):
    """A model name that is invalid, taken by another model, or collides with a column the model would add."""

    code = 'invalid_name'


class ModelNotFoundError(ConsensusError, NotFoundError):
    """The consensus has no model of that name."""

    code = 'not_found'  # ConsensusError's code comes first in the method resolution order


class NotEnoughModelsError(ConsensusError):
    """The action needs more models than the consensus has (a consensus or a kappa needs two)."""

    code = 'not_enough_models'


class NoGroundTruthError(ConsensusError):
    """The action needs a ground-truth column and the consensus has none."""

    code = 'no_ground_truth'


class ModelInUseError(ConsensusError):
    """A model column cannot be removed: columns outside the consensus read it."""

    code = 'in_use'


class ConfirmationRequiredError(ConsensusError):
    """A destructive action was asked for without the confirmed plan (``details['plan']`` is the plan to confirm)."""

    code = 'confirm'
