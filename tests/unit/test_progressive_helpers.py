"""Shared helpers for the progressive-refinement tests: tiny media, UDFs in a module, and a fresh-process runner.

The UDFs live here (a module, not a test body) so that the columns using them survive a process restart, as real
UDFs must. This file holds no tests.
"""

from __future__ import annotations

import builtins
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypedDict

import av
import numpy as np
import PIL.Image
import pixeltable as pxt
from skimage import data

REPO = Path(__file__).resolve().parents[2]


def write_face_video(path: Path, *, frames: int = 6, fps: int = 2, offset: int = 0) -> str:
    """An MPEG-4 video panning slowly over the astronaut's face (OpenCV's face cascade finds it in every frame)."""
    image = data.astronaut()
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), 'w') as out:
        stream = out.add_stream('mpeg4', rate=fps)
        stream.width, stream.height = 256, 256
        stream.pix_fmt = 'yuv420p'
        for i in range(frames):
            y, x = offset + i * 4, 100 + offset + i * 4
            crop = np.ascontiguousarray(image[y : y + 256, x : x + 256])
            for packet in stream.encode(av.VideoFrame.from_ndarray(crop, format='rgb24')):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return str(path)


def write_plain_video(path: Path, *, frames: int = 4, fps: int = 2) -> str:
    """An MPEG-4 video of a coffee cup (no faces)."""
    image = data.coffee()
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), 'w') as out:
        stream = out.add_stream('mpeg4', rate=fps)
        stream.width, stream.height = 256, 256
        stream.pix_fmt = 'yuv420p'
        for i in range(frames):
            crop = np.ascontiguousarray(image[i * 8 : i * 8 + 256, 200 : 200 + 256])
            for packet in stream.encode(av.VideoFrame.from_ndarray(crop, format='rgb24')):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return str(path)


def write_html(path: Path, title: str, sections: dict[str, list[str]]) -> str:
    """A small HTML document: one ``<h2>`` and some ``<p>`` per section."""
    body = ''.join(f'<h2>{h}</h2>' + ''.join(f'<p>{p}</p>' for p in ps) for h, ps in sections.items())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'<html><head><title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>')
    return str(path)


@pxt.udf
def fails_on_odd(n: int) -> int:
    """n * 10; raises on odd n, so a computed column records per-row errors."""
    if n % 2:
        raise ValueError(f'odd value {n}')
    return n * 10


@pxt.udf
def brightness(image: PIL.Image.Image, *, scale: float = 1.0) -> float:
    """Mean pixel value of an image, times ``scale``."""
    return float(np.asarray(image.convert('L')).mean()) * scale


class Piece(TypedDict):
    piece: int


@pxt.iterator
def pieces(n: int) -> Iterator[Piece]:
    """0 .. n-1; raises when n is 13 (an iterator that fails on one source row)."""
    if n == 13:
        raise ValueError('unlucky source row')
    for i in range(n):
        yield {'piece': i}


def notebook_udf() -> pxt.Function:
    """A UDF that Pixeltable stores as ``__main__.double_it``, as if defined in a notebook cell."""
    had = hasattr(builtins, '__IPYTHON__')
    builtins.__IPYTHON__ = True  # type: ignore[attr-defined]
    try:

        def double_it(n: int) -> int:
            return n * 2

        double_it.__module__ = '__main__'
        double_it.__qualname__ = 'double_it'
        return pxt.udf(double_it)
    finally:
        if not had:
            del builtins.__IPYTHON__  # type: ignore[attr-defined]


def run_fresh(code: str, timeout: float = 120) -> Any:
    """Run code in a fresh Python process on this session's Pixeltable home; returns what it prints as JSON last."""
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join([str(REPO), env.get('PYTHONPATH', '')])
    env['PYTHONWARNINGS'] = 'ignore'
    script = 'import pixeltable as pxt\npxt.init()\n' + textwrap.dedent(code)
    result = subprocess.run(
        [sys.executable, '-c', script], env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        raise AssertionError(f'fresh process failed:\n{result.stdout}\n{result.stderr}')
    return json.loads(result.stdout.strip().splitlines()[-1])


def versions(*tables: pxt.Table) -> list[int]:
    """The current version of each table."""
    return [t.get_metadata()['version'] for t in tables]
