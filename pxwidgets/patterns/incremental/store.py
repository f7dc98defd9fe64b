"""The tables an evaluation owns, in a directory of its own next to the evaluated table.

``<dir>/settings`` holds one row: the editable settings (window, reference, thresholds). Its table-level metadata,
under the role ``incremental.evaluation``, holds what is fixed at creation (the evaluated table and its columns).
``<dir>/windows`` holds one row per window: counts, metrics, distributions and drift statistics, and a fingerprint of
the inputs they were computed from (so a refresh recomputes only the windows whose rows changed).
``<dir>/alerts`` holds one row per alert, written once. ``<dir>/snapshots/`` holds frozen states, listed in
``<dir>/snapshot_index`` (Pixeltable 0.7.21 keeps no ``custom_metadata`` on snapshots).

Example:
    >>> store = Store.create('demo/preds_eval', spec, settings)  # doctest: +SKIP
    >>> Store.open('demo/preds_eval').settings().window.text  # doctest: +SKIP
    '1h'
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd
import pixeltable as pxt

from pxwidgets.patterns.common.metadata import read_role, role_metadata
from pxwidgets.patterns.incremental.config import Settings
from pxwidgets.patterns.incremental.errors import EvaluationNotFoundError
from pxwidgets.tables.internals import table_version

ROLE = 'incremental.evaluation'
"""Role of the settings table: the evaluation's fixed definition."""
ROLE_CORRECT = 'incremental.correct'
"""Role of the per-row correctness column on the evaluated table."""
ROLE_KEY = 'incremental.key'
"""Role of the window-key column (epoch seconds of the timestamp) on the evaluated table."""
ROLE_DIGEST = 'incremental.digest'
"""Role of the per-row digest of a detection match (summed per window in SQL to find the windows that changed)."""
SNAPSHOT_SCHEMA: dict[str, Any] = {
    'name': pxt.String,
    'windows': pxt.String,
    'rows': pxt.String,
    'created_at': pxt.Timestamp,
    'table_version': pxt.Int,
    'settings': pxt.Json,
}
"""One row per snapshot: the paths of the frozen window table and evaluated rows, and the settings then."""

WINDOW_SCHEMA: dict[str, Any] = {
    'bucket': pxt.Int,
    'width': pxt.Int,
    'label': pxt.String,
    'start': pxt.Timestamp | None,
    'rows': pxt.Int,
    'pending': pxt.Int,
    'unpredicted': pxt.Int,
    'labeled': pxt.Int,
    'correct': pxt.Int,
    'accuracy': pxt.Float | None,
    'precision': pxt.Float | None,
    'recall': pxt.Float | None,
    'f1': pxt.Float | None,
    'map50': pxt.Float | None,
    'map': pxt.Float | None,
    'errors': pxt.Int | None,
    'estimated_accuracy': pxt.Float | None,
    'per_class': pxt.Json | None,
    'confusion': pxt.Json | None,
    'predictions': pxt.Json | None,
    'labels': pxt.Json | None,
    'drift': pxt.Json | None,
    'fingerprint': pxt.String,
    'computed_at': pxt.Timestamp,
}
"""One row per window (``bucket`` = key // width). ``confusion``/``predictions``/``labels`` are ``[[value(s), n]]``.
``map50``/``map`` (COCO mAP at IoU 0.5 and 0.5:0.95) and ``errors`` (rows that cannot be scored) are for detections;
``estimated_accuracy`` is the accuracy expected from the confidences (before labels arrive). Stores made before these
columns existed keep working without them."""

ALERT_SCHEMA: dict[str, Any] = {
    'alert_id': pxt.String,
    'bucket': pxt.Int,
    'width': pxt.Int,
    'window': pxt.String,
    'start': pxt.Timestamp | None,
    'statistic': pxt.String,
    'column': pxt.String,
    'value': pxt.Float | None,
    'threshold': pxt.Float | None,
    'message': pxt.String,
    'raised_at': pxt.Timestamp,
}
"""One row per alert; ``alert_id`` (window, statistic, column) makes each alert unique."""


@dataclass(frozen=True)
class Spec:
    """What an evaluation is, fixed at creation."""

    name: str
    table: str
    prediction: str
    ground_truth: str
    correct: str
    timestamp: str | None
    key: str | None
    order: str | None
    numeric: tuple[str, ...]
    label_type: str
    """``'int'`` or ``'string'`` (classes), or ``'detections'`` (``{'bboxes', 'labels', 'scores'}`` JSON)."""
    digest: str | None = None
    """Detections: the per-row digest column of the match (see :func:`~pxwidgets.functions.boxes.row_digest`)."""
    image_size: tuple[str, ...] = ()
    """Detections: the image column, or the width and height columns, boxes must lie inside (empty: unchecked)."""
    confidence: str | None = None
    """The prediction's confidence column, if any: it estimates each window's accuracy before labels arrive."""

    @property
    def detections(self) -> bool:
        return self.label_type == 'detections'

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data['numeric'] = list(self.numeric)
        data['image_size'] = list(self.image_size)
        return data

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Spec:
        return Spec(
            **{
                **dict(data),
                'numeric': tuple(data.get('numeric') or ()),
                'image_size': tuple(data.get('image_size') or ()),
            }
        )


def get_table(path: str) -> pxt.Table:
    """``pxt.get_table`` typed as never ``None`` (it raises when there is no table)."""
    tbl = pxt.get_table(path)
    assert tbl is not None
    return tbl


def _now() -> datetime.datetime:
    return datetime.datetime.now(tz=datetime.UTC)


class Store:
    """Reads and writes the evaluation's own tables (never the evaluated table). Table handles are kept; rows are
    always read from the catalog."""

    def __init__(self, dir: str, spec: Spec) -> None:
        self.dir = dir
        self.spec = spec
        self.reference_cache: tuple[str, dict[str, Any]] | None = None
        """The reference's counts and numeric values and the digest they belong to (a cache, checked against the
        catalog at every refresh)."""
        self.pool_cache: dict[int, tuple[str, dict[str, Any], dict[Any, int]]] = {}
        """The latest windows' ``(digest, numeric values, confusion cells)``, for the pooled drift tests of the next
        windows (a cache, used while a window's digest holds)."""
        self.aggregate_cache: tuple[int, Any, Any] | None = None
        """``(table version, window, Aggregate)`` of the last refresh: the next one aggregates only the windows whose
        rows changed since that version (a cache; a new session starts with a full aggregation)."""
        self._windows_read: tuple[int, tuple[str, ...], dict[int, dict[str, Any]], set[int]] | None = None
        """``(window table version, columns, rows by window, windows to read again)``: the stored windows as last
        read, with the windows this session wrote since left to read (a cache, used while the version holds)."""
        self._alerts_read: tuple[int, frozenset[str]] | None = None
        """``(alert table version, alert ids)`` (a cache, used while the version holds)."""
        self.window_index_checked = False
        """Whether this session made sure the window column has its B-tree index (see
        :func:`~pxwidgets.patterns.incremental.refresh.index_window_column`)."""

    @classmethod
    def create(cls, dir: str, spec: Spec, settings: Settings) -> Store:
        """Make the directory and the three tables (the caller has validated everything)."""
        pxt.create_dir(dir, parents=True, if_exists='ignore')
        md = role_metadata(ROLE, spec.to_json())
        tbl = pxt.create_table(
            f'{dir}/settings',
            {'settings': pxt.Json, 'updated_at': pxt.Timestamp, 'state': pxt.Json | None},
            custom_metadata=md,
            comment=f'pxwidgets incremental evaluation {spec.name!r} of {spec.table}',
        )
        tbl.insert([{'settings': settings.to_json(), 'updated_at': _now()}])
        pxt.create_table(f'{dir}/windows', WINDOW_SCHEMA, primary_key='bucket', comment='metrics and drift per window')
        pxt.create_table(f'{dir}/alerts', ALERT_SCHEMA, primary_key='alert_id', comment='alerts, one row each')
        return cls(dir, spec)

    @classmethod
    def open(cls, dir: str) -> Store:
        """The store at ``dir``.

        Raises:
            EvaluationNotFoundError: If ``dir`` holds no evaluation.
        """
        try:
            tbl = get_table(f'{dir}/settings')
        except pxt.Error:
            raise EvaluationNotFoundError(f'No incremental evaluation at {dir!r}.') from None
        data = read_role(tbl.get_metadata().get('custom_metadata'), ROLE)
        if data is None:
            raise EvaluationNotFoundError(f'{dir}/settings is not the settings table of an incremental evaluation.')
        return cls(dir, Spec.from_json(data))

    # ---- tables -------------------------------------------------------------------------------------------------

    @functools.cached_property
    def settings_table(self) -> pxt.Table:
        return get_table(f'{self.dir}/settings')

    @functools.cached_property
    def windows_table(self) -> pxt.Table:
        return get_table(f'{self.dir}/windows')

    @functools.cached_property
    def alerts_table(self) -> pxt.Table:
        return get_table(f'{self.dir}/alerts')

    # ---- settings -----------------------------------------------------------------------------------------------

    def settings(self) -> Settings:
        return self.read()[0]

    def read(self) -> tuple[Settings, dict[str, Any]]:
        """The settings and the state of the last complete refresh (one query)."""
        tbl = self.settings_table
        row = tbl.select(s=tbl.settings, state=tbl.state).collect()[0]
        return Settings.from_json(row['s']), dict(row['state'] or {})

    def save_state(self, state: Mapping[str, Any]) -> None:
        """Remember what the last complete refresh saw (the table version and the settings it used)."""
        self.settings_table.update({'state': dict(state)})

    def save_settings(self, settings: Settings) -> None:
        tbl = self.settings_table
        tbl.update({'settings': settings.to_json(), 'updated_at': _now()})

    # ---- windows ------------------------------------------------------------------------------------------------

    def window_rows(self, columns: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """Every stored window (only ``columns``, if given), in window order."""
        tbl = self.windows_table
        query = tbl.order_by(tbl.bucket)
        if columns is not None:
            query = query.select(*[tbl[c] for c in columns])
        return list(query.collect())

    def stored_windows(self, columns: Sequence[str], *, cached: bool = False) -> dict[int, dict[str, Any]]:
        """Every stored window's ``columns`` by window, in window order, as stored: read once, then only the
        windows this session wrote since (one query over just those), while no one else wrote the window table.
        Read inside a transaction over the window table (:func:`~pxwidgets.tables.internals.read_transaction`),
        so that its version is the catalog's, with ``cached=True`` (else every window is read).

        Example:
            >>> store.stored_windows(['bucket', 'fingerprint'])[490896]['fingerprint']  # doctest: +SKIP
            '3f1c…'
        """
        tbl = self.windows_table
        version, names, last = table_version(tbl), tuple(columns), self._windows_read
        if not cached or last is None or last[0] != version or last[1] != names:
            rows = {int(r['bucket']): r for r in self.window_rows(names)}
        else:
            rows = dict(last[2])
            if last[3]:
                query = tbl.where(tbl.bucket.isin(sorted(last[3]))).select(*[tbl[c] for c in names])
                rows.update({int(r['bucket']): r for r in query.collect()})
            rows = dict(sorted(rows.items()))
        self._windows_read = (version, names, rows, set())
        return {b: dict(r) for b, r in rows.items()}

    def replace_windows(self, rows: list[dict[str, Any]], remove: Iterable[int]) -> None:
        """Write ``rows`` (new or recomputed windows, one upsert) and delete windows ``remove`` (gone)."""
        tbl = self.windows_table
        gone = sorted(set(remove))
        cached, self._windows_read = self._windows_read, None
        if gone:
            tbl.delete(where=tbl.bucket.isin(gone))
        if rows:
            columns = self.window_columns
            tbl.batch_update([{k: v for k, v in r.items() if k in columns} for r in rows], if_not_exists='insert')
        if cached is None:
            return
        # the stored windows stay known if these writes were the only ones since they were read: a version for the
        # delete, one for the update, one more for the new windows it inserts
        written = {int(r['bucket']) for r in rows}
        new = written - set(cached[2]) - cached[3]
        if table_version(tbl) == cached[0] + bool(gone) + bool(rows) + bool(new):
            kept = {b: r for b, r in cached[2].items() if b not in written and b not in gone}
            self._windows_read = (table_version(tbl), cached[1], kept, (cached[3] | written) - set(gone))

    @functools.cached_property
    def window_columns(self) -> frozenset[str]:
        """The window table's columns (a store made by an older version lacks the newer ones)."""
        return frozenset(self.windows_table.columns())

    def windows_frame(self) -> pd.DataFrame:
        tbl = self.windows_table
        return tbl.order_by(tbl.bucket).collect().to_pandas()

    @functools.cached_property
    def snapshot_index(self) -> pxt.Table:
        """The list of snapshots (made with the first snapshot, with the ``snapshots`` directory)."""
        pxt.create_dir(f'{self.dir}/snapshots', if_exists='ignore')
        tbl = pxt.create_table(
            f'{self.dir}/snapshot_index',
            SNAPSHOT_SCHEMA,
            primary_key='name',
            comment='snapshots taken',
            if_exists='ignore',
        )
        assert tbl is not None
        return tbl

    def has_snapshots(self) -> bool:
        return f'{self.dir}/snapshot_index' in pxt.list_tables(self.dir, recursive=False)

    # ---- alerts -------------------------------------------------------------------------------------------------

    def alert_ids(self, *, cached: bool = False) -> set[str]:
        """Every alert's id (read again only when the alert table's version moved since this session read or
        wrote it, with ``cached=True`` inside a transaction over the alert table)."""
        tbl = self.alerts_table
        version = table_version(tbl)
        if not cached or self._alerts_read is None or self._alerts_read[0] != version:
            self._alerts_read = (version, frozenset(str(r['alert_id']) for r in tbl.select(tbl.alert_id).collect()))
        return set(self._alerts_read[1])

    def add_alerts(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            tbl = self.alerts_table
            known, self._alerts_read = self._alerts_read, None
            tbl.insert(rows)
            if known is not None and table_version(tbl) == known[0] + 1:  # no one else wrote it since it was read
                self._alerts_read = (known[0] + 1, known[1] | {str(r['alert_id']) for r in rows})

    def alerts_frame(self) -> pd.DataFrame:
        tbl = self.alerts_table
        return tbl.order_by(tbl.raised_at, tbl.start, tbl.bucket).collect().to_pandas()
