"""Small helpers the sources share: the UTC clock, URL redaction and frame conversion."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

import cv2
import numpy as np

from lfr_framework.errors import CameraError
from lfr_framework.types import Image


def utc_now() -> datetime:
    """The wall-clock time now, timezone-aware, in UTC."""
    return datetime.now(UTC)


def redact_url(uri: str) -> str:
    """``uri`` with any password replaced by ``***``, safe to put in messages and logs."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return "<unparseable URL>"
    if parts.password is None:
        return uri
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port is not None else ""
    netloc = f"{parts.username or ''}:***@{host}{port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def as_bgr_image(mat: object, source: str) -> Image:
    """``mat`` as an ``uint8`` height × width × 3 BGR array; anything else is a ``CameraError``."""
    array = np.asarray(mat)
    if array.dtype != np.uint8:
        raise CameraError(f"{source} delivered {array.dtype} pixels; expected 8-bit images")
    if array.ndim == 2:
        array = cv2.cvtColor(array, cv2.COLOR_GRAY2BGR)
    elif array.ndim == 3 and array.shape[2] == 4:
        array = cv2.cvtColor(array, cv2.COLOR_BGRA2BGR)
    if array.ndim != 3 or array.shape[2] != 3:
        raise CameraError(f"{source} delivered frames of shape {array.shape}; expected H×W×3")
    image: Image = np.ascontiguousarray(array)
    return image
