"""Alignment to the ArcFace template, and the errors for detections it cannot align."""

from __future__ import annotations

import numpy as np
import pytest
from lfr_arcface_onnx.alignment import ARCFACE_TEMPLATE, REQUIRED_KEYPOINTS, similarity_transform
from lfr_arcface_onnx.recogniser import ArcFaceOnnxRecogniser

from lfr_framework.errors import ConfigurationError
from lfr_framework.types import (
    LEFT_EYE,
    MOUTH_CENTRE,
    NOSE_TIP,
    RIGHT_EAR,
    RIGHT_EYE,
    BoundingBox,
    Detection,
)

BOX = BoundingBox(10, 10, 100, 100)


def test_similarity_transform_recovers_a_known_one() -> None:
    angle, scale, shift = 0.3, 2.5, np.array([40.0, -7.0])
    rot = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    src = ARCFACE_TEMPLATE
    dst = src @ rot.T + shift
    matrix = similarity_transform(src, dst)
    np.testing.assert_allclose(matrix[:, :2], rot, atol=1e-9)
    np.testing.assert_allclose(matrix[:, 2], shift, atol=1e-9)


def test_aligned_crop_puts_the_keypoints_on_the_template(
    recogniser: ArcFaceOnnxRecogniser, faces: dict
) -> None:
    image, detection = faces["obama"]
    crop = recogniser.align(image, detection)
    assert crop.shape == (112, 112, 3)
    assert crop.dtype == np.uint8
    src = np.array([detection.keypoints[k] for k in REQUIRED_KEYPOINTS])
    matrix = similarity_transform(src, ARCFACE_TEMPLATE)
    mapped = src @ matrix[:, :2].T + matrix[:, 2]
    assert np.abs(mapped - ARCFACE_TEMPLATE).max() < 4.0  # pixels in the 112x112 crop


def test_a_detection_without_keypoints_is_refused_clearly(
    recogniser: ArcFaceOnnxRecogniser, faces: dict
) -> None:
    image, _ = faces["obama"]
    with pytest.raises(ConfigurationError, match=r"lacks right_eye, left_eye, nose_tip, "
                       r"mouth_centre \(it has: none\)"):
        recogniser.align(image, Detection(BOX, 0.9))


def test_a_detection_with_some_keypoints_names_the_missing_ones(
    recogniser: ArcFaceOnnxRecogniser, faces: dict
) -> None:
    image, _ = faces["obama"]
    partial = Detection(BOX, 0.9, {RIGHT_EYE: (30.0, 40.0), LEFT_EYE: (70.0, 40.0),
                                   RIGHT_EAR: (10.0, 50.0)})
    with pytest.raises(ConfigurationError,
                       match=r"lacks nose_tip, mouth_centre \(it has: left_eye, right_ear, "
                       r"right_eye\)"):
        recogniser.align(image, partial)


def test_coincident_keypoints_are_refused(
    recogniser: ArcFaceOnnxRecogniser, faces: dict
) -> None:
    image, _ = faces["obama"]
    point = (50.0, 50.0)
    flat = Detection(BOX, 0.9, {RIGHT_EYE: point, LEFT_EYE: point, NOSE_TIP: point,
                                MOUTH_CENTRE: point})
    with pytest.raises(ValueError, match="keypoints coincide"):
        recogniser.align(image, flat)


def test_non_finite_keypoints_are_refused(
    recogniser: ArcFaceOnnxRecogniser, faces: dict
) -> None:
    image, detection = faces["obama"]
    bad = Detection(BOX, 0.9, {**detection.keypoints, NOSE_TIP: (float("nan"), 3.0)})
    with pytest.raises(ValueError, match="finite"):
        recogniser.align(image, bad)


@pytest.mark.parametrize("image", [
    np.zeros((50, 50), np.uint8),
    np.zeros((50, 50, 3), np.float32),
    "not an image",
])
def test_align_refuses_what_is_not_a_bgr_image(
    recogniser: ArcFaceOnnxRecogniser, faces: dict, image: object
) -> None:
    _, detection = faces["obama"]
    with pytest.raises(ValueError, match=r"image must be a uint8 BGR array"):
        recogniser.align(image, detection)  # type: ignore[arg-type]


@pytest.mark.parametrize("crop", [
    np.zeros((100, 100, 3), np.uint8),
    np.zeros((112, 112, 3), np.float32),
    np.zeros((112, 112), np.uint8),
    None,
])
def test_embed_refuses_crops_that_align_did_not_make(
    recogniser: ArcFaceOnnxRecogniser, faces: dict, crop: object
) -> None:
    good = recogniser.align(*faces["obama"])
    with pytest.raises(ValueError, match=r"crop 1 must be a uint8 BGR image of shape "
                       r"\(112, 112, 3\)"):
        recogniser.embed([good, crop])  # type: ignore[list-item]
