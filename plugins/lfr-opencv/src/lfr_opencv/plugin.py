"""Registers the OpenCV camera sources: ``video``, ``stream``, ``webcam`` and ``images``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from lfr_framework import hookimpl
from lfr_framework.errors import ConfigurationError
from lfr_framework.hookspecs import ComponentRegister
from lfr_opencv.capture import redact_url
from lfr_opencv.image_folder import ImageFolderSource
from lfr_opencv.live import StreamSource, WebcamSource
from lfr_opencv.options import (
    ImageFolderOptions,
    StreamOptions,
    VideoFileOptions,
    WebcamOptions,
)
from lfr_opencv.video_file import VideoFileSource

#: URL schemes the ``stream`` source accepts (all go through OpenCV's FFmpeg backend).
STREAM_SCHEMES = frozenset({"rtsp", "rtsps", "rtmp", "rtmps", "http", "https", "udp", "tcp",
                            "srt"})


def _local_path(camera_id: str, uri: str) -> Path:
    if not uri.strip():
        raise ConfigurationError(f"camera {camera_id!r}: uri is empty; give a path")
    if uri.startswith("file://"):
        return Path(unquote(urlsplit(uri).path))
    return Path(uri).expanduser()


def video_source(
    camera_id: str, uri: str, *, start_time: datetime | None = None, loop: bool = False,
    strict_length: bool = True,
) -> VideoFileSource:
    """A ``video`` source: ``uri`` is the path (or ``file://`` URI) of a video file."""
    return VideoFileSource(camera_id, _local_path(camera_id, uri), start_time=start_time,
                           loop=loop, strict_length=strict_length)


def images_source(
    camera_id: str, uri: str, *, fps: float = 1.0, start_time: datetime | None = None,
) -> ImageFolderSource:
    """An ``images`` source: ``uri`` is the path (or ``file://`` URI) of a folder of images."""
    return ImageFolderSource(camera_id, _local_path(camera_id, uri), fps=fps,
                             start_time=start_time)


def stream_source(
    camera_id: str, uri: str, *, open_timeout_s: float = 10.0, read_timeout_s: float = 10.0,
) -> StreamSource:
    """A ``stream`` source: ``uri`` is an RTSP, RTMP, HTTP(S), UDP, TCP or SRT URL."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in STREAM_SCHEMES or not parts.netloc:
        schemes = ", ".join(sorted(STREAM_SCHEMES))
        raise ConfigurationError(
            f"camera {camera_id!r}: stream uri {redact_url(uri)!r} is not a URL with "
            f"one of the schemes {schemes}"
        )
    return StreamSource(camera_id, uri, open_timeout_s=open_timeout_s,
                        read_timeout_s=read_timeout_s)


def webcam_source(
    camera_id: str, uri: str, *, width: int | None = None, height: int | None = None,
    fps: float | None = None,
) -> WebcamSource:
    """A ``webcam`` source: ``uri`` is a device index (``0``) or device path (``/dev/video0``)."""
    text = uri.strip()
    device: int | str
    if text.isdigit():
        device = int(text)
    elif text.startswith("/dev/"):
        device = text
    else:
        raise ConfigurationError(
            f"camera {camera_id!r}: webcam uri {uri!r} is neither a device index such as "
            "'0' nor a device path such as '/dev/video0'"
        )
    return WebcamSource(camera_id, device, width=width, height=height, fps=fps)


@hookimpl
def register_camera_sources(register: ComponentRegister) -> None:
    """Register ``video``, ``stream``, ``webcam`` and ``images``."""
    register("video", video_source, options=VideoFileOptions)
    register("stream", stream_source, options=StreamOptions)
    register("webcam", webcam_source, options=WebcamOptions)
    register("images", images_source, options=ImageFolderOptions)
