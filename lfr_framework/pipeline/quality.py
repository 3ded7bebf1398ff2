"""The quality gate: is a detected face good enough to recognise, and how good is it?"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pydantic

from lfr_framework.types import (
    LEFT_EYE,
    MOUTH_CENTRE,
    NOSE_TIP,
    RIGHT_EYE,
    Detection,
    Image,
)


class QualitySettings(pydantic.BaseModel):
    """Thresholds of the quality gate (``[quality]`` in a deployment file)."""

    model_config = pydantic.ConfigDict(extra="forbid")

    min_face_px: float = pydantic.Field(
        20.0, gt=0, description="minimum face box height (smaller faces recognise too poorly "
        "to be worth a model run; see docs/evaluation.md)")
    min_inter_eye_px: float = pydantic.Field(8.0, ge=0)
    min_sharpness: float = pydantic.Field(
        20.0, ge=0, description="minimum variance of the Laplacian over the face"
    )
    max_yaw: float = pydantic.Field(
        0.6, gt=0, description="largest |nose offset| from the eye midpoint, in inter-eye units"
    )
    max_roll_deg: float = pydantic.Field(35.0, gt=0)
    min_detection_score: float = pydantic.Field(0.5, ge=0, le=1)


@dataclass(frozen=True, slots=True)
class QualityReport:
    """The measurements of one face and the first check it failed, if any."""

    face_px: float
    inter_eye_px: float | None
    sharpness: float
    yaw: float | None
    roll_deg: float | None
    failed_check: str | None

    @property
    def passed(self) -> bool:
        """Whether every check passed."""
        return self.failed_check is None

    @property
    def score(self) -> float:
        """A single number for best-shot selection: larger, sharper, more frontal is better."""
        size = min(self.face_px / 160.0, 1.0)
        sharp = min(self.sharpness / 200.0, 1.0)
        frontal = 1.0 - min(abs(self.yaw or 0.0), 1.0)
        return 0.5 * size + 0.25 * sharp + 0.25 * frontal


def sharpness(image: Image, detection: Detection) -> float:
    """Variance of the 4-neighbour Laplacian over the face box, sampled to about 64 px high."""
    box = detection.box
    height, width = image.shape[:2]
    x0, y0 = max(int(box.x), 0), max(int(box.y), 0)
    x1, y1 = min(int(box.x + box.width), width), min(int(box.y + box.height), height)
    if x1 - x0 < 3 or y1 - y0 < 3:
        return 0.0
    step = max((y1 - y0) // 64, 1)  # sample, so big faces cost no more than small ones
    patch = image[y0:y1:step, x0:x1:step].astype(np.float32)
    grey = patch[..., 0] * 0.114 + patch[..., 1] * 0.587 + patch[..., 2] * 0.299
    if grey.shape[0] < 3 or grey.shape[1] < 3:
        return 0.0
    lap = (
        grey[:-2, 1:-1] + grey[2:, 1:-1] + grey[1:-1, :-2] + grey[1:-1, 2:]
        - 4.0 * grey[1:-1, 1:-1]
    )
    return float(lap.var())


def pose(detection: Detection) -> tuple[float | None, float | None]:
    """Yaw (nose offset from the eye midpoint, in inter-eye units) and roll (degrees)."""
    kp = detection.keypoints
    right, left = kp.get(RIGHT_EYE), kp.get(LEFT_EYE)
    if right is None or left is None:
        return None, None
    dx, dy = left[0] - right[0], left[1] - right[1]
    distance = float(np.hypot(dx, dy))
    if distance == 0:
        return None, None
    roll = float(np.degrees(np.arctan2(dy, dx)))
    nose = kp.get(NOSE_TIP) or kp.get(MOUTH_CENTRE)
    if nose is None:
        return None, roll
    mid_x, mid_y = (left[0] + right[0]) / 2.0, (left[1] + right[1]) / 2.0
    # Project the nose offset onto the eye line so roll does not read as yaw.
    offset = ((nose[0] - mid_x) * dx + (nose[1] - mid_y) * dy) / distance
    return float(offset / distance), roll


class QualityGate:
    """Applies :class:`QualitySettings` to detections."""

    def __init__(self, settings: QualitySettings) -> None:
        self.settings = settings

    def assess(self, image: Image, detection: Detection) -> QualityReport:
        """Measure a face and name the first check it fails (``None`` when it passes)."""
        s = self.settings
        face_px = float(detection.box.height)
        eyes = detection.inter_eye_distance
        yaw, roll = pose(detection)
        sharp = sharpness(image, detection)
        failed: str | None = None
        if detection.score < s.min_detection_score:
            failed = "detection_score"
        elif face_px < s.min_face_px or (eyes is not None and eyes < s.min_inter_eye_px):
            failed = "face_too_small"
        elif sharp < s.min_sharpness:
            failed = "too_blurred"
        elif (yaw is not None and abs(yaw) > s.max_yaw) or (
            roll is not None and abs(roll) > s.max_roll_deg
        ):
            failed = "pose"
        return QualityReport(face_px, eyes, sharp, yaw, roll, failed)
