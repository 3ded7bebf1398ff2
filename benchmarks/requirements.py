"""The peers the benchmark compares with, and installing them when they are missing.

They are declared in the root ``pyproject.toml`` as the ``bench`` extra, except
``face_recognition`` itself: it depends on ``dlib``, which pip would build from source, so
it is installed with ``--no-deps`` next to the prebuilt ``dlib-bin``.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Callable

#: import name → requirements that provide it (installed in this order).
PEER_PACKAGES: dict[str, tuple[tuple[str, ...], ...]] = {
    "faiss": (("faiss-cpu>=1.8",),),
    "face_recognition": (("dlib-bin>=19.24", "face_recognition_models>=0.3.0"),
                         ("--no-deps", "face_recognition==1.3.0")),
}


def missing(modules: list[str]) -> list[str]:
    """Which of ``modules`` cannot be imported here."""
    return [m for m in modules if importlib.util.find_spec(m) is None]


def ensure_installed(modules: list[str], say: Callable[[str], None]) -> None:
    """Install the packages of every missing module into this interpreter with pip,
    saying what is installed and why; raise ``RuntimeError`` if pip fails."""
    for module in missing(modules):
        for requirement in PEER_PACKAGES[module]:
            cmd = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "-q",
                   *requirement]
            say(f"benchmark peer {module!r} is not installed: {' '.join(cmd[1:])}")
            if subprocess.run(cmd, check=False).returncode != 0:
                raise RuntimeError(f"could not install {' '.join(requirement)}; install the "
                                   "'bench' extra by hand (see docs/performance.md)")
