"""Small faces in large CCTV-sized frames: what full range and tiling find."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from lfr_framework.interfaces import Detector
from lfr_framework.types import LEFT_EYE, RIGHT_EYE, Image

Paste = Callable[..., tuple[Image, tuple[int, int]]]
FULL_HD = (1920, 1080)
PLACES = [(0.1, 0.1), (0.5, 0.5), (0.9, 0.85), (0.33, 0.66)]


@pytest.fixture(scope="module")
def face(real_photos: dict[str, Path], read: Callable[[Path], Image]) -> Image:
    """Grace Hopper's face, cropped square from the pinned photo."""
    return np.ascontiguousarray(read(real_photos["grace_hopper"])[120:360, 150:390])


@pytest.mark.parametrize("at", PLACES)
def test_tiling_finds_a_40px_face_in_full_hd(
    make_detector: Callable[..., Detector], face: Image, paste_face: Paste, at: tuple[float, float]
) -> None:
    frame, (x, y) = paste_face(face, 40, FULL_HD, at)
    detector = make_detector(model="blazeface-full-range-sparse", tiles=3)

    faces = detector.detect(frame)

    assert len(faces) == 1, faces
    found = faces[0]
    cx, cy = found.box.centre
    assert abs(cx - (x + 20)) < 10 and abs(cy - (y + 20)) < 12
    assert 20 < found.box.width < 60
    right, left = found.keypoints[RIGHT_EYE], found.keypoints[LEFT_EYE]
    assert x <= right[0] < left[0] <= x + 40
    assert y <= right[1] <= y + 25


@pytest.mark.parametrize("model", ["blazeface-full-range-sparse", "blazeface-short-range"])
def test_whole_frame_alone_misses_a_40px_face_in_full_hd(
    make_detector: Callable[..., Detector], face: Image, paste_face: Paste, model: str
) -> None:
    """Why tiling exists: on the whole 1920x1080 frame a 40 px face is ~4 px at model input."""
    detector = make_detector(model=model, tiles=1)
    for at in PLACES:
        frame, _ = paste_face(face, 40, FULL_HD, at)
        assert detector.detect(frame) == []


def test_full_range_finds_faces_short_range_misses(
    make_detector: Callable[..., Detector], face: Image, paste_face: Paste
) -> None:
    """A 120 px face in a 1280x720 frame, whole frame only: full range (sparse) finds it,
    short range does not."""
    full = make_detector(model="blazeface-full-range-sparse", tiles=1)
    short = make_detector(model="blazeface-short-range", tiles=1)
    for at in PLACES:
        frame, _ = paste_face(face, 120, (1280, 720), at)
        assert len(full.detect(frame)) == 1
        assert short.detect(frame) == []


def test_tiling_keeps_large_faces_whole(
    make_detector: Callable[..., Detector], face: Image, paste_face: Paste
) -> None:
    """A face bigger than any tile is still found once, by the whole-frame pass."""
    frame, (x, _) = paste_face(face, 600, FULL_HD, (0.5, 0.5))
    faces = make_detector(model="blazeface-full-range-sparse", tiles=3).detect(frame)
    assert len(faces) == 1
    assert faces[0].box.width > 400 and x < faces[0].box.centre[0] < x + 600


def test_boxes_are_clipped_to_the_frame(
    make_detector: Callable[..., Detector], face: Image, paste_face: Paste
) -> None:
    """A face cut by the frame's edge gets a box inside the frame."""
    frame = np.full((720, 1280, 3), 90, np.uint8)
    big = paste_face(face, 300, (300, 300), (0, 0))[0]
    frame[0:220, 0:300] = big[80:300]  # top 80 rows of the face are off the frame
    faces = make_detector(model="blazeface-full-range-sparse").detect(frame)
    assert len(faces) == 1
    box = faces[0].box
    assert box.x >= 0 and box.y == 0 and box.x + box.width <= 1280
