"""The models a consensus can add by name: the shared transform registry plus the offline digit classifiers.

Example:
    >>> reg = model_registry()
    >>> reg.get('classify_digit').params[0].choices[:2]
    ('logreg', 'knn')
"""

from __future__ import annotations

from typing import Any, cast

from pixeltable import exprs

from pxwidgets.functions.classifiers import DIGIT_MODELS, classify_digit
from pxwidgets.patterns.common.params import Param
from pxwidgets.patterns.common.registry import Registry, default_registry
from pxwidgets.patterns.common.transforms import Transform


def _classify(image: exprs.Expr, model: str) -> Any:
    return cast(Any, classify_digit)(image, model=model)


def consensus_transforms() -> list[Transform]:
    """The model transforms this pattern adds to the shared registry (every one runs offline)."""
    return [
        Transform(
            name='classify_digit',
            description='Classify a hand-written digit image (scikit-learn, trained on the bundled digits).',
            kind='column',
            input_type='image',
            params=(Param('model', 'choice', DIGIT_MODELS[0], 'Which classifier', choices=DIGIT_MODELS),),
            build=_classify,
            output_type='json',
            source='pxwidgets.functions.classifiers.classify_digit',
            builtin=True,
            notes='Trained once on the training split and cached; only meaningful on digit images.',
        )
    ]


def model_registry(base: Registry | None = None) -> Registry:
    """A copy of ``base`` (default: the process-wide registry) with this pattern's model transforms added."""
    reg = (base if base is not None else default_registry()).copy()
    for transform in consensus_transforms():
        if transform.name not in reg:
            reg.add(transform)
    return reg
