"""Versioned experiments: keep every run, mark the latest, compare any two, clean up only what is asked; and the
same for Pixeltable's own table versions (history, row diff, snapshot, revert).

Example:
    >>> from pxwidgets.patterns.versioned import VersionedExperiment, TableVersions
    >>> exp = VersionedExperiment('demo/faces', setup)  # doctest: +SKIP
    >>> exp.run(threshold=0.5)  # doctest: +SKIP
    >>> TableVersions('demo/photos').diff(3, 5)  # doctest: +SKIP
"""

from __future__ import annotations

from pxwidgets.patterns.versioned.adopt import AdoptionError
from pxwidgets.patterns.versioned.compare import Comparison, TableComparison, compare_tables
from pxwidgets.patterns.versioned.diffstat import DiffStat, diff_stat
from pxwidgets.patterns.versioned.errors import (
    DiffNotSupportedError,
    ExperimentNameError,
    HasDependentsError,
    IncomparableError,
    NotAnExperimentError,
    SetupFailedError,
    SetupMissingError,
    TagError,
    UnknownVersionError,
)
from pxwidgets.patterns.versioned.experiment import Run, VersionedExperiment
from pxwidgets.patterns.versioned.rowdiff import RowChange, RowDiff, diff_snapshot, row_diff
from pxwidgets.patterns.versioned.table_versions import TableVersions

__all__ = [
    'AdoptionError',
    'Comparison',
    'DiffNotSupportedError',
    'DiffStat',
    'ExperimentNameError',
    'HasDependentsError',
    'IncomparableError',
    'NotAnExperimentError',
    'RowChange',
    'RowDiff',
    'Run',
    'SetupFailedError',
    'SetupMissingError',
    'TableComparison',
    'TableVersions',
    'TagError',
    'UnknownVersionError',
    'VersionedExperiment',
    'compare_tables',
    'diff_snapshot',
    'diff_stat',
    'row_diff',
]
