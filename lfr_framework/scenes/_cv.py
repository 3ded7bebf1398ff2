"""Lazy access to OpenCV, which is an optional (``imaging``) dependency of the core."""

from __future__ import annotations

import importlib
from types import ModuleType

from lfr_framework.errors import LFRError

MISSING_OPENCV = "scene rendering needs OpenCV: pip install 'lfr-framework[imaging]'"


def require_cv2() -> ModuleType:
    """Import and return ``cv2``, or raise :class:`LFRError` saying how to install it."""
    try:
        return importlib.import_module("cv2")
    except ImportError as exc:
        raise LFRError(MISSING_OPENCV) from exc
