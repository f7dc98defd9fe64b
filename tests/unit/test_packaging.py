"""A wheel built from a clean clone contains every panel's bundle (the build makes them; git does not hold them),
the build is told to ensure each of them, and the bundles stay within their size budget."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
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
    entries = panel_folders()
    assert entries, 'no panel entries in js/'
    for entry in entries:
        assert f'pxwidgets/static/{entry}.js' in names
        assert f'pxwidgets/static/{entry}.css' in names
        js = zipfile.ZipFile(wheel).read(f'pxwidgets/static/{entry}.js').decode()
        assert 'export' in js and len(js) > 5_000


def panel_folders() -> list[str]:
    """Every panel's JavaScript folder (js/<panel>/index.ts)."""
    return sorted(p.parent.name for p in (ROOT / 'js').glob('*/index.ts'))


def test_every_panel_has_a_folder_and_the_wheel_build_ensures_its_bundle() -> None:
    from pxwidgets.panels import PANELS

    panels = sorted(
        module.rsplit('.', 1)[-1]
        for module in PANELS.values()
        if (ROOT / module.replace('.', '/')).with_suffix('.py').exists()
    )
    assert panels == panel_folders(), 'each panel module pxwidgets/panels/<p>.py has exactly one folder js/<p>/'
    hook = tomllib.loads((ROOT / 'pyproject.toml').read_text())['tool']['hatch']['build']['hooks']['jupyter-builder']
    ensured = sorted(Path(t).stem for t in hook['ensured-targets'] if t.endswith('.js'))
    assert ensured == panels, (
        'pyproject.toml [tool.hatch.build.hooks.jupyter-builder] ensured-targets lists every bundle'
    )


def test_plotly_js_matches_the_python_plotly() -> None:
    """The panel's charts draw the figures Python's plotly makes: the same plotly.js major version."""
    import plotly

    bundled = (Path(plotly.__file__).parent / 'package_data' / 'plotly.min.js').read_text()[:2000]
    python_side = re.search(r'plotly\.js v(\d+)\.', bundled)
    assert python_side is not None
    npm_side = json.loads((ROOT / 'package.json').read_text())['devDependencies']['plotly.js-cartesian-dist-min']
    assert npm_side.split('.')[0].lstrip('^~') == python_side.group(1)


BUDGET_KB = {'chart': 1_900, 'plain': 400}
"""Bundle budgets: plotly.js (cartesian) alone is ~1.5 MB minified; a panel without charts stays small."""


@pytest.mark.skipif(not (ROOT / 'pxwidgets' / 'static').exists(), reason='bundles not built')
def test_bundles_stay_within_their_size_budget() -> None:
    for entry in panel_folders():
        sources = ' '.join(p.read_text() for p in (ROOT / 'js' / entry).glob('*.ts'))
        kind = 'chart' if 'lib/chart' in sources else 'plain'
        size_kb = (ROOT / 'pxwidgets' / 'static' / f'{entry}.js').stat().st_size / 1024
        assert size_kb <= BUDGET_KB[kind], (
            f'{entry}.js is {size_kb:.0f} KB, over its {kind} budget of {BUDGET_KB[kind]} KB'
        )
