"""Drive a real JupyterLab from Playwright: start a throwaway server, open and run notebooks, talk to the kernel.

A :class:`LabServer` runs ``jupyter lab`` from this checkout's virtual environment on 127.0.0.1 with a free port, no
token, and temporary root, config, runtime, settings and workspace directories, so nothing from a previous run (old
layouts, settings, open tabs) leaks in. Its kernels inherit this process's environment (``PIXELTABLE_HOME`` and friends
from the root ``conftest.py``).

The page helpers wait on JupyterLab's own state (``window.jupyterapp``, the notebook's session context) and on the DOM
with Playwright's ``expect``; none of them sleeps for a fixed time.

Example:
    >>> lab = LabServer.start(root, notebooks=[NOTEBOOKS / '00_tour.ipynb'])  # doctest: +SKIP
    >>> open_notebook(page, lab, '00_tour.ipynb')  # doctest: +SKIP
    >>> run_all_cells(page)  # doctest: +SKIP
    >>> kernel_eval(page, 'import pixeltable as pxt', "pxt.get_table('tour/photos').count()")  # doctest: +SKIP
    31
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from playwright.sync_api import Locator, Page, expect

REPO = Path(__file__).resolve().parents[2]
JUPYTER = REPO / '.venv' / 'bin' / 'jupyter'
NOTEBOOKS = REPO / 'notebooks'
STATIC = REPO / 'pxwidgets' / 'static'
SCREENSHOTS = REPO / 'test-results' / 'screenshots'
"""Every screenshot (git-ignored)."""
PUBLISHED_SCREENSHOTS = REPO / 'docs' / 'screenshots'
"""The screenshots the README shows (committed)."""

START_TIMEOUT_S = 60
KERNEL_TIMEOUT_MS = 120_000
"""Generous: a notebook that builds tables can take a while on a 2-core machine."""
WIDGET_TIMEOUT_MS = 30_000

# User settings for a clean, test-friendly lab: no news or update pop-ups, no toasts over the widgets, and every
# cell in the DOM (the default windowing mode leaves off-screen cells out of it).
SETTINGS: dict[str, dict[str, Any]] = {
    '@jupyterlab/apputils-extension/notification': {
        'checkForUpdates': False,
        'fetchNews': 'false',
        'doNotDisturbMode': True,
    },
    '@jupyterlab/notebook-extension/tracker': {'windowingMode': 'none'},
}


# ---- the server ------------------------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return int(s.getsockname()[1])


def write_settings(settings_dir: Path, settings: dict[str, dict[str, Any]] = SETTINGS) -> None:
    """Write ``<plugin id>: {setting: value}`` as JupyterLab user settings files under ``settings_dir``."""
    for plugin, values in settings.items():
        package, _, name = plugin.rpartition('/')
        path = settings_dir / package / f'{name}.jupyterlab-settings'
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values, indent=2))


@dataclass
class LabServer:
    """A running JupyterLab server started by this process (stop it with :meth:`stop`)."""

    NAME: ClassVar[str] = 'JupyterLab'
    """What the server is, in error messages."""

    url: str
    """Base URL, ending in ``/``."""
    root: Path
    """The server's root directory (notebooks are copied there)."""
    process: subprocess.Popen[bytes]
    log_path: Path

    @classmethod
    def start(cls, base_dir: Path, notebooks: Iterable[Path] = (), *, env: dict[str, str] | None = None) -> LabServer:
        """Start JupyterLab with everything under ``base_dir``; copy ``notebooks`` into its root; wait until it answers.

        Raises:
            RuntimeError: the server exited or did not answer ``/api/status`` within a minute (its log is included).
        """
        if not JUPYTER.exists():
            raise RuntimeError(f'{JUPYTER} is missing: set up the virtual environment first (./scripts/dev.sh setup).')
        root = base_dir / 'root'
        dirs = {name: base_dir / name for name in ('config', 'runtime', 'settings', 'workspaces')}
        for path in (root, *dirs.values()):
            path.mkdir(parents=True, exist_ok=True)
        for nb in notebooks:
            shutil.copy2(nb, root / nb.name)
        write_settings(dirs['settings'])
        port = free_port()
        run_env = dict(os.environ if env is None else env)
        run_env.update(
            JUPYTER_CONFIG_DIR=str(dirs['config']),
            JUPYTER_RUNTIME_DIR=str(dirs['runtime']),
            JUPYTER_PLATFORM_DIRS='1',
            PYTHONUNBUFFERED='1',
        )
        run_env.pop('JUPYTER_TOKEN', None)
        args = [
            str(JUPYTER),
            'lab',
            '--no-browser',
            '--allow-root',
            '--ServerApp.ip=127.0.0.1',
            f'--ServerApp.port={port}',
            '--ServerApp.port_retries=0',
            f'--ServerApp.root_dir={root}',
            '--IdentityProvider.token=',
            '--ServerApp.password=',
            '--ServerApp.disable_check_xsrf=True',
            f'--LabApp.user_settings_dir={dirs["settings"]}',
            f'--LabApp.workspaces_dir={dirs["workspaces"]}',
            '--LabApp.expose_app_in_browser=True',
            '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate',
        ]
        log_path = base_dir / 'jupyterlab.log'
        with log_path.open('wb') as log:
            process = subprocess.Popen(
                args, cwd=root, env=run_env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        lab = cls(f'http://127.0.0.1:{port}/', root, process, log_path)
        try:
            lab.wait_ready()
        except BaseException:
            lab.stop()
            raise
        return lab

    def wait_ready(self, timeout_s: float = START_TIMEOUT_S) -> None:
        """Poll ``/api/status`` until the server answers."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f'{self.NAME} exited with {self.process.returncode}:\n{self.log_tail()}')
            with contextlib.suppress(OSError), urllib.request.urlopen(f'{self.url}api/status', timeout=2) as resp:
                if resp.status == 200:
                    return
            time.sleep(0.1)  # polling interval, not a wait for an outcome
        raise RuntimeError(f'{self.NAME} did not answer within {timeout_s} s:\n{self.log_tail()}')

    def api(self, method: str, path: str) -> Any:
        """Call the server's REST API (no token needed); returns the decoded JSON body, or None."""
        req = urllib.request.Request(f'{self.url}{path.lstrip("/")}', method=method)
        with urllib.request.urlopen(req, timeout=30) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """Shut down every kernel of this server (their embedded-database connections go with them)."""
        with contextlib.suppress(OSError, urllib.error.URLError):
            for session in self.api('GET', 'api/sessions') or []:
                with contextlib.suppress(OSError, urllib.error.URLError):
                    self.api('DELETE', f'api/sessions/{session["id"]}')
            for kernel in self.api('GET', 'api/kernels') or []:
                with contextlib.suppress(OSError, urllib.error.URLError):
                    self.api('DELETE', f'api/kernels/{kernel["id"]}')

    def stop(self, timeout_s: float = 20) -> None:
        """SIGTERM the server by its PID (it shuts its kernels down), SIGKILL it if it does not exit in time."""
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors='replace')[-chars:]
        except OSError:
            return '(no log)'


# ---- the widget bundles ------------------------------------------------------------------------------------------


def bundle_is_stale(bundle: Path = STATIC / 'table_browser.js') -> bool:
    """True when the bundle is missing, a placeholder, or older than a source file under js/."""
    if not bundle.exists() or bundle.stat().st_size < 1024:
        return True
    built = bundle.stat().st_mtime
    sources = [p for p in (REPO / 'js').rglob('*') if p.suffix in ('.ts', '.css', '.mjs')]
    return any(p.stat().st_mtime > built for p in sources)


def build_bundles() -> None:
    """``npm run build`` (esbuild: well under a second)."""
    npm = shutil.which('npm')
    if npm is None:
        raise RuntimeError('npm is not installed: the widget bundles cannot be built.')
    if not (REPO / 'node_modules').is_dir():
        subprocess.run([npm, 'ci', '--no-audit', '--no-fund', '--loglevel=error'], cwd=REPO, check=True)
    subprocess.run([npm, 'run', '--silent', 'build'], cwd=REPO, check=True, stdout=subprocess.DEVNULL)


# ---- notebooks in the browser --------------------------------------------------------------------------------------

_NOTEBOOK_READY = """
(path) => {
  const app = window.jupyterapp;
  if (!app) return false;
  const w = app.shell.currentWidget;
  if (!w || !w.sessionContext || !w.context || w.context.path !== path || !w.context.isReady) return false;
  const kernel = w.sessionContext.session && w.sessionContext.session.kernel;
  if (!kernel || kernel.status !== 'idle' || kernel.connectionStatus !== 'connected') return false;
  window.__pxwNotebook = w;
  return true;
}
"""

_KERNEL_IDLE = """
() => {
  const w = window.__pxwNotebook;
  const kernel = w && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!kernel && kernel.status === 'idle';
}
"""


def open_notebook(page: Page, lab: LabServer, name: str, timeout_ms: int = KERNEL_TIMEOUT_MS) -> None:
    """Open notebook ``name`` (relative to the server root) and wait until its kernel is started and idle.

    ``?reset`` starts from an empty layout: without it, JupyterLab restores the notebooks that an earlier test module
    opened on the same server (and starts kernels for them).
    """
    page.goto(f'{lab.url}lab/tree/{name}?reset')
    page.wait_for_function(_NOTEBOOK_READY, arg=name, timeout=timeout_ms)
    # More room for the widgets (and the screenshots): fold the file browser away.
    page.evaluate('() => window.jupyterapp.shell.collapseLeft()')
    panel_id = page.evaluate('() => window.__pxwNotebook.id')
    expect(page.locator(f'[id="{panel_id}"] .jp-Notebook')).to_be_visible()


def wait_kernel_idle(page: Page, timeout_ms: int = KERNEL_TIMEOUT_MS) -> None:
    page.wait_for_function(_KERNEL_IDLE, timeout=timeout_ms)


def _cell_errors(page: Page) -> list[str]:
    """``ename: evalue`` of every error output in the open notebook."""
    return page.evaluate(
        """() => {
          const model = window.__pxwNotebook.content.model;
          const errors = [];
          for (let i = 0; i < model.cells.length; i++) {
            const cell = model.cells.get(i);
            if (cell.type !== 'code') continue;
            for (const out of cell.outputs.toJSON()) {
              if (out.output_type === 'error') errors.push(`cell ${i}: ${out.ename}: ${out.evalue}`);
            }
          }
          return errors;
        }"""
    )


def open_and_run(page: Page, lab: LabServer, name: str, *, label: str) -> None:
    """Open notebook ``name`` and run it top to bottom; on failure save ``FAILED-<label>-setup.png`` and print the
    end of JupyterLab's log before re-raising."""
    try:
        open_notebook(page, lab, name)
        run_all_cells(page)
    except BaseException:
        save_screenshot(page, f'FAILED-{label}-setup')
        print(f'JupyterLab log:\n{lab.log_tail()}')
        raise


def run_all_cells(page: Page, timeout_ms: int = KERNEL_TIMEOUT_MS) -> None:
    """Run every cell of the open notebook and wait until all have run and the kernel is idle.

    Raises:
        AssertionError: a cell raised (the errors are listed).
    """
    page.evaluate(
        """() => {
          window.__pxwRunAll = undefined;
          window.jupyterapp.commands.execute('notebook:run-all-cells')
            .then((ok) => { window.__pxwRunAll = { ok: !!ok }; })
            .catch((err) => { window.__pxwRunAll = { ok: false, error: String(err) }; });
        }"""
    )
    page.wait_for_function('() => window.__pxwRunAll !== undefined', timeout=timeout_ms)
    result = page.evaluate('() => window.__pxwRunAll')
    wait_kernel_idle(page, timeout_ms)
    errors = _cell_errors(page)
    assert result['ok'] and not errors, f'running the notebook failed: {result.get("error") or ""} {errors}'


def run_cell(page: Page, code: str, name: str, timeout_ms: int = KERNEL_TIMEOUT_MS) -> Locator:
    """Append a code cell holding ``code`` to the open notebook, run it, and return the cell (marked ``name``).

    Raises:
        AssertionError: the cell raised.
    """
    result = page.evaluate(
        """async ([code, name]) => {
          const app = window.jupyterapp;
          const nb = window.__pxwNotebook.content;
          app.shell.activateById(window.__pxwNotebook.id);
          nb.activeCellIndex = nb.widgets.length - 1;
          await app.commands.execute('notebook:insert-cell-below');
          await app.commands.execute('notebook:change-cell-to-code');
          const cell = nb.activeCell;
          cell.model.sharedModel.setSource(code);
          cell.node.dataset.pxwCell = name;
          const ok = await app.commands.execute('notebook:run-cell');
          // where a user looks after running a cell: panels start loading on first visibility (js/lib/lazy.ts)
          cell.node.scrollIntoView({ block: 'start' });
          const errors = cell.model.outputs.toJSON()
            .filter((o) => o.output_type === 'error').map((o) => `${o.ename}: ${o.evalue}`);
          return { ok: !!ok, errors };
        }""",
        [code, name],
    )
    wait_kernel_idle(page, timeout_ms)
    assert result['ok'] and not result['errors'], f'cell {name!r} failed: {result["errors"]}'
    return page.locator(f'[data-pxw-cell="{name}"]')


def kernel_eval(page: Page, code: str, expression: str | None = None) -> Any:
    """Run ``code`` in the open notebook's kernel (no cell is added) and return ``expression``'s value.

    The value travels as its ``repr`` and is read back with :func:`ast.literal_eval`, so it must be a Python literal
    (numbers, strings, lists, dicts, ...). Without ``expression`` the result is None.

    Raises:
        AssertionError: the code or the expression raised in the kernel.
    """
    content = page.evaluate(
        """async ([code, expression]) => {
          const kernel = window.__pxwNotebook.sessionContext.session.kernel;
          const request = { code, silent: false, store_history: false, allow_stdin: false, stop_on_error: true,
                            user_expressions: expression ? { value: expression } : {} };
          const reply = await kernel.requestExecute(request).done;
          return reply.content;
        }""",
        [code, expression],
    )
    assert content['status'] == 'ok', f'kernel code failed: {content.get("ename")}: {content.get("evalue")}'
    if expression is None:
        return None
    value = content['user_expressions']['value']
    assert value['status'] == 'ok', f'kernel expression failed: {value.get("ename")}: {value.get("evalue")}'
    return ast.literal_eval(value['data']['text/plain'])


def wait_kernel_value(page: Page, expression: str, expected: Any, timeout_s: float = 15) -> None:
    """Poll the kernel until ``expression`` equals ``expected`` (a click's trait update reaches it asynchronously)."""
    deadline = time.monotonic() + timeout_s
    value = kernel_eval(page, '', expression)
    while value != expected and time.monotonic() < deadline:
        page.wait_for_timeout(100)  # polling interval, not a wait for an outcome
        value = kernel_eval(page, '', expression)
    assert value == expected, f'{expression} is {value!r} in the kernel, expected {expected!r}'


# ---- notebooks made by tests -------------------------------------------------------------------------------------


def notebook_json(*sources: str) -> dict[str, Any]:
    """An nbformat-4 notebook with one code cell per source."""
    cells = [
        {'cell_type': 'code', 'execution_count': None, 'id': f'cell-{i}', 'metadata': {}, 'outputs': [], 'source': s}
        for i, s in enumerate(sources)
    ]
    return {
        'cells': cells,
        'metadata': {
            'kernelspec': {'display_name': 'Python 3', 'language': 'python', 'name': 'python3'},
            'language_info': {'name': 'python'},
        },
        'nbformat': 4,
        'nbformat_minor': 5,
    }


def setup_notebook(page: Page, lab: LabServer, name: str, *sources: str, label: str) -> Page:
    """Write a notebook of ``sources`` into the lab's root, open it and run every cell (failures are reported)."""
    (lab.root / name).write_text(json.dumps(notebook_json(*sources), indent=1))
    open_and_run(page, lab, name, label=label)
    return page


# ---- screenshots -------------------------------------------------------------------------------------------------


def save_screenshot(target: Page | Locator, name: str, *, publish: bool = False) -> Path:
    """Save ``test-results/screenshots/<name>.png``; with ``publish`` also ``docs/screenshots/<name>.png`` (the
    README's pictures) when ``PXW_PUBLISH_SCREENSHOTS=1``, so that a test run does not rewrite committed files."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f'{name}.png'
    page = target if isinstance(target, Page) else target.page
    page.mouse.move(0, 0)  # no hover highlight in the picture
    target.screenshot(path=str(path), animations='disabled')
    if publish and os.environ.get('PXW_PUBLISH_SCREENSHOTS') == '1':
        PUBLISHED_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, PUBLISHED_SCREENSHOTS / f'{name}.png')
    return path


def publish_panel_screenshot(panel: Locator, name: str) -> Path:
    """Screenshot a whole panel for the README (the window grows for it when the panel is taller than the window)."""
    page = panel.page
    size = page.viewport_size
    box = panel.bounding_box()
    assert size is not None and box is not None
    tall = int(box['height']) + 200
    if tall > size['height']:
        page.set_viewport_size({'width': size['width'], 'height': tall})
    try:
        panel.scroll_into_view_if_needed()
        return save_screenshot(panel, name, publish=True)
    finally:
        page.set_viewport_size(size)
