"""The ``video`` source: frames of a video file, with timestamps from their position in it."""

from __future__ import annotations

import logging
import math
import os
from datetime import datetime, timedelta
from pathlib import Path

import cv2

from lfr_framework.errors import CameraError
from lfr_framework.types import Frame
from lfr_opencv.capture import as_bgr_image, utc_now

log = logging.getLogger(__name__)

#: Frame rate assumed when the container declares none.
DEFAULT_FPS = 25.0
#: Frame counts above this are treated as "not declared" (some containers report garbage).
_MAX_PLAUSIBLE_FRAMES = 1_000_000_000


def check_video_path(path: Path) -> None:
    """Raise ``CameraError`` naming ``path`` unless it is a non-empty, readable regular file."""
    if not path.exists():
        raise CameraError(f"video file {path} does not exist")
    if path.is_dir():
        raise CameraError(
            f"video file {path} is a directory, not a video file "
            "(use the 'images' source for a folder of images)"
        )
    if not path.is_file():
        raise CameraError(f"video file {path} is not a regular file")
    if not os.access(path, os.R_OK):
        raise CameraError(f"video file {path} cannot be read: permission denied")
    if path.stat().st_size == 0:
        raise CameraError(f"video file {path} is empty")


class VideoFileSource:
    """Reads a video file with OpenCV's FFmpeg backend.

    A frame's timestamp is ``start_time`` plus its presentation time in the file
    (``CAP_PROP_POS_MSEC``; ``index / fps`` where the container gives none), so the same
    file and ``start_time`` always give the same timestamps. Timestamps strictly increase,
    across loops too. :meth:`open` always starts again at the beginning of the file.
    """

    live = False

    def __init__(
        self,
        camera_id: str,
        path: Path,
        *,
        start_time: datetime | None = None,
        loop: bool = False,
        strict_length: bool = True,
    ) -> None:
        self.camera_id = camera_id
        self.path = path
        self.loop = loop
        self.strict_length = strict_length
        self._start_time = start_time
        self._cap: cv2.VideoCapture | None = None
        self._fps = DEFAULT_FPS
        self._expected_frames: int | None = None
        self._index = 0
        self._pass_frames = 0
        self._offset_ms = 0.0
        self._last_ms: float | None = None

    @property
    def start_time(self) -> datetime | None:
        """The capture time of the first frame; set at the first :meth:`open` if not given."""
        return self._start_time

    def open(self) -> None:
        """Open the file at its first frame; raise ``CameraError`` naming it if it cannot."""
        self.close()
        self._cap = self._open_capture()
        fps = self._cap.get(cv2.CAP_PROP_FPS)
        if math.isfinite(fps) and fps > 0:
            self._fps = fps
        else:
            log.warning("video file %s declares no frame rate; assuming %s fps",
                        self.path, DEFAULT_FPS)
            self._fps = DEFAULT_FPS
        count = self._cap.get(cv2.CAP_PROP_FRAME_COUNT)
        valid_count = math.isfinite(count) and 0 < count < _MAX_PLAUSIBLE_FRAMES
        self._expected_frames = int(count) if valid_count else None
        if self._start_time is None:
            self._start_time = utc_now()
        self._index = 0
        self._pass_frames = 0
        self._offset_ms = 0.0
        self._last_ms = None

    def _open_capture(self) -> cv2.VideoCapture:
        check_video_path(self.path)
        cap = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG)
        if not cap.isOpened():
            cap.release()
            raise CameraError(
                f"video file {self.path} cannot be opened by OpenCV's FFmpeg backend: "
                "it is not a video, uses an unsupported codec, or is corrupt or truncated"
            )
        return cap

    def read(self) -> Frame | None:
        """The next frame; ``None`` at the end (never, with ``loop``).

        Raise ``CameraError`` when the file holds no decodable frame, or (with
        ``strict_length``) ends clearly before the frame count its container declares.
        """
        cap, start = self._cap, self._start_time
        if cap is None or start is None:
            raise CameraError(f"video file {self.path} is not open; call open() first")
        ok, mat = cap.read()
        while not ok:
            self._check_pass_complete()
            if not self.loop:
                return None
            cap.release()
            self._cap = None
            cap = self._cap = self._open_capture()
            if self._last_ms is not None:
                self._offset_ms = self._last_ms + 1000.0 / self._fps
            self._pass_frames = 0
            ok, mat = cap.read()
        media_ms = self._media_ms(cap.get(cv2.CAP_PROP_POS_MSEC))
        frame = Frame(
            camera_id=self.camera_id,
            index=self._index,
            timestamp=start + timedelta(milliseconds=media_ms),
            image=as_bgr_image(mat, f"video file {self.path}"),
        )
        self._index += 1
        self._pass_frames += 1
        self._last_ms = media_ms
        return frame

    def _media_ms(self, pos_ms: float) -> float:
        interval = 1000.0 / self._fps
        if math.isfinite(pos_ms) and pos_ms >= 0:
            media_ms = self._offset_ms + pos_ms
        else:
            media_ms = self._offset_ms + self._pass_frames * interval
        if self._last_ms is not None and media_ms <= self._last_ms:
            media_ms = self._last_ms + interval
        return media_ms

    def _check_pass_complete(self) -> None:
        if self._pass_frames == 0:
            raise CameraError(
                f"video file {self.path} holds no decodable frame: it is corrupt or truncated"
            )
        expected = self._expected_frames
        if self.strict_length and expected is not None:
            tolerance = max(2, round(expected * 0.01))
            if self._pass_frames < expected - tolerance:
                raise CameraError(
                    f"video file {self.path} ended after {self._pass_frames} of the "
                    f"{expected} frames its container declares: it is truncated or corrupt "
                    "(set strict_length: false to accept it)"
                )

    def close(self) -> None:
        """Release the file. Safe to call twice."""
        cap, self._cap = self._cap, None
        if cap is not None:
            cap.release()
