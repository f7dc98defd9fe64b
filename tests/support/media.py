"""Tiny media files for tests."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np


def write_video(path: Path, frames: int = 6, size: tuple[int, int] = (64, 48), fps: int = 3) -> str:
    """An MPEG-4 video of ``frames`` frames whose brightness changes frame by frame."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), 'w') as out:
        stream = out.add_stream('mpeg4', rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = 'yuv420p'
        for i in range(frames):
            arr = np.full((size[1], size[0], 3), (i * 40) % 256, dtype=np.uint8)
            arr[:, : size[0] // 2, 0] = 255
            for packet in stream.encode(av.VideoFrame.from_ndarray(arr, format='rgb24')):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return str(path)
