"""Default LFR camera sources built on OpenCV: ``video``, ``stream``, ``webcam`` and ``images``."""

from lfr_opencv.image_folder import ImageFolderSource
from lfr_opencv.live import StreamSource, WebcamSource
from lfr_opencv.options import (
    ImageFolderOptions,
    StreamOptions,
    VideoFileOptions,
    WebcamOptions,
)
from lfr_opencv.video_file import VideoFileSource

__all__ = [
    "ImageFolderOptions",
    "ImageFolderSource",
    "StreamOptions",
    "StreamSource",
    "VideoFileOptions",
    "VideoFileSource",
    "WebcamOptions",
    "WebcamSource",
]
