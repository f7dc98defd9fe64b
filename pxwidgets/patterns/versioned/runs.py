"""One run of an experiment as the library shows it (:class:`Run`), and the checks of what a run is given and
returns: JSON parameters, numeric or string metrics, a setup function that can be found again after a restart.

Example:
    >>> run = exp.get(2)  # doctest: +SKIP
    >>> run.path, run.status, run.metrics  # doctest: +SKIP
    ('demo/faces/v2', 'ok', {'n_faces': 41})
"""

from __future__ import annotations

import importlib
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

import pixeltable as pxt

from pxwidgets.errors import InvalidRequestError
from pxwidgets.patterns.versioned.errors import TagError, UnknownVersionError
from pxwidgets.patterns.versioned.records import RunInfo
from pxwidgets.patterns.versioned.registry import ADOPTED, RunRecord, RunState
from pxwidgets.tables.resolve import open_table

Setup = Callable[..., Any]
"""``setup(path, **params)`` builds one version under directory ``path`` and returns its result table, or
``(table, metrics)``."""
MetricsFn = Callable[[pxt.Table], Mapping[str, Any]]


@dataclass(frozen=True, kw_only=True)
class Run(RunState):
    """One run (version) of an experiment: what its registry records (:class:`RunState`), and where it stands."""

    experiment: str
    latest: bool
    """The newest successful run that was not dropped."""
    adopted: bool = False
    """Made by hand and adopted (:meth:`VersionedExperiment.adopt`): no setup ran it."""

    @property
    def path(self) -> str:
        """The version's directory (an adopted table ``faces_v1`` has none: see :attr:`in_place`)."""
        return f'{self.experiment}/v{self.version}'

    @property
    def in_place(self) -> bool:
        """An adopted run whose tables are where the user made them (``lab/faces_v1``), not under :attr:`path`:
        its tables are :attr:`tables`, and cleanup drops those."""
        return self.adopted and bool(self.tables) and not all(t.startswith(f'{self.path}/') for t in self.tables)

    @property
    def table(self) -> pxt.Table:
        """The result table of the run."""
        if self.result is None or self.dropped:
            why = 'was dropped' if self.dropped else f'has no result table ({self.status})'
            raise UnknownVersionError(f'Version {self.version} of {self.experiment!r} {why}.')
        return open_table(self.result)

    def to_json(self) -> RunInfo:
        return {
            'version': self.version,
            'status': self.status,
            'params': _json_safe(self.params),
            'metrics': _json_safe(self.metrics),
            'started_at': self.started_at.isoformat() if self.started_at else None,
            'duration_s': self.duration_s,
            'result': self.result,
            'tables': list(self.tables),
            'error': self.error,
            'promoted': self.promoted,
            'latest': self.latest,
            'dropped': self.dropped,
            'adopted': self.adopted,
            'tags': list(self.tags),
        }


_FROM_RECORD = tuple(f.name for f in fields(RunState))
"""The fields a run takes from its registry record as they are."""


def to_runs(name: str, records: list[RunRecord]) -> list[Run]:
    """The runs of experiment ``name`` from its registry's records; the newest successful one not dropped is
    latest."""
    latest = max((r.version for r in records if r.status == 'ok' and not r.dropped), default=None)
    return [
        Run(
            experiment=name,
            latest=rec.version == latest,
            adopted=rec.owner == ADOPTED,
            **{f: getattr(rec, f) for f in _FROM_RECORD},
        )
        for rec in records
    ]


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def setup_ref(setup: Setup | None) -> str | None:
    """``'module:qualname'`` of a function defined in a module (``None`` for a notebook's or a local function)."""
    if setup is None:
        return None
    module = getattr(setup, '__module__', None)
    qualname = getattr(setup, '__qualname__', None)
    if not module or not qualname or module == '__main__' or '<' in qualname:
        return None
    return f'{module}:{qualname}'


def import_setup(ref: str | None) -> Setup | None:
    """The function a :func:`setup_ref` names, or ``None`` if it cannot be imported any more."""
    if not ref:
        return None
    module, _, qualname = ref.partition(':')
    try:
        obj: Any = importlib.import_module(module)
        for part in qualname.split('.'):
            obj = getattr(obj, part)
    except (ImportError, AttributeError):
        return None
    return obj if callable(obj) else None


def check_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """The run's parameters as JSON values.

    Raises:
        InvalidRequestError: A parameter is not a JSON value.
    """
    try:
        return dict(json.loads(json.dumps(dict(params))))
    except (TypeError, ValueError) as exc:
        raise InvalidRequestError(
            f'Run parameters must be JSON values (numbers, strings, lists, dicts): {exc}.',
            hint='Pass a model by its name, not the model object.',
        ) from None


TAG = re.compile(r'^[A-Za-z][A-Za-z0-9_.-]{0,63}$')
RESERVED_TAGS = ('latest',)


def check_tag(name: Any) -> str:
    """A tag name: a letter, then up to 63 letters, digits, ``_``, ``.`` or ``-``; ``latest`` is reserved.

    Raises:
        TagError: Any other name.
    """
    if not isinstance(name, str) or not TAG.match(name):
        raise TagError(
            f'A tag is a name such as "baseline" or "prod-2", not {name!r}.',
            hint='A letter, then letters, digits, "_", "." or "-" (at most 64).',
        )
    if name in RESERVED_TAGS:
        raise TagError(f'{name!r} is reserved: the experiment marks its latest version itself.')
    return name


def check_metrics(metrics: Any) -> dict[str, Any]:
    """Metrics as numbers or strings (booleans as 0/1, numpy scalars as Python numbers, NaN as ``None``).

    Raises:
        TypeError: Not a dict, or a value that is neither a number nor a string.
    """
    if metrics is None:
        return {}
    if not isinstance(metrics, Mapping):
        raise TypeError(f'metrics must be a dict of numbers, not {type(metrics).__name__}')
    out: dict[str, Any] = {}
    for key, value in metrics.items():
        if isinstance(value, bool):
            value = int(value)
        if hasattr(value, 'item'):  # numpy scalars
            value = value.item()
        if isinstance(value, float) and not math.isfinite(value):
            value = None
        if value is not None and not isinstance(value, int | float | str):
            raise TypeError(f'metric {key!r} must be a number or a string, not {type(value).__name__}')
        out[str(key)] = value
    return out
