"""A throwaway ``marimo edit`` server for the browser tests, started and stopped by this process.

:class:`MarimoServer` copies a notebook into a temporary directory (marimo may save the file it edits; the checkout's
copy stays untouched) and runs ``marimo edit --headless --no-token`` on it from this checkout's virtual environment,
on 127.0.0.1 and a free port, with its own configuration directory and its own temporary ``PIXELTABLE_HOME``. The
kernel imports this checkout's ``pxwidgets`` (``PYTHONPATH``). :meth:`MarimoServer.stop` ends the server by its PID
(its kernel goes with it), then stops the embedded Postgres that the kernel started in that home, and nothing else.

Example:
    >>> server = MarimoServer.start_notebook(tmp, NOTEBOOKS / 'marimo_tour.py')  # doctest: +SKIP
    >>> page.goto(server.url)  # doctest: +SKIP
    >>> server.stop()  # doctest: +SKIP
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from tests.e2e.lab import REPO, LabServer, free_port
from tests.support.postgres import stop_embedded_postgres

MARIMO = Path(sys.executable).with_name('marimo')
START_TIMEOUT_S = 60
CONFIG = """\
# marimo's user configuration for the tests: run the notebook when it opens (what "Run all" does), light theme.
[runtime]
auto_instantiate = true

[display]
theme = "light"
"""


@dataclass
class MarimoServer(LabServer):
    """A running ``marimo edit`` server on one notebook (stop it with :meth:`stop`); ``url`` is the notebook's."""

    NAME: ClassVar[str] = 'marimo'

    home: Path
    """The kernel's ``PIXELTABLE_HOME``."""

    @classmethod
    def start_notebook(cls, base_dir: Path, notebook: Path) -> MarimoServer:
        """Copy ``notebook`` under ``base_dir`` and serve it; wait until the server answers ``/api/status``.

        Raises:
            RuntimeError: marimo is not installed, or the server exited or did not answer within a minute (its log
                is included).
        """
        if not MARIMO.exists():
            raise RuntimeError(f'{MARIMO} is missing: install the dev extras (./scripts/dev.sh setup).')
        root, config = base_dir / 'root', base_dir / 'config'
        # Not under base_dir: as root, the embedded Postgres runs as user pgserver, who cannot enter pytest's
        # private temporary directories.
        home = Path(tempfile.mkdtemp(prefix='pxw-marimo-home-'))
        for path in (root, config / 'marimo'):
            path.mkdir(parents=True, exist_ok=True)
        shutil.copy2(notebook, root / notebook.name)
        (config / 'marimo' / 'marimo.toml').write_text(CONFIG)
        port = free_port()
        env = dict(os.environ)
        env.update(
            PIXELTABLE_HOME=str(home),
            XDG_CONFIG_HOME=str(config),  # no user configuration of marimo's
            PYTHONPATH=os.pathsep.join(p for p in (str(REPO), env.get('PYTHONPATH', '')) if p),
            PYTHONUNBUFFERED='1',
        )
        args = [
            str(MARIMO),
            '-q',
            'edit',
            '--headless',
            '--no-token',
            '--no-sandbox',
            '--skip-update-check',
            '--host',
            '127.0.0.1',
            '--port',
            str(port),
            str(root / notebook.name),
        ]
        log_path = base_dir / 'marimo.log'
        with log_path.open('wb') as log:
            process = subprocess.Popen(
                args, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        server = cls(f'http://127.0.0.1:{port}/', root, process, log_path, home)
        try:
            server.wait_ready(START_TIMEOUT_S)
        except BaseException:
            server.stop()
            raise
        return server

    def stop(self, timeout_s: float = 20) -> None:
        """Stop the server by its PID (its kernel goes with it), then the embedded Postgres of the kernel's home, and
        remove that home."""
        super().stop(timeout_s)
        stop_embedded_postgres(self.home)
        shutil.rmtree(self.home, ignore_errors=True)
