"""Test session set-up shared by every layer.

Each test session (each xdist worker) gets its own temporary ``PIXELTABLE_HOME``; the embedded Postgres that the
session starts there is stopped when the session ends. Servers this session did not start are never touched.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # makes tests.support importable

from tests.support.postgres import stop_embedded_postgres

_HOME = Path(tempfile.mkdtemp(prefix='pxw-test-home-'))
os.environ['PIXELTABLE_HOME'] = str(_HOME)
os.environ.setdefault('XDG_RUNTIME_DIR', str(_HOME / 'run'))
Path(os.environ['XDG_RUNTIME_DIR']).mkdir(mode=0o700, parents=True, exist_ok=True)
os.environ['PIXELTABLE_VERBOSITY'] = '0'
os.environ['HF_HUB_OFFLINE'] = '1'
os.environ['TRANSFORMERS_OFFLINE'] = '1'
os.environ.setdefault('PXW_CACHE_DIR', str(Path(__file__).resolve().parent / '.pxw-cache'))
warnings.filterwarnings('ignore', category=DeprecationWarning, module='tenacity')


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    stop_embedded_postgres(_HOME)
    shutil.rmtree(_HOME, ignore_errors=True)


@pytest.fixture(scope='session')
def pxt_home() -> Path:
    """The temporary Pixeltable home of this test session."""
    import pixeltable as pxt

    pxt.init()
    return _HOME


@pytest.fixture
def pxt_dir(pxt_home: Path) -> Iterator[str]:
    """A fresh, empty Pixeltable directory for one test, dropped afterwards."""
    import pixeltable as pxt

    name = f't_{uuid.uuid4().hex[:10]}'
    pxt.create_dir(name)
    yield name
    pxt.drop_dir(name, force=True, if_not_exists='ignore')
