"""Street defaults: tiles chosen from the frame and min_face_px, keypoint refinement, and no
native log noise for the user."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from lfr_mediapipe.tiling import auto_rows, tile_grid

from lfr_framework.interfaces import Detector, KeypointRefiner
from lfr_framework.types import LEFT_EYE, RIGHT_EYE, Detection, Image

Paste = Callable[..., tuple[Image, tuple[int, int]]]
PLACES = [(0.1, 0.1), (0.5, 0.5), (0.9, 0.85), (0.33, 0.66)]


@pytest.fixture(scope="module")
def face(real_photos: dict[str, Path], read: Callable[[Path], Image]) -> Image:
    """Grace Hopper's face, cropped square from the pinned photo."""
    return np.ascontiguousarray(read(real_photos["grace_hopper"])[120:360, 150:390])


@pytest.mark.parametrize(("size", "min_face", "rows"), [
    ((640, 480), 40.0, 1), ((640, 480), 32.0, 2), ((1280, 720), 32.0, 2),
    ((1920, 1080), 32.0, 3), ((1920, 1080), 48.0, 2), ((3840, 2160), 24.0, 4),
])
def test_auto_rows_make_tiles_small_enough_for_the_smallest_face(
    size: tuple[int, int], min_face: float, rows: int
) -> None:
    assert auto_rows(*size, min_face, 0.25) == rows
    if rows > 1:
        tiles = tile_grid(*size, rows, 0.25)
        assert max(max(t.width, t.height) for t in tiles) <= 16 * min_face or rows == 4


def _eyes(d: Detection) -> np.ndarray:
    return np.array([d.keypoints[RIGHT_EYE], d.keypoints[LEFT_EYE]])


def test_the_default_finds_a_street_size_face_the_whole_frame_misses(
    make_detector: Callable[..., Detector], face: Image, paste_face: Paste
) -> None:
    default, whole = make_detector(), make_detector(tiles=1)
    missed_by_whole_frame = 0
    for at in PLACES:
        frame, (x, y) = paste_face(face, 32, (1280, 720), at)
        found = default.detect(frame)
        assert len(found) == 1
        cx, cy = found[0].box.centre
        assert x <= cx <= x + 32 and y <= cy <= y + 32
        missed_by_whole_frame += not whole.detect(frame)
    assert missed_by_whole_frame >= 3


def test_refinement_puts_small_faces_keypoints_where_the_large_face_has_them(
    make_detector: Callable[..., Detector], face: Image, paste_face: Paste
) -> None:
    detector = make_detector()
    assert isinstance(detector, KeypointRefiner)
    # Truth: the keypoints found on the face at 240 px, scaled to where it is pasted.
    big, (bx, by) = paste_face(face, 240, (640, 480), (0.5, 0.5))
    reference = _eyes(detector.refine(big, detector.detect(big)[0]))
    coarse_errors, fine_errors = [], []
    for at in PLACES:
        frame, (x, y) = paste_face(face, 48, (1280, 720), at)
        found = detector.detect(frame)[0]
        truth = (reference - [bx, by]) * (48 / 240) + [x, y]
        spacing = float(np.linalg.norm(truth[0] - truth[1]))
        refined = detector.refine(frame, found)
        assert refined.score > 0.5
        coarse_errors.append(np.linalg.norm(_eyes(found) - truth, axis=1).max() / spacing)
        fine_errors.append(np.linalg.norm(_eyes(refined) - truth, axis=1).max() / spacing)
    assert np.median(fine_errors) < 0.12
    assert np.median(fine_errors) < np.median(coarse_errors)


def test_a_false_detection_is_not_confirmed_by_the_closer_look(
    make_detector: Callable[..., Detector], face: Image, paste_face: Paste
) -> None:
    detector = make_detector()
    frame, _ = paste_face(face, 48, (1280, 720), (0.2, 0.2))
    real = detector.detect(frame)[0]
    # The same box moved onto the empty background: nothing there to confirm.
    from dataclasses import replace

    moved = replace(real, box=replace(real.box, x=900.0, y=500.0),
                    keypoints={k: (px + 700.0, py + 400.0) for k, (px, py)
                               in real.keypoints.items()})
    assert detector.refine(frame, moved).score == 0.0
    off = make_detector(refine=False)
    assert off.refine(frame, real) is real


def test_loading_the_detector_prints_nothing_to_the_terminal(tmp_path: Path) -> None:
    script = (
        "from lfr_mediapipe import plugin\n"
        "from lfr_framework.plugins import PluginHost\n"
        "import numpy as np, logging\n"
        "h = PluginHost(load_entry_points=False); h.register_plugin(plugin, name='m')\n"
        "d = h.detectors.create('mediapipe', {}, 'x', models=h.model_store())\n"
        "d.detect(np.zeros((720, 1280, 3), np.uint8)); d.close()\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "" and done.stdout == ""
