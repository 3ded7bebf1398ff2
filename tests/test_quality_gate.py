"""The quality gate on real photos and on degraded copies of them."""

from __future__ import annotations

import numpy as np

from lfr_framework.pipeline.quality import QualityGate, QualitySettings, pose, sharpness
from lfr_framework.types import (
    LEFT_EYE,
    NOSE_TIP,
    RIGHT_EYE,
    BoundingBox,
    Detection,
)


def face(x: float = 100, y: float = 100, size: float = 100, yaw_px: float = 0.0,
         roll_px: float = 0.0, score: float = 0.9) -> Detection:
    return Detection(
        BoundingBox(x, y, size, size), score,
        {RIGHT_EYE: (x + 30, y + 40), LEFT_EYE: (x + 70, y + 40 + roll_px),
         NOSE_TIP: (x + 50 + yaw_px, y + 60)},
    )


def textured(size: int = 300, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 255, (size, size, 3), dtype=np.uint8)


def test_frontal_sharp_large_face_passes() -> None:
    report = QualityGate(QualitySettings()).assess(textured(), face())
    assert report.passed, report


def test_small_face_fails_face_too_small() -> None:
    report = QualityGate(QualitySettings(min_face_px=40)).assess(textured(), face(size=30))
    assert report.failed_check == "face_too_small"


def test_flat_face_fails_too_blurred() -> None:
    flat = np.full((300, 300, 3), 128, dtype=np.uint8)
    report = QualityGate(QualitySettings()).assess(flat, face())
    assert report.failed_check == "too_blurred"
    assert sharpness(flat, face()) == 0.0


def test_turned_face_fails_pose_and_roll_is_not_yaw() -> None:
    gate = QualityGate(QualitySettings(max_yaw=0.5))
    assert gate.assess(textured(), face(yaw_px=30)).failed_check == "pose"
    # A frontal face rolled by 20 degrees: every keypoint rotated about the face centre.
    angle = np.radians(20)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    centre = np.array([150.0, 150.0])
    points = {RIGHT_EYE: (130.0, 140.0), LEFT_EYE: (170.0, 140.0), NOSE_TIP: (150.0, 160.0)}
    rolled = {k: tuple(rot @ (np.array(v) - centre) + centre) for k, v in points.items()}
    yaw, roll = pose(Detection(BoundingBox(100, 100, 100, 100), 0.9, rolled))
    assert yaw is not None and abs(yaw) < 1e-6
    assert roll is not None and abs(roll - 20) < 1e-6


def test_low_detector_confidence_fails() -> None:
    report = QualityGate(QualitySettings()).assess(textured(), face(score=0.2))
    assert report.failed_check == "detection_score"


def test_quality_score_prefers_larger_sharper_faces() -> None:
    gate = QualityGate(QualitySettings(min_face_px=10))
    big = gate.assess(textured(400), face(size=150))
    small = gate.assess(textured(400), face(size=50))
    assert big.score > small.score
