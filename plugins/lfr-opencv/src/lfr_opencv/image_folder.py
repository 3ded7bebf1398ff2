"""The ``images`` source: a folder of images, read in name order, as frames at a fixed rate."""

from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta
from pathlib import Path

import cv2
import numpy as np

from lfr_framework.errors import CameraError
from lfr_framework.types import Frame, Image
from lfr_opencv.capture import as_bgr_image, utc_now

log = logging.getLogger(__name__)

#: File suffixes (lower case) the source reads; other files in the folder are ignored.
IMAGE_SUFFIXES = frozenset({
    ".bmp", ".dib", ".jpeg", ".jpg", ".jpe", ".jp2", ".png", ".webp", ".pbm", ".pgm",
    ".ppm", ".pxm", ".pnm", ".tif", ".tiff",
})


def list_images(folder: Path) -> list[Path]:
    """The image files directly in ``folder`` (not hidden), sorted by name."""
    return sorted(
        (p for p in folder.iterdir()
         if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".") and p.is_file()),
        key=lambda p: p.name,
    )


def decode_image(path: Path) -> Image | None:
    """The image at ``path`` as BGR ``uint8``, or ``None`` when it cannot be read or decoded."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    mat = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if mat is None:
        return None
    return as_bgr_image(mat, f"image {path}")


class ImageFolderSource:
    """Reads every image in a folder, sorted by file name, then ends.

    Image ``n`` of the sorted list is frame ``n``, captured at ``start_time + n / fps``,
    so the same folder always gives the same indices and timestamps. A file that cannot
    be decoded (corrupt, truncated, not an image) is skipped with a warning naming it
    and counted in :attr:`skipped_files`; its index and time slot stay unused. If no
    image at all can be decoded, :meth:`read` raises ``CameraError``.
    """

    live = False

    def __init__(
        self, camera_id: str, folder: Path, *, fps: float = 1.0,
        start_time: datetime | None = None,
    ) -> None:
        self.camera_id = camera_id
        self.folder = folder
        self.fps = fps
        #: Files skipped as undecodable since the last :meth:`open`.
        self.skipped_files = 0
        self._start_time = start_time
        self._files: list[Path] | None = None
        self._position = 0
        self._delivered = 0

    @property
    def start_time(self) -> datetime | None:
        """The capture time of the first image; set at the first :meth:`open` if not given."""
        return self._start_time

    def open(self) -> None:
        """List the folder's images; raise ``CameraError`` naming it if there are none."""
        folder = self.folder
        if not folder.exists():
            raise CameraError(f"image folder {folder} does not exist")
        if not folder.is_dir():
            raise CameraError(
                f"image folder {folder} is not a directory "
                "(use the 'video' source for a video file)"
            )
        if not os.access(folder, os.R_OK | os.X_OK):
            raise CameraError(f"image folder {folder} cannot be read: permission denied")
        files = list_images(folder)
        if not files:
            suffixes = ", ".join(sorted(IMAGE_SUFFIXES))
            raise CameraError(f"image folder {folder} holds no image files ({suffixes})")
        if self._start_time is None:
            self._start_time = utc_now()
        self._files = files
        self._position = 0
        self._delivered = 0
        self.skipped_files = 0

    def read(self) -> Frame | None:
        """The next decodable image as a frame; ``None`` after the last one."""
        files, start = self._files, self._start_time
        if files is None or start is None:
            raise CameraError(f"image folder {self.folder} is not open; call open() first")
        while self._position < len(files):
            index = self._position
            path = files[index]
            self._position += 1
            image = decode_image(path)
            if image is None:
                self.skipped_files += 1
                log.warning("camera %s: skipping %s: not a readable image "
                            "(corrupt, truncated or unsupported)", self.camera_id, path)
                continue
            self._delivered += 1
            return Frame(
                camera_id=self.camera_id,
                index=index,
                timestamp=start + timedelta(seconds=index / self.fps),
                image=image,
            )
        if self._delivered == 0:
            raise CameraError(
                f"image folder {self.folder}: none of its {len(files)} image files "
                "could be decoded"
            )
        return None

    def close(self) -> None:
        """Forget the file list. Safe to call twice."""
        self._files = None
