"""Peer: the ``face_recognition`` library (dlib), run per frame as its README shows.

``face_locations`` (HOG detector, its default one upsample) then ``face_encodings`` (dlib's
ResNet, 128-d) on every frame, and each encoding compared with the watchlist by
``face_distance`` at the library's documented tolerance of 0.6. Installed with the
``bench`` extra (``dlib-bin``, ``face_recognition_models``, ``face_recognition``).
"""

from __future__ import annotations

import importlib
import importlib.resources
import sys
import time
import types
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import peer_loop
from benchmarks.peer_loop import FrameWork, run_per_frame
from benchmarks.records import RunResult
from benchmarks.scenes import WATCHLIST, RenderedScene
from lfr_framework.imaging import require_cv2
from lfr_framework.sample_photos import fetch_photos
from lfr_framework.types import BoundingBox

#: The library's documented tolerance: distances at or below it are a match.
TOLERANCE = 0.6
#: ``face_locations``' default: upsample the image once, so faces down to ~40 px are found.
UPSAMPLE = 1
INSTALL_HINT = ("pip install dlib-bin face_recognition_models && "
                "pip install --no-deps face_recognition  (or: pip install -e '.[bench]')")


def import_face_recognition() -> Any:
    """Import ``face_recognition``.

    ``face_recognition_models`` 0.3.0 finds its files with ``pkg_resources``, which
    setuptools ≥ 81 no longer ships; when it is missing, a stand-in offering only
    ``resource_filename`` (via ``importlib.resources``) is present for that one import and
    removed afterwards.
    """
    shim = None
    try:
        importlib.import_module("pkg_resources")
    except ImportError:
        shim = types.ModuleType("pkg_resources")
        shim.resource_filename = (  # type: ignore[attr-defined]
            lambda package, name: str(importlib.resources.files(package) / name))
        sys.modules["pkg_resources"] = shim
    try:
        importlib.import_module("face_recognition_models")
        return importlib.import_module("face_recognition")
    except ImportError as exc:
        raise RuntimeError(f"the face_recognition peer is not installed ({exc}): "
                           f"{INSTALL_HINT}") from None
    finally:
        if shim is not None and sys.modules.get("pkg_resources") is shim:
            del sys.modules["pkg_resources"]


class FaceRecognitionSystem:
    """``face_recognition`` per frame: HOG + ResNet encoder + distance ≤ 0.6."""

    def __init__(self, workdir: Path, name: str = "face_recognition") -> None:
        self.name = name
        self.workdir = workdir
        self._fr: Any = None
        self._known: np.ndarray | None = None
        self._identities: list[str] = []

    def prepare(self, scene: RenderedScene) -> None:
        """Import the library and encode the watchlist photos (not timed)."""
        if self._fr is not None:
            return
        self._fr = import_face_recognition()
        photos = fetch_photos()
        encodings = []
        for photo, identity in WATCHLIST.values():
            image = self._fr.load_image_file(str(photos[photo]))
            found = self._fr.face_encodings(image)
            if not found:
                raise RuntimeError(f"face_recognition finds no face in {photo}")
            encodings.append(found[0])
            self._identities.append(identity)
        self._known = np.asarray(encodings)

    def _process(self, image: Any) -> FrameWork:
        fr, cv2 = self._fr, require_cv2()
        work = FrameWork()
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        start = time.perf_counter()
        locations = fr.face_locations(rgb, number_of_times_to_upsample=UPSAMPLE)
        work.seconds["detect"] = time.perf_counter() - start
        if not locations:
            return work
        start = time.perf_counter()
        encodings = fr.face_encodings(rgb, locations)
        work.seconds["embed"] = time.perf_counter() - start
        start = time.perf_counter()
        for (top, right, bottom, left), encoding in zip(locations, encodings, strict=True):
            distances = fr.face_distance(self._known, encoding)
            best = int(np.argmin(distances))
            if distances[best] <= TOLERANCE:
                box = BoundingBox(float(left), float(top), float(right - left),
                                  float(bottom - top))
                work.matches.append((self._identities[best], box))
        work.seconds["search"] = time.perf_counter() - start
        work.faces = len(locations)
        rgb.fill(0)
        return work

    def run(self, scene: RenderedScene, replay: bool = True) -> RunResult:
        """Every frame of ``scene`` once (``replay`` does not apply to a peer)."""
        if self._fr is None:
            raise RuntimeError("call prepare() first")
        return run_per_frame(self.name, scene, self._process)

    def info(self) -> dict[str, Any]:
        """Versions and settings."""
        versions: dict[str, str | None] = {}
        for dist in ("face_recognition", "face_recognition_models", "dlib-bin"):
            try:
                versions[dist] = metadata.version(dist)
            except metadata.PackageNotFoundError:
                versions[dist] = None
        return {"library": versions, "detector": "HOG (face_locations, model='hog')",
                "upsample": UPSAMPLE, "encoder": "dlib ResNet 128-d (face_encodings, "
                "5-point landmarks, 1 jitter)", "tolerance": TOLERANCE,
                "cooldown_s": peer_loop.COOLDOWN_S,
                "watchlist_size": len(self._identities)}

    def close(self) -> None:
        """Forget the watchlist encodings."""
        if self._known is not None:
            self._known.fill(0.0)
        self._known = None
        self._identities = []
