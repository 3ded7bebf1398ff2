"""The option models the core validates before it calls a source factory.

Unknown keys are rejected, so a misspelt option fails at start-up with its name.
"""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VideoFileOptions(_Options):
    """Options of the ``video`` source (``uri`` is the path of a video file)."""

    start_time: AwareDatetime | None = Field(
        default=None,
        description="Capture time of the first frame (timezone-aware). Frame timestamps are "
        "this plus the frame's position in the file, so a run is reproducible. Default: the "
        "wall-clock time of the first open().",
    )
    loop: bool = Field(default=False, description="Start again at the end of the file.")
    strict_length: bool = Field(
        default=True,
        description="Raise CameraError when the file ends clearly before the frame count its "
        "container declares (a truncated or corrupt file).",
    )


class ImageFolderOptions(_Options):
    """Options of the ``images`` source (``uri`` is the path of a folder of images)."""

    fps: float = Field(
        default=1.0, gt=0, le=1000,
        description="Frames per second used for timestamps: image n is at start_time + n / fps.",
    )
    start_time: AwareDatetime | None = Field(
        default=None,
        description="Capture time of the first image (timezone-aware). Default: the wall-clock "
        "time of the first open().",
    )


class StreamOptions(_Options):
    """Options of the ``stream`` source (``uri`` is an RTSP, RTMP, HTTP(S), UDP, TCP or SRT URL)."""

    open_timeout_s: float = Field(
        default=10.0, gt=0, le=300, description="Longest wait for the stream to open."
    )
    read_timeout_s: float = Field(
        default=10.0, gt=0, le=300,
        description="Longest wait for one frame before the stream counts as disconnected.",
    )


class WebcamOptions(_Options):
    """Options of the ``webcam`` source (``uri`` is a device index such as ``0`` or a
    device path such as ``/dev/video0``). Sizes and rate are requests the driver may adjust."""

    width: int | None = Field(default=None, gt=0, le=16384, description="Requested frame width.")
    height: int | None = Field(
        default=None, gt=0, le=16384, description="Requested frame height."
    )
    fps: float | None = Field(default=None, gt=0, le=1000, description="Requested frame rate.")
