"""Reading image files for enrolment and evaluation (OpenCV, imported lazily).

OpenCV comes with the ``imaging`` extra; the core itself does not need it.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import numpy as np

from lfr_framework.errors import ImageDecodeError, LFRError
from lfr_framework.types import Image

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"})


def require_cv2() -> ModuleType:
    """The ``cv2`` module, or a clear error saying how to install it."""
    try:
        import cv2
    except ImportError:
        raise LFRError(
            "this needs OpenCV: pip install 'lfr-framework[imaging]'"
        ) from None
    module: ModuleType = cv2
    return module


def _looks_truncated(data: bytes) -> bool:
    if data[:3] == b"\xff\xd8\xff":  # JPEG: must end with the EOI marker
        return b"\xff\xd9" not in data[-1024:]
    if data[:8] == b"\x89PNG\r\n\x1a\n":  # PNG: must contain the IEND chunk
        return b"IEND" not in data[-64:]
    return False


def decode_image(data: bytes, name: str) -> Image:
    """Decode image bytes to BGR uint8; ``ImageDecodeError`` naming ``name`` if it cannot."""
    if not data:
        raise ImageDecodeError(f"{name} is empty")
    if _looks_truncated(data):
        raise ImageDecodeError(f"{name} is truncated (the image data ends early)")
    cv2 = require_cv2()
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ImageDecodeError(f"{name} is not a readable image (corrupt or not an image)")
    decoded: Image = np.ascontiguousarray(image, dtype=np.uint8)
    return decoded


def read_image(path: Path) -> Image:
    """Read an image file to BGR uint8; ``ImageDecodeError`` naming the file if it cannot."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImageDecodeError(f"cannot read {path}: {exc.strerror or exc}") from None
    return decode_image(data, str(path))


def image_files(directory: Path) -> list[Path]:
    """The image files directly inside ``directory``, sorted by name."""
    return sorted(p for p in directory.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
