"""Load the system C++ runtime before USearch, so later C++ extensions still load.

USearch loads its kernel library, NumKong, with ``RTLD_GLOBAL``, and NumKong carries its own
copy of libstdc++'s symbols. A C++ extension loaded after it in the same process (ONNX
Runtime 1.32, the default recogniser's runtime) then binds to those and crashes while it
loads (a segmentation fault in ``std::codecvt``), unless the system libstdc++ was loaded
first, as importing OpenCV happens to do. Loading it here makes the order not matter.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys


def load_system_cxx_runtime() -> None:
    """Load ``libstdc++`` with global symbols (Linux only; a no-op where it is not found)."""
    if not sys.platform.startswith("linux"):
        return
    name = ctypes.util.find_library("stdc++")
    if name:
        ctypes.CDLL(name, mode=ctypes.RTLD_GLOBAL)
