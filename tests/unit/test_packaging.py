"""A wheel built from a clean clone contains the JavaScript bundles (the build makes them; git does not hold them)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which('git') is None or shutil.which('npm') is None, reason='needs git and npm')
def test_wheel_from_clean_clone_contains_bundles(tmp_path: Path) -> None:
    clone = tmp_path / 'clone'
    subprocess.run(['git', 'clone', '-q', str(ROOT), str(clone)], check=True)
    assert not (clone / 'pxwidgets' / 'static').exists()  # bundles are not committed
    (clone / 'node_modules').symlink_to(ROOT / 'node_modules')  # what `npm ci` would install, without the network
    subprocess.run(
        [sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '-q', '-w', str(tmp_path), '.'],
        cwd=clone,
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob('pxwidgets-*.whl')
    names = set(zipfile.ZipFile(wheel).namelist())
    entries = sorted(p.stem for p in (ROOT / 'js').glob('*.ts'))
    assert entries, 'no panel entries in js/'
    for entry in entries:
        assert f'pxwidgets/static/{entry}.js' in names
    js = zipfile.ZipFile(wheel).read('pxwidgets/static/table_browser.js').decode()
    assert 'export' in js and len(js) > 5_000
