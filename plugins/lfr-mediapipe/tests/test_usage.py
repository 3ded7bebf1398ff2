"""Bad images, sharing one detector between threads, and closing it."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from lfr_mediapipe.detector import MediaPipeFaceDetector

from lfr_framework.interfaces import Detector
from lfr_framework.types import Image


@pytest.mark.parametrize(
    ("image", "error", "match"),
    [
        ([[0, 0, 0]], TypeError, "numpy array"),
        (np.zeros((10, 10), np.uint8), ValueError, "BGR uint8"),
        (np.zeros((10, 10, 4), np.uint8), ValueError, "BGR uint8"),
        (np.zeros((10, 10, 3), np.float32), ValueError, "BGR uint8"),
        (np.zeros((0, 10, 3), np.uint8), ValueError, "empty"),
    ],
)
def test_bad_images_are_refused(
    make_detector: Callable[..., Detector], image: object, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        make_detector().detect(image)  # type: ignore[arg-type]


def test_non_contiguous_image_is_fine(
    make_detector: Callable[..., Detector], real_photos: dict[str, Path],
    read: Callable[[Path], Image],
) -> None:
    image = read(real_photos["obama"])
    view = image[8:-8, 8:-8]  # a strided view, not a copy
    assert not view.flags.c_contiguous
    detector = make_detector()
    assert detector.detect(view) == detector.detect(np.ascontiguousarray(view))


def test_one_instance_shared_by_threads(
    make_detector: Callable[..., Detector], real_photos: dict[str, Path],
    read: Callable[[Path], Image],
) -> None:
    detector = make_detector(tiles=2)
    images = [read(real_photos[n]) for n in ("obama", "biden", "chelsea", "astronaut")] * 4
    expected = [detector.detect(image) for image in images]
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(detector.detect, images))
    assert got == expected


def test_closed_detector_says_so(make_detector: Callable[..., Detector]) -> None:
    detector = make_detector()
    assert isinstance(detector, MediaPipeFaceDetector)
    detector.close()
    detector.close()  # twice is fine
    with pytest.raises(RuntimeError, match="closed"):
        detector.detect(np.zeros((64, 64, 3), np.uint8))
