"""What an evaluation is: its columns (fixed at creation) and its settings (window, reference, thresholds; editable).

Drift is decided by default by the *sample-size rule*: a window's Jensen-Shannon distance (classes) or normed
Wasserstein distance (numbers) alerts when it exceeds what that statistic reaches without drift for a window of that
many values — or when the window pooled with the 1 or 3 windows before it exceeds the limit for that many values —
the tests together alerting on at most ``false_alarm_rate`` of undrifted windows (see
:mod:`~pxwidgets.patterns.incremental.nulls`). Evidently's
rule stays available as ``drift_rule='evidently'``, with the established tools' thresholds (Evidently and NannyML):
population stability index 0.1, Jensen-Shannon distance 0.1, Kolmogorov-Smirnov p-value 0.05, normed Wasserstein
distance 0.1; numeric drift decided by KS up to 1,000 reference values and by Wasserstein above.

Example:
    >>> validate_thresholds({'psi': 0.2})['psi'], DEFAULT_THRESHOLDS['ks_pvalue']
    (0.2, 0.05)
    >>> parse_window('15min').seconds, parse_window('500 rows').size
    (900, 500)
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from pxwidgets.patterns.common.params import Param, ParamSet
from pxwidgets.patterns.incremental.errors import InvalidReferenceError, InvalidWindowError

THRESHOLD_PARAMS = ParamSet(
    (
        Param(
            'psi',
            'float',
            0.1,
            'Population stability index at or above which a distribution has drifted.',
            exclusive_minimum=0,
            maximum=10,
        ),
        Param(
            'js',
            'float',
            0.1,
            'Jensen-Shannon distance (natural log, 0-0.83) at or above which it has drifted.',
            exclusive_minimum=0,
            maximum=1,
        ),
        Param(
            'ks_pvalue',
            'float',
            0.05,
            'Kolmogorov-Smirnov p-value below which a numeric column has drifted.',
            exclusive_minimum=0,
            maximum=0.5,
        ),
        Param(
            'wasserstein',
            'float',
            0.1,
            'Wasserstein distance divided by the reference standard deviation, at or above which it has drifted.',
            exclusive_minimum=0,
            maximum=100,
        ),
        Param(
            'numeric_test',
            'choice',
            'auto',
            'Which test decides numeric drift: auto = Kolmogorov-Smirnov up to 1,000 reference values, Wasserstein '
            "above (Evidently's rule), or ks, wasserstein, both.",
            choices=('auto', 'ks', 'wasserstein', 'both'),
        ),
        Param(
            'drift_rule',
            'choice',
            'sample_size',
            'How drift is decided: sample_size = the Jensen-Shannon (classes) or Wasserstein (numbers) distance above '
            'its own no-drift range for a window of that size (estimated by resampling the reference); evidently = '
            "Evidently's fixed thresholds above (psi, js, wasserstein, ks_pvalue with numeric_test).",
            choices=('sample_size', 'evidently'),
        ),
        Param(
            'false_alarm_rate',
            'float',
            0.02,
            'sample_size rule: the share of undrifted windows allowed to alert, per column (0.02 = 2 in 100), split '
            'between the window alone (half) and the window pooled with the 1 and 3 before it (a quarter each).',
            exclusive_minimum=0,
            maximum=0.5,
        ),
        Param(
            'min_accuracy',
            'float',
            None,
            "Alert when a window's accuracy falls below this (off when empty).",
            minimum=0,
            maximum=1,
            nullable=True,
        ),
        Param(
            'min_f1',
            'float',
            None,
            "Alert when a window's macro F1 falls below this (off when empty).",
            minimum=0,
            maximum=1,
            nullable=True,
        ),
        Param(
            'min_rows',
            'int',
            30,
            'Windows with fewer rows raise no drift alerts (too few to tell).',
            minimum=1,
            maximum=1_000_000,
        ),
        Param(
            'page_hinkley',
            'float',
            None,
            'Page-Hinkley threshold on the accuracy stream of complete windows (off when empty).',
            exclusive_minimum=0,
            maximum=100,
            nullable=True,
        ),
        Param(
            'adwin_delta',
            'float',
            None,
            'ADWIN confidence on the per-row correctness stream (off when empty; 0.002 is usual).',
            exclusive_minimum=0,
            maximum=1,
            nullable=True,
        ),
    ),
    owner='thresholds',
)
"""Every threshold, its default, range and meaning (a panel builds its form from ``to_json()`` of each)."""

DEFAULT_THRESHOLDS: dict[str, Any] = THRESHOLD_PARAMS.validate({})


def validate_thresholds(values: Mapping[str, Any] | None, base: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Thresholds checked for type and range, missing ones taken from ``base`` (default: the defaults).

    Raises:
        InvalidParameterError: Listing each wrong, out-of-range or unknown threshold.
    """
    if values is not None and not isinstance(values, Mapping):
        return THRESHOLD_PARAMS.validate(values)  # refuses it with a clear message
    return THRESHOLD_PARAMS.validate({**(base if base is not None else DEFAULT_THRESHOLDS), **(values or {})})


_UNITS = {'s': 1, 'sec': 1, 'min': 60, 'm': 60, 'h': 3600, 'hour': 3600, 'd': 86400, 'day': 86400, 'w': 604800}
_WINDOW_RE = re.compile(r'^\s*(\d+)\s*([a-z]+)\s*$')


@dataclass(frozen=True)
class Window:
    """How rows are grouped into windows: by time (``seconds``) or by ``size`` consecutive values of an integer column.

    Attributes:
        kind: ``'time'`` or ``'rows'``.
        text: As the user wrote it (``'1h'``, ``'500 rows'``).
        seconds: Window length of a time window.
        size: Rows per window of a row window (consecutive values of the order column).
    """

    kind: Literal['time', 'rows']
    text: str
    seconds: int = 0
    size: int = 0

    @property
    def width(self) -> int:
        """The width in key units: window ``b`` holds keys ``[b * width, (b + 1) * width)``."""
        return self.seconds if self.kind == 'time' else self.size

    def label(self, bucket: int) -> str:
        """A window's name for people (``'2026-01-01 13:00'`` or ``'rows 500-999'``)."""
        if self.kind == 'rows':
            return f'rows {bucket * self.size}-{(bucket + 1) * self.size - 1}'
        start = self.start(bucket)
        assert start is not None
        return start.strftime('%Y-%m-%d' if self.seconds % 86400 == 0 else '%Y-%m-%d %H:%M')

    def start(self, bucket: int) -> datetime.datetime | None:
        """A time window's first instant (UTC); ``None`` for row windows."""
        if self.kind == 'rows':
            return None
        return datetime.datetime.fromtimestamp(bucket * self.seconds, tz=datetime.UTC)


def parse_window(spec: Any) -> Window:
    """Read a window size: ``'15min'``, ``'1h'``, ``'1d'``, ``'7d'``, a ``datetime.timedelta``, or ``'500 rows'``.

    Raises:
        InvalidWindowError: For anything else, or sizes that are not positive.
    """
    if isinstance(spec, Window):
        return spec
    if isinstance(spec, datetime.timedelta):
        seconds = int(spec.total_seconds())
        if seconds <= 0 or seconds != spec.total_seconds():
            raise InvalidWindowError(f'A window must be a positive whole number of seconds, got {spec}.')
        return Window('time', f'{seconds}s', seconds=seconds)
    if not isinstance(spec, str):
        raise InvalidWindowError(
            f"A window is a string like '1h', '15min', '1d' or '500 rows', not {type(spec).__name__}."
        )
    match = _WINDOW_RE.match(spec.lower())
    if match is None:
        raise InvalidWindowError(f"Cannot read the window {spec!r}: write e.g. '1h', '15min', '1d' or '500 rows'.")
    amount, unit = int(match.group(1)), match.group(2)
    if amount <= 0:
        raise InvalidWindowError(f'A window must be larger than 0, got {spec!r}.')
    if unit in ('row', 'rows'):
        return Window('rows', f'{amount} rows', size=amount)
    factor = _UNITS.get(unit.rstrip('s') if unit not in _UNITS else unit)
    if factor is None:
        raise InvalidWindowError(f'Unknown unit {unit!r} in window {spec!r}: use s, min, h, d, w or rows.')
    return Window('time', f'{amount}{unit}', seconds=amount * factor)


@dataclass(frozen=True)
class Reference:
    """What each window is compared with.

    Attributes:
        kind: ``'first'`` (the first window, the default), ``'window'`` (the window starting at ``start``, or row
            window number ``bucket``), ``'range'`` (rows with ``start <= timestamp < end``), ``'snapshot'`` (every row
            of a Pixeltable snapshot of the evaluated table at ``path``).
    """

    kind: Literal['first', 'window', 'range', 'snapshot'] = 'first'
    start: str | None = None
    end: str | None = None
    bucket: int | None = None
    path: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def describe(self) -> str:
        if self.kind == 'first':
            return 'the first window'
        if self.kind == 'window':
            return f'window {self.start}' if self.start else f'window #{self.bucket}'
        if self.kind == 'range':
            return f'{self.start} to {self.end}'
        return f'snapshot {self.path}'


def _iso(value: Any, what: str) -> str:
    if isinstance(value, datetime.datetime):
        dt = value
    elif isinstance(value, datetime.date):
        dt = datetime.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            dt = datetime.datetime.fromisoformat(value)
        except ValueError:
            raise InvalidReferenceError(f'The reference {what} {value!r} is not an ISO date or time.') from None
    else:
        raise InvalidReferenceError(
            f'The reference {what} must be a date, time or ISO string, not {type(value).__name__}.'
        )
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.UTC)
    return dt.astimezone(datetime.UTC).isoformat()


def parse_reference(spec: Any) -> Reference:
    """Read a reference: ``None``/``'first'``, a window start (datetime / ISO string), a row-window number (int),
    a ``(start, end)`` pair, ``{'snapshot': path}``, or the dict a :class:`Reference` writes.

    Raises:
        InvalidReferenceError: For anything else, or a range whose end is not after its start.
    """
    if spec is None or spec == 'first':
        return Reference()
    if isinstance(spec, Reference):
        return spec
    if isinstance(spec, bool):
        raise InvalidReferenceError('A reference cannot be a boolean.')
    if isinstance(spec, int):
        if spec < 0:
            raise InvalidReferenceError(f'A row-window number must be >= 0, got {spec}.')
        return Reference('window', bucket=spec)
    if isinstance(spec, (str, datetime.datetime, datetime.date)):
        return Reference('window', start=_iso(spec, 'window start'))
    if isinstance(spec, (tuple, list)) and len(spec) == 2:
        start, end = _iso(spec[0], 'start'), _iso(spec[1], 'end')
        if end <= start:
            raise InvalidReferenceError(f'The reference range ends ({end}) before it starts ({start}).')
        return Reference('range', start=start, end=end)
    if isinstance(spec, Mapping):
        if set(spec) == {'snapshot'}:
            return Reference('snapshot', path=str(spec['snapshot']))
        kind = spec.get('kind')
        if kind == 'first':
            return Reference()
        if kind == 'window':
            if spec.get('bucket') is not None:
                return parse_reference(int(spec['bucket']))
            return parse_reference(spec.get('start'))
        if kind == 'range':
            return parse_reference((spec.get('start'), spec.get('end')))
        if kind == 'snapshot' and isinstance(spec.get('path'), str):
            return Reference('snapshot', path=spec['path'])
    raise InvalidReferenceError(
        f'Cannot read the reference {spec!r}: give a window start, a (start, end) pair, a row-window number, '
        "{'snapshot': path} or None for the first window."
    )


@dataclass(frozen=True)
class Settings:
    """The editable part of an evaluation, kept in a one-row table the evaluation owns."""

    window: Window
    reference: Reference = field(default_factory=Reference)
    thresholds: Mapping[str, Any] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))

    def to_json(self) -> dict[str, Any]:
        return {
            'window': self.window.text,
            'reference': self.reference.to_json(),
            'thresholds': dict(self.thresholds),
        }

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Settings:
        return Settings(
            window=parse_window(data['window']),
            reference=parse_reference(data.get('reference')),
            thresholds=validate_thresholds(data.get('thresholds') or {}),
        )
