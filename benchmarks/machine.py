"""What the benchmark ran on: cores, CPU model, library versions and the date."""

from __future__ import annotations

import os
import platform
import resource
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

_PACKAGES = ("lfr-framework", "mediapipe", "onnxruntime", "usearch", "opencv-contrib-python",
             "numpy")


def cpu_model() -> str:
    """The CPU model name as ``lscpu`` gives it (``/proc/cpuinfo`` as a fallback)."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load_average() -> float | None:
    """The 1-minute load average: above the core count, something else was running too."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def machine_info() -> dict[str, Any]:
    """Cores usable by this process, CPU model, Python, key package versions, UTC date."""
    versions: dict[str, str | None] = {}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "cores": len(os.sched_getaffinity(0)),
        "cpu_model": cpu_model(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "packages": versions,
        "load_average_1min": load_average(),
        "date_utc": datetime.now(UTC).replace(microsecond=0).isoformat(),
    }


def describe(info: dict[str, Any]) -> str:
    """One line naming the machine, for the console and the charts."""
    return f"{info['cores']} cores, {info['cpu_model']}, Python {info['python']}"


def process_cpu_s() -> float:
    """CPU seconds (user + system) this process has used so far, every thread."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
