"""What a stage is, and the metadata pxwidgets stores with it in Pixeltable's catalog.

Every stage is a real Pixeltable object: the source table, an iterator view, a filtered view, or a computed column of
one of them. Its role and parameters are kept in the ``custom_metadata`` of that view or column under the role
``'progressive.stage'``, so a pipeline can be rebuilt from the catalog alone after a kernel restart (and pipelines made
by hand, without that metadata, are read from their structure).

Example:
    >>> md = stage_metadata('faces', 'column', after='frames', transform='detect_faces', params={'min_size': 30})
    >>> read_stage_metadata(role_metadata(STAGE_ROLE, md))['transform']
    'detect_faces'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from pxwidgets.patterns.common.metadata import read_role

StageKind = Literal['source', 'iterator', 'filter', 'column']
"""``'source'``: the table a pipeline starts from; ``'iterator'``: a one-to-many view; ``'filter'``: a filtered view;
``'column'``: a computed column."""

STAGE_ROLE = 'progressive.stage'
"""The role a refinement stage plays in pxwidgets' catalog metadata (see ``patterns.common.metadata``)."""


@dataclass(frozen=True)
class Stage:
    """One stage of a pipeline, as read from the catalog.

    Attributes:
        name: Unique within the pipeline: the view's or the column's name.
        kind: ``'source'``, ``'iterator'``, ``'filter'`` or ``'column'``.
        table: Path of the table or view that holds the stage's rows.
        column: The computed column (``'column'`` stages), else ``None``.
        output: The column a following stage reads by default (``None`` if there is none).
        inputs: The stages it reads from directly (the lineage graph's edges point from these to it).
        requires: Every stage that must exist for it to exist (what it would lose if one were dropped).
        definition: Readable definition (``'frame_iterator(videos.video, fps=1.0)'``); empty for a source.
        transform: The registry transform it was made with, if any.
        params: That transform's parameters.
        after: The stage it was added after (recorded by pxwidgets; ``None`` for hand-made stages).
        managed: Whether pxwidgets made it (its metadata is in the catalog).
        problem: Why it cannot run any more (e.g. its UDF vanished with a kernel restart), else ``None``.
    """

    name: str
    kind: StageKind
    table: str
    column: str | None = None
    output: str | None = None
    inputs: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    definition: str = ''
    transform: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    after: str | None = None
    managed: bool = False
    problem: str | None = None

    @property
    def is_view(self) -> bool:
        """Whether the stage is a table or view of its own (not a column)."""
        return self.kind != 'column'

    def to_json(self) -> dict[str, Any]:
        """The stage as a JSON-able dict."""
        data = asdict(self)
        data['inputs'] = list(self.inputs)
        data['requires'] = list(self.requires)
        data['params'] = dict(self.params)
        return data


def stage_metadata(
    name: str,
    kind: StageKind,
    *,
    after: str | None,
    transform: str | None = None,
    params: Mapping[str, Any] | None = None,
    output: str | None = None,
) -> dict[str, Any]:
    """The data pxwidgets stores for a stage under its role (``'progressive.stage'``) in ``custom_metadata``."""
    return {
        'stage': name,
        'kind': kind,
        'after': after,
        'transform': transform,
        'params': dict(params or {}),
        'output': output,
    }


def read_stage_metadata(custom_metadata: Any) -> dict[str, Any] | None:
    """A view's or column's stage data (as the first release or this one wrote it), or ``None`` if it has none.

    Example:
        >>> read_stage_metadata({'other': 1}) is None
        True
    """
    return read_role(custom_metadata, STAGE_ROLE)
