"""The ``images`` source reads a folder of real photos, skipping files it cannot decode."""

from __future__ import annotations

import logging
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest

from lfr_framework.errors import CameraError
from lfr_framework.interfaces import CameraSource
from lfr_framework.plugins import PluginHost
from lfr_framework.types import Frame

START = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)


def make(host: PluginHost, uri: Path, **options: object) -> CameraSource:
    return host.camera_sources.create("images", options, "cameras[0].options",
                                      camera_id="gate", uri=str(uri))


def read_all(source: CameraSource) -> list[Frame]:
    frames = []
    while (frame := source.read()) is not None:
        frames.append(frame)
    return frames


@pytest.fixture
def folder(tmp_path: Path, real_photos: dict[str, Path]) -> Path:
    """Real photos, a corrupt and a truncated JPEG, and files that are not images."""
    root = tmp_path / "images"
    root.mkdir()
    shutil.copy(real_photos["obama"], root / "00_obama.jpg")
    (root / "01_corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is no JPEG" * 40)
    shutil.copy(real_photos["astronaut"], root / "02_astronaut.PNG")
    biden = real_photos["biden"].read_bytes()
    (root / "03_truncated.jpg").write_bytes(biden[: len(biden) // 2])
    shutil.copy(real_photos["grace_hopper"], root / "04_grace_hopper.jpg")
    (root / "notes.txt").write_text("not an image")
    (root / ".hidden.jpg").write_bytes(b"ignored")
    (root / "10_sub.jpg").mkdir()  # a directory named like an image is ignored
    return root


def test_reads_images_in_name_order_skipping_undecodable_ones(
    host: PluginHost, folder: Path, real_photos: dict[str, Path],
    caplog: pytest.LogCaptureFixture,
) -> None:
    source = make(host, folder, fps=2.0, start_time=START)
    assert isinstance(source, CameraSource)
    source.open()
    with caplog.at_level(logging.WARNING, logger="lfr_opencv"):
        frames = read_all(source)
    source.close()
    source.close()

    assert [f.index for f in frames] == [0, 2, 4]
    assert [f.timestamp for f in frames] == [
        START, START + timedelta(seconds=1), START + timedelta(seconds=2)]
    for frame, name in zip(frames, ["obama", "astronaut", "grace_hopper"], strict=True):
        expected = cv2.imread(str(real_photos[name]), cv2.IMREAD_COLOR)
        assert frame.image.dtype == np.uint8 and frame.image.shape[2] == 3
        assert np.array_equal(frame.image, expected)
    assert source.skipped_files == 2
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert "01_corrupt.jpg" in warnings[0] and "03_truncated.jpg" in warnings[1]


def test_reopen_gives_the_same_frames(host: PluginHost, folder: Path) -> None:
    source = make(host, folder)  # start_time pinned at the first open()
    source.open()
    first = [(f.index, f.timestamp) for f in read_all(source)]
    assert source.read() is None
    source.open()
    second = [(f.index, f.timestamp) for f in read_all(source)]
    assert first == second
    assert first[1][1] - first[0][1] == timedelta(seconds=2)  # default 1 fps, index 0 -> 2


def test_missing_folder_names_it(host: PluginHost, tmp_path: Path) -> None:
    path = tmp_path / "absent"
    with pytest.raises(CameraError, match=f"{re.escape(str(path))} does not exist"):
        make(host, path).open()


def test_a_file_is_not_a_folder(host: PluginHost, real_photos: dict[str, Path]) -> None:
    photo = real_photos["obama"]
    with pytest.raises(CameraError, match=f"{re.escape(str(photo))} is not a directory"):
        make(host, photo).open()


def test_folder_without_images_names_it(host: PluginHost, tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("nothing to see")
    with pytest.raises(CameraError, match=f"{re.escape(str(tmp_path))} holds no image files"):
        make(host, tmp_path).open()


def test_folder_of_only_broken_images_raises(host: PluginHost, tmp_path: Path) -> None:
    (tmp_path / "a.jpg").write_bytes(b"garbage")
    (tmp_path / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    source = make(host, tmp_path)
    source.open()
    with pytest.raises(CameraError, match=f"{re.escape(str(tmp_path))}: none of its 2 image files"):
        source.read()
    assert source.skipped_files == 2


def test_read_before_open_raises(host: PluginHost, folder: Path) -> None:
    with pytest.raises(CameraError, match="not open"):
        make(host, folder).read()
