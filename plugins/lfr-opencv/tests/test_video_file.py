"""The ``video`` source reads real video files written with cv2.VideoWriter."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from lfr_framework.errors import CameraError
from lfr_framework.interfaces import CameraSource
from lfr_framework.plugins import PluginHost
from lfr_framework.types import Frame

START = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)


def make(host: PluginHost, uri: Path | str, **options: object) -> CameraSource:
    return host.camera_sources.create("video", options, "cameras[0].options",
                                      camera_id="cam-1", uri=str(uri))


def read_all(source: CameraSource, limit: int = 10_000) -> list[Frame]:
    frames = []
    while (frame := source.read()) is not None:
        frames.append(frame)
        assert len(frames) <= limit
    return frames


def test_reads_every_frame_with_position_timestamps(
    host: PluginHost, write_video: Callable[..., Path], tmp_path: Path
) -> None:
    path = write_video(tmp_path / "walk.mp4", frames=20, fps=10.0)
    source = make(host, path, start_time=START)
    assert isinstance(source, CameraSource)
    source.open()
    frames = read_all(source)
    source.close()
    source.close()  # idempotent

    assert len(frames) == 20
    assert [f.index for f in frames] == list(range(20))
    assert all(f.camera_id == "cam-1" for f in frames)
    for i, frame in enumerate(frames):
        assert frame.image.dtype == np.uint8 and frame.image.shape == (48, 64, 3)
        assert abs(int(frame.image.mean()) - (i * 10) % 250) <= 4  # the frame written i-th
        assert abs(frame.timestamp - (START + timedelta(milliseconds=100 * i))) < timedelta(
            milliseconds=1)
        assert frame.timestamp.tzinfo is not None
    stamps = [f.timestamp for f in frames]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)


def test_same_file_gives_the_same_timestamps_and_reopen_starts_again(
    host: PluginHost, write_video: Callable[..., Path], tmp_path: Path
) -> None:
    path = write_video(tmp_path / "walk.mp4", frames=12, fps=25.0)
    source = make(host, path)  # no start_time: pinned at the first open()
    source.open()
    first = [(f.index, f.timestamp) for f in read_all(source)]
    assert source.read() is None  # stays at the end
    source.open()
    second = [(f.index, f.timestamp) for f in read_all(source)]
    source.close()
    assert first == second and len(first) == 12
    assert first[1][1] - first[0][1] == timedelta(milliseconds=40)


def test_loop_restarts_with_increasing_indices_and_timestamps(
    host: PluginHost, write_video: Callable[..., Path], tmp_path: Path
) -> None:
    path = write_video(tmp_path / "short.mp4", frames=10, fps=10.0)
    source = make(host, path, start_time=START, loop=True)
    source.open()
    frames = [source.read() for _ in range(25)]
    source.close()
    assert all(f is not None for f in frames)
    got = [f for f in frames if f is not None]
    assert [f.index for f in got] == list(range(25))
    for i, frame in enumerate(got):
        expected = START + timedelta(milliseconds=100 * i)
        assert abs(frame.timestamp - expected) < timedelta(milliseconds=1)
        assert abs(int(frame.image.mean()) - ((i % 10) * 10) % 250) <= 4


def test_missing_file_names_the_path(host: PluginHost, tmp_path: Path) -> None:
    path = tmp_path / "nowhere.mp4"
    source = make(host, path)
    with pytest.raises(CameraError, match=f"{re.escape(str(path))}.*does not exist"):
        source.open()


def test_directory_names_the_path(host: PluginHost, tmp_path: Path) -> None:
    with pytest.raises(CameraError, match=f"{re.escape(str(tmp_path))} is a directory"):
        make(host, tmp_path).open()


def test_empty_file_names_the_path(host: PluginHost, tmp_path: Path) -> None:
    path = tmp_path / "empty.mp4"
    path.write_bytes(b"")
    with pytest.raises(CameraError, match=f"{re.escape(str(path))} is empty"):
        make(host, path).open()


def test_not_a_video_names_the_path(host: PluginHost, tmp_path: Path) -> None:
    path = tmp_path / "notes.mp4"
    path.write_text("these are meeting notes, not a video\n" * 50)
    with pytest.raises(CameraError, match=f"{re.escape(str(path))} cannot be opened.*not a video"):
        make(host, path).open()


def test_photo_is_not_a_video(host: PluginHost, real_photos: dict[str, Path]) -> None:
    source = make(host, real_photos["obama"])
    # FFmpeg may open a JPEG as a one-frame "video"; either way the source must not hang
    # or crash: it fails with the path, or yields the single frame and ends.
    try:
        source.open()
    except CameraError as exc:
        assert str(real_photos["obama"]) in str(exc)
        return
    frames = read_all(source)
    source.close()
    assert len(frames) == 1


def test_mp4_cut_short_cannot_be_opened(
    host: PluginHost, write_video: Callable[..., Path], tmp_path: Path
) -> None:
    path = write_video(tmp_path / "full.mp4", frames=30)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])  # loses the moov index
    with pytest.raises(CameraError, match=f"{re.escape(str(cut))} cannot be opened.*truncated"):
        make(host, cut).open()


def test_truncated_avi_raises_when_frames_run_out(
    host: PluginHost, write_video: Callable[..., Path], tmp_path: Path
) -> None:
    path = write_video(tmp_path / "full.avi", frames=30, fourcc="MJPG")
    cut = tmp_path / "cut.avi"
    cut.write_bytes(path.read_bytes()[: int(path.stat().st_size * 0.6)])
    source = make(host, cut)
    source.open()
    frames = []
    expected = rf"{re.escape(str(cut))} ended after \d+ of the 30 frames.*truncated"
    with pytest.raises(CameraError, match=expected):
        while (frame := source.read()) is not None:
            frames.append(frame)
    assert 0 < len(frames) < 30
    source.close()

    # The escape hatch: accept the short file, delivering what it holds.
    lenient = make(host, cut, strict_length=False)
    lenient.open()
    assert len(read_all(lenient)) == len(frames)
    lenient.close()


def test_full_avi_reads_without_error(
    host: PluginHost, write_video: Callable[..., Path], tmp_path: Path
) -> None:
    path = write_video(tmp_path / "full.avi", frames=30, fourcc="MJPG")
    source = make(host, path)
    source.open()
    assert len(read_all(source)) == 30
    source.close()


def test_read_before_open_raises(host: PluginHost, write_video: Callable[..., Path],
                                 tmp_path: Path) -> None:
    path = write_video(tmp_path / "a.mp4", frames=3)
    with pytest.raises(CameraError, match="not open"):
        make(host, path).read()


def test_file_uri_is_accepted(host: PluginHost, write_video: Callable[..., Path],
                              tmp_path: Path) -> None:
    path = write_video(tmp_path / "a b.mp4", frames=3)
    source = make(host, path.as_uri())
    source.open()
    assert len(read_all(source)) == 3
    source.close()
