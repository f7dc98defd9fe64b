"""Demo digit classifiers (scikit-learn, trained offline on the bundled ``load_digits``) as a Pixeltable UDF.

They live with the demo data they are trained on and only make sense on: each classifier is trained on the training
split of :mod:`pxwidgets.demo.digits` (never on its test rows) and saved to the demo cache, so a table whose columns
use :func:`classify_digit` keeps working after a kernel restart: the UDF loads the saved model (training it first if
it is not there yet). :func:`register_digit_classifiers` makes ``'classify_digit'`` a transform a consensus (or a
panel) can add by name; the demo's digits table registers it.

Example:
    >>> from pxwidgets.demo.classifiers import classify_digit, register_digit_classifiers, train_digit_classifier
    >>> path = train_digit_classifier('knn')  # doctest: +SKIP
    >>> t.add_computed_column(knn=classify_digit(t.image, model='knn'))  # doctest: +SKIP
    >>> register_digit_classifiers().name
    'classify_digit'
"""

from __future__ import annotations

import pickle
import threading
import time
from pathlib import Path
from typing import Any, cast

import numpy as np
import PIL.Image
import pixeltable as pxt
from pixeltable import exprs
from pixeltable.func import Batch

from pxwidgets.demo.cache import atomic_path, cache_dir
from pxwidgets.demo.digits import digit_rows
from pxwidgets.patterns.common.params import Param
from pxwidgets.patterns.common.registry import Registry, default_registry
from pxwidgets.patterns.common.transforms import Transform

DIGIT_MODELS = ('logreg', 'knn', 'forest', 'mlp', 'svc', 'naive_bayes')
"""The classifiers :func:`classify_digit` knows."""

_lock = threading.Lock()
_loaded: dict[str, Any] = {}


def _estimator(name: str) -> Any:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import GaussianNB
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    makers = {
        'logreg': lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
        'knn': lambda: KNeighborsClassifier(n_neighbors=3, algorithm='brute', n_jobs=1),
        'forest': lambda: RandomForestClassifier(n_estimators=60, random_state=0, n_jobs=1),
        'mlp': lambda: make_pipeline(StandardScaler(), MLPClassifier(max_iter=1000, random_state=0)),
        'svc': lambda: make_pipeline(StandardScaler(), CalibratedClassifierCV(SVC(random_state=0), ensemble=False)),
        'naive_bayes': lambda: GaussianNB(),
    }
    if name not in makers:
        raise ValueError(f'Unknown digit classifier {name!r}; known: {", ".join(DIGIT_MODELS)}.')
    return makers[name]()


def classifier_path(name: str) -> Path:
    """Where the trained classifier ``name`` is saved (in the demo cache).

    Example:
        >>> classifier_path('knn').name
        'knn.pkl'
    """
    if name not in DIGIT_MODELS:
        raise ValueError(f'Unknown digit classifier {name!r}; known: {", ".join(DIGIT_MODELS)}.')
    return cache_dir('classifiers', 'digits') / f'{name}.pkl'


def train_digit_classifier(name: str, *, force: bool = False) -> Path:
    """Train one classifier on the digits' training split and save it (atomically); returns its file.

    Args:
        name: One of ``DIGIT_MODELS``.
        force: Train again even if a saved model exists.

    Example:
        >>> train_digit_classifier('naive_bayes').suffix
        '.pkl'
    """
    path = classifier_path(name)
    with _lock:
        if path.is_file() and not force:
            return path
        rows = digit_rows(split='train', size=8)
        x = np.stack([r['pixels'] for r in rows])
        y = np.array([r['label'] for r in rows])
        model = _estimator(name)
        start = time.perf_counter()
        model.fit(x, y)
        model.pxw_fit_seconds = time.perf_counter() - start
        with atomic_path(path) as tmp:
            tmp.write_bytes(pickle.dumps(model))
        _loaded.pop(name, None)
    return path


def load_digit_classifier(name: str) -> Any:
    """The trained classifier ``name`` (trained and saved first if it is not in the cache)."""
    with _lock:
        model = _loaded.get(name)
    if model is not None:
        return model
    path = train_digit_classifier(name)
    model = pickle.loads(path.read_bytes())
    with _lock:
        _loaded[name] = model
    return model


def image_features(image: PIL.Image.Image) -> np.ndarray:
    """The 64 features scikit-learn's digits use (0 = white … 16 = ink), read back from a digit image.

    Inverts :func:`pxwidgets.demo.digits.digit_image`: the image is averaged over an 8×8 grid.

    Example:
        >>> row = digit_rows(1)[0]
        >>> bool(np.allclose(image_features(row['image']), row['pixels']))
        True
    """
    gray = np.asarray(image.convert('L').resize((64, 64), PIL.Image.Resampling.BOX), dtype=np.float64)
    blocks = gray.reshape(8, 8, 8, 8).mean(axis=(1, 3))
    return np.round((255.0 - blocks) * 16.0 / 255.0).reshape(64)


def predict_digits(images: list[PIL.Image.Image], model: str) -> list[dict[str, Any]]:
    """Plain-Python prediction of a batch (the UDF calls it): ``{'label', 'confidence', 'probs'}`` per image.

    Example:
        >>> predict_digits([digit_rows(1)[0]['image']], 'naive_bayes')[0]['label']
        0
    """
    if not images:
        return []
    clf = load_digit_classifier(model)
    features = np.stack([image_features(img) for img in images])
    all_probs = np.asarray(clf.predict_proba(features), dtype=float)
    classes = [int(c) for c in clf.classes_]
    result = []
    for probs in all_probs:
        best = int(np.argmax(probs))
        full = [0.0] * 10
        for c, p in zip(classes, probs, strict=True):
            full[c] = round(float(p), 6)
        result.append({'label': classes[best], 'confidence': round(float(probs[best]), 6), 'probs': full})
    return result


@pxt.udf(batch_size=64)
def classify_digit(image: Batch[PIL.Image.Image], *, model: str = 'logreg') -> Batch[dict]:
    """Classify hand-written digit images with a scikit-learn model trained on the bundled digits (offline).

    Args:
        image: A digit image (as :mod:`pxwidgets.demo.digits` renders them).
        model: One of ``DIGIT_MODELS``.

    Returns:
        ``{'label': 0-9, 'confidence': float, 'probs': [10 floats]}``.
    """
    return predict_digits(list(image), model)


def _classify(image: exprs.Expr, model: str) -> Any:
    return cast(Any, classify_digit)(image, model=model)


def digit_transform() -> Transform:
    """``classify_digit`` as a column transform (every classifier runs offline)."""
    return Transform(
        name='classify_digit',
        description='Classify a hand-written digit image (scikit-learn, trained on the bundled digits).',
        kind='column',
        input_type='image',
        params=(Param('model', 'choice', DIGIT_MODELS[0], 'Which classifier', choices=DIGIT_MODELS),),
        build=_classify,
        output_type='json',
        source='pxwidgets.demo.classifiers.classify_digit',
        builtin=True,
        notes='Trained once on the training split and cached; only meaningful on digit images.',
    )


def register_digit_classifiers(registry: Registry | None = None) -> Transform:
    """Add ``classify_digit`` to ``registry`` (default: the process-wide one every pattern and panel reads), unless
    it is there already; returns the transform.

    Example:
        >>> 'classify_digit' in default_registry() or register_digit_classifiers() is not None
        True
    """
    reg = registry if registry is not None else default_registry()
    if 'classify_digit' not in reg:
        reg.add(digit_transform(), replace=True)  # replace: another thread may have added the same one meanwhile
    return reg.get('classify_digit')
