"""The on-disk cache that holds generated demo files, written atomically.

The cache lives in ``$PXW_CACHE_DIR`` when that variable is set, else in ``~/.cache/pxwidgets``. Every generated file is
written to a temporary name in its final directory and then renamed into place, so a crash never leaves a truncated
file behind, and a file that exists is complete and never regenerated.

Example:
    >>> from pxwidgets.demo.cache import cache_dir
    >>> cache_dir('photos').name
    'photos'
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

CACHE_ENV_VAR = 'PXW_CACHE_DIR'
"""Environment variable that overrides the cache location."""

CACHE_VERSION = 'v1'
"""Bumped whenever a generator changes its output, so that stale files are never reused."""


def cache_root() -> Path:
    """The root of the pxwidgets cache (not created).

    Returns:
        ``$PXW_CACHE_DIR`` if set and not empty, else ``~/.cache/pxwidgets``.

    Example:
        >>> cache_root().is_absolute() or 'PXW_CACHE_DIR is relative'
        True
    """
    override = os.environ.get(CACHE_ENV_VAR, '').strip()
    if override:
        return Path(override).expanduser()
    return Path.home() / '.cache' / 'pxwidgets'


def cache_dir(*parts: str) -> Path:
    """A directory of the demo data cache, created if missing.

    Args:
        *parts: Sub-directory names below ``<cache root>/demo/<version>``.

    Returns:
        The directory's path.

    Example:
        >>> cache_dir('videos').parts[-3:]
        ('demo', 'v1', 'videos')
    """
    path = cache_root().joinpath('demo', CACHE_VERSION, *parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` when the block succeeds.

    On an exception the temporary file is removed and ``path`` is left untouched.

    Args:
        path: The final file path.

    Yields:
        A temporary path in the same directory with the same suffix (some writers pick the format from it).

    Example:
        >>> import tempfile
        >>> target = Path(tempfile.mkdtemp()) / 'hello.txt'
        >>> with atomic_path(target) as tmp:
        ...     _ = tmp.write_text('hi')
        >>> target.read_text()
        'hi'
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f'.{path.stem}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}{path.suffix}')
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def cached_file(path: Path, write: Callable[[Path], None]) -> Path:
    """Return ``path``, first generating it with ``write`` unless it already exists.

    Args:
        path: The final file path.
        write: Writes the complete file to the temporary path it is given.

    Returns:
        ``path``.

    Example:
        >>> import tempfile
        >>> target = Path(tempfile.mkdtemp()) / 'a.bin'
        >>> _ = cached_file(target, lambda tmp: tmp.write_bytes(b'x'))
        >>> cached_file(target, lambda tmp: tmp.write_bytes(b'y')).read_bytes()
        b'x'
    """
    if path.is_file():
        return path
    with atomic_path(path) as tmp:
        write(tmp)
    return path
