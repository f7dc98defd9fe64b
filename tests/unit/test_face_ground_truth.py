"""The exact face boxes of the generated face videos: the gallery's tiles land where the ground truth says."""

from __future__ import annotations

import numpy as np
import pytest

from pxwidgets.demo.face_videos import truth_for
from pxwidgets.demo.media import _camera, _face_gallery_canvas, _face_shots, _render, face_ground_truth

SIZE = (320, 240)


def test_gallery_boxes_match_the_rendered_tiles() -> None:
    shot = next(s for s in _face_shots() if s.name == 'face_gallery_pan')
    canvas = _face_gallery_canvas()
    truth = face_ground_truth('face_gallery_pan', seconds=2, fps=4, size=SIZE, min_visible=1.0)
    assert all(t['bboxes'] for t in truth)
    for i, frame_truth in enumerate(truth):
        frame = _render(canvas, _camera(shot.keyframes, i / (len(truth) - 1)), SIZE).astype(int)
        for x0, y0, x1, y1 in frame_truth['bboxes']:
            a, b, c, d = round(x0), round(y0), round(x1), round(y1)
            inside = frame[b + 2 : d - 2, a + 2 : c - 2]
            assert np.abs(inside - 110).mean() > 10  # a face, not the grey background
            if b >= 4:  # the strip just above the tile is background
                assert np.abs(frame[b - 4 : b - 1, a + 2 : c - 2] - 110).max() <= 2
            if a >= 4:
                assert np.abs(frame[b + 2 : d - 2, a - 4 : a - 1] - 110).max() <= 2


def test_astronaut_box_follows_the_zoom() -> None:
    truth = face_ground_truth('astronaut_zoom', seconds=1, fps=4, size=SIZE)
    widths = [t['bboxes'][0][2] - t['bboxes'][0][0] for t in truth]
    assert widths == sorted(widths) and widths[-1] > 2 * widths[0]  # zooming in: the face grows


def test_unknown_videos_and_frames_are_refused() -> None:
    with pytest.raises(ValueError, match='unknown face video'):
        face_ground_truth('shapes')
    with pytest.raises(ValueError, match='outside the video'):
        truth_for('astronaut_pan', 40, seconds=1.0)
