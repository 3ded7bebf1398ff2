"""The live sources, ``stream`` and ``webcam``: wall-clock timestamps, outages raise.

A read that fails is an outage, not an end: :meth:`read` raises ``CameraError`` and
releases the capture, and the pipeline calls :meth:`open` again with back-off. Frame
indices go on counting across reopens.
"""

from __future__ import annotations

import cv2

from lfr_framework.errors import CameraError
from lfr_framework.types import Frame
from lfr_opencv.capture import as_bgr_image, redact_url, utc_now


class _LiveSource:
    live = True

    def __init__(self, camera_id: str) -> None:
        self.camera_id = camera_id
        self._cap: cv2.VideoCapture | None = None
        self._index = 0

    @property
    def description(self) -> str:
        """How messages name this source (never with a password)."""
        raise NotImplementedError

    def _open_capture(self) -> cv2.VideoCapture:
        raise NotImplementedError

    def _outage_reason(self) -> str:
        raise NotImplementedError

    def open(self) -> None:
        """Open (or reopen) the source; raise ``CameraError`` naming it if it cannot."""
        self.close()
        self._cap = self._open_capture()

    def read(self) -> Frame | None:
        """The next frame, stamped with the UTC wall clock; an outage raises ``CameraError``."""
        cap = self._cap
        if cap is None:
            raise CameraError(f"{self.description} is not open; call open() first")
        ok, mat = cap.read()
        timestamp = utc_now()
        if not ok:
            self.close()
            raise CameraError(f"{self.description} stopped delivering frames: "
                              f"{self._outage_reason()}")
        frame = Frame(
            camera_id=self.camera_id,
            index=self._index,
            timestamp=timestamp,
            image=as_bgr_image(mat, self.description),
        )
        self._index += 1
        return frame

    def close(self) -> None:
        """Release the capture. Safe to call twice."""
        cap, self._cap = self._cap, None
        if cap is not None:
            cap.release()


class StreamSource(_LiveSource):
    """A network stream (RTSP, RTMP, HTTP(S) such as MJPEG, UDP, TCP, SRT) via FFmpeg."""

    def __init__(
        self, camera_id: str, url: str, *, open_timeout_s: float = 10.0,
        read_timeout_s: float = 10.0,
    ) -> None:
        super().__init__(camera_id)
        self.url = url
        self.open_timeout_s = open_timeout_s
        self.read_timeout_s = read_timeout_s

    @property
    def description(self) -> str:
        """How messages name this stream: its URL with any password redacted."""
        return f"stream {redact_url(self.url)}"

    def _open_capture(self) -> cv2.VideoCapture:
        params = [
            cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, round(self.open_timeout_s * 1000),
            cv2.CAP_PROP_READ_TIMEOUT_MSEC, round(self.read_timeout_s * 1000),
        ]
        cap = cv2.VideoCapture(self.url, cv2.CAP_FFMPEG, params)
        if not cap.isOpened():
            cap.release()
            raise CameraError(
                f"{self.description} cannot be opened: the connection failed, timed out "
                f"after {self.open_timeout_s:g} s, or it carries no video OpenCV can decode"
            )
        return cap

    def _outage_reason(self) -> str:
        return f"the connection closed or no frame came within {self.read_timeout_s:g} s"


class WebcamSource(_LiveSource):
    """A local camera by device index (``0``) or device path (``/dev/video0``)."""

    def __init__(
        self, camera_id: str, device: int | str, *, width: int | None = None,
        height: int | None = None, fps: float | None = None,
    ) -> None:
        super().__init__(camera_id)
        self.device = device
        self.width = width
        self.height = height
        self.fps = fps

    @property
    def description(self) -> str:
        """How messages name this webcam: its device index or path."""
        return f"webcam {self.device}"

    def _open_capture(self) -> cv2.VideoCapture:
        cap = cv2.VideoCapture(self.device, cv2.CAP_ANY)
        if not cap.isOpened():
            cap.release()
            raise CameraError(
                f"{self.description} cannot be opened: no such device, it is busy, "
                "or access is denied"
            )
        # Requests only: the driver picks the nearest mode it supports.
        if self.width is not None:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
        if self.height is not None:
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
        if self.fps is not None:
            cap.set(cv2.CAP_PROP_FPS, self.fps)
        return cap

    def _outage_reason(self) -> str:
        return "the device was unplugged or stopped responding"
