"""Enrolment with the real detector and recogniser: every bad input gives a clear error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lfr_framework.enrolment import enrol_directory, enrol_files
from lfr_framework.errors import EnrolmentError
from lfr_framework.imaging import read_image, require_cv2
from lfr_framework.interfaces import Detector, Recogniser
from lfr_framework.models.store import ModelStore
from lfr_framework.pipeline.quality import QualityGate, QualitySettings
from lfr_framework.plugins import PluginHost


@pytest.fixture(scope="module")
def models(default_host: PluginHost, model_store: ModelStore) -> tuple[Detector, Recogniser]:
    detector = default_host.detectors.create("mediapipe", {}, "d", models=model_store)
    recogniser = default_host.recognisers.create("arcface_onnx", {}, "r", models=model_store)
    return detector, recogniser


GATE = QualityGate(QualitySettings())


def write(path: Path, image: np.ndarray) -> Path:
    cv2 = require_cv2()
    cv2.imwrite(str(path), image)
    return path


def test_a_good_photo_enrols_to_one_unit_template(
    models: tuple[Detector, Recogniser], real_photos: dict[str, Path]
) -> None:
    entry = enrol_files("e1", [real_photos["obama"], real_photos["obama2"]], *models, GATE)
    assert entry.templates.shape == (2, models[1].dimension)
    assert np.allclose(np.linalg.norm(entry.templates, axis=1), 1.0, atol=1e-4)


def test_no_face(models: tuple[Detector, Recogniser], real_photos: dict[str, Path]) -> None:
    with pytest.raises(EnrolmentError, match=r"no face found in .*chelsea\.png") as info:
        enrol_files("cat", [real_photos["chelsea"]], *models, GATE)
    assert info.value.check == "no_face"


def test_several_faces_need_largest(
    models: tuple[Detector, Recogniser], real_photos: dict[str, Path], tmp_path: Path
) -> None:
    cv2 = require_cv2()
    a = read_image(real_photos["obama"])
    b = cv2.resize(read_image(real_photos["biden"]), (a.shape[1] * 3 // 4, a.shape[0] * 3 // 4))
    canvas = np.full((a.shape[0], a.shape[1] + b.shape[1], 3), 200, dtype=np.uint8)
    canvas[:, : a.shape[1]] = a
    canvas[: b.shape[0], a.shape[1]:] = b
    group = write(tmp_path / "group.png", canvas)
    with pytest.raises(EnrolmentError, match=r"2 faces found .*--largest") as info:
        enrol_files("g", [group], *models, GATE)
    assert info.value.check == "several_faces"
    largest = enrol_files("g", [group], *models, GATE, largest=True)
    alone = enrol_files("o", [real_photos["obama"]], *models, GATE)
    assert float(largest.templates[0] @ alone.templates[0]) > 0.9


def test_a_small_face_fails_the_size_check(
    models: tuple[Detector, Recogniser], real_photos: dict[str, Path], tmp_path: Path
) -> None:
    cv2 = require_cv2()
    image = read_image(real_photos["obama"])
    small = cv2.resize(image, (image.shape[1] // 6, image.shape[0] // 6),
                       interpolation=cv2.INTER_AREA)
    canvas = np.full((400, 400, 3), 128, dtype=np.uint8)
    canvas[: small.shape[0], : small.shape[1]] = small
    path = write(tmp_path / "small.png", canvas)
    gate = QualityGate(QualitySettings(min_face_px=80))
    with pytest.raises(EnrolmentError, match=r"face_too_small check: face is \d+ px high "
                                             r"\(minimum 80\)") as info:
        enrol_files("s", [path], *models, gate)
    assert info.value.check == "face_too_small"


def test_a_blurred_face_fails_the_sharpness_check(
    models: tuple[Detector, Recogniser], real_photos: dict[str, Path], tmp_path: Path
) -> None:
    cv2 = require_cv2()
    blurred = cv2.GaussianBlur(read_image(real_photos["obama"]), (0, 0), 10)
    path = write(tmp_path / "blurred.png", blurred)
    with pytest.raises(EnrolmentError, match="too_blurred check: sharpness") as info:
        enrol_files("b", [path], *models, GATE)
    assert info.value.check == "too_blurred"


def test_corrupt_and_truncated_images(
    models: tuple[Detector, Recogniser], real_photos: dict[str, Path], tmp_path: Path
) -> None:
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 20 + b"\xff\xd9")
    with pytest.raises(EnrolmentError, match=r"corrupt\.jpg is not a readable image"):
        enrol_files("c", [corrupt], *models, GATE)
    data = real_photos["obama"].read_bytes()
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(EnrolmentError, match=r"truncated\.jpg is truncated") as info:
        enrol_files("t", [truncated], *models, GATE)
    assert info.value.check == "decode"
    with pytest.raises(EnrolmentError, match="is empty"):
        (tmp_path / "empty.png").write_bytes(b"")
        enrol_files("e", [tmp_path / "empty.png"], *models, GATE)


def test_a_watchlist_folder_without_images_is_refused(
    models: tuple[Detector, Recogniser], tmp_path: Path
) -> None:
    (tmp_path / "wl" / "entry-without-images").mkdir(parents=True)
    with pytest.raises(EnrolmentError, match="holds no images"):
        enrol_directory(tmp_path / "wl", *models, GATE)
    with pytest.raises(EnrolmentError, match="does not exist"):
        enrol_directory(tmp_path / "missing", *models, GATE)
