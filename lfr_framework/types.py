"""Domain types shared by the core and every plugin.

Biometric values (images, crops, templates) live only in the fields named so;
``__repr__`` of each type leaves them out, so a log line that formats one of
these objects never carries biometric data.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt

#: An image as the framework passes it around: ``uint8``, height × width × 3, BGR order.
Image = npt.NDArray[np.uint8]
#: One or more templates: ``float32``, L2-normalised, one row per face.
Templates = npt.NDArray[np.float32]

#: Keypoint names a detector may report (the subject's right / left).
RIGHT_EYE = "right_eye"
LEFT_EYE = "left_eye"
NOSE_TIP = "nose_tip"
MOUTH_CENTRE = "mouth_centre"
RIGHT_EAR = "right_ear"
LEFT_EAR = "left_ear"


@dataclass(frozen=True, slots=True)
class BoundingBox:
    """An axis-aligned box in pixel coordinates of the frame."""

    x: float
    y: float
    width: float
    height: float

    @property
    def area(self) -> float:
        """The box's area in square pixels."""
        return max(self.width, 0.0) * max(self.height, 0.0)

    @property
    def centre(self) -> tuple[float, float]:
        """The box's centre point."""
        return (self.x + self.width / 2.0, self.y + self.height / 2.0)

    def iou(self, other: BoundingBox) -> float:
        """Intersection over union with ``other`` (0 when they do not overlap)."""
        left = max(self.x, other.x)
        top = max(self.y, other.y)
        right = min(self.x + self.width, other.x + other.width)
        bottom = min(self.y + self.height, other.y + other.height)
        inter = max(right - left, 0.0) * max(bottom - top, 0.0)
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0


@dataclass(frozen=True, slots=True)
class Region:
    """A rectangle of a frame in whole pixels, ``frame[y:y + height, x:x + width]``: a part
    of the frame a detector searches on its own (a tile)."""

    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class Detection:
    """One face found by a detector: box, confidence and named keypoints in pixels."""

    box: BoundingBox
    score: float
    keypoints: Mapping[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def inter_eye_distance(self) -> float | None:
        """Pixels between the eyes, or ``None`` when the detector gave no eyes."""
        right = self.keypoints.get(RIGHT_EYE)
        left = self.keypoints.get(LEFT_EYE)
        if right is None or left is None:
            return None
        return float(np.hypot(left[0] - right[0], left[1] - right[1]))


@dataclass(frozen=True, slots=True)
class Frame:
    """One image from a camera source with its capture time and sequence number."""

    camera_id: str
    index: int
    timestamp: datetime
    image: Image = field(repr=False)


@dataclass(frozen=True, slots=True)
class Candidate:
    """One watchlist entry returned by a matcher search, with its similarity score."""

    entry_id: str
    score: float


@dataclass(frozen=True, slots=True)
class WatchlistEntry:
    """A watchlist entry as the pipeline needs it: an id, its templates and display facts."""

    entry_id: str
    templates: Templates = field(repr=False)
    reference: str = ""
    category: str = ""
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Alert:
    """A possible match that an officer must judge; the system never acts on it itself.

    ``probe_crop`` and ``probe_template`` are alert biometrics: they exist only for
    faces that matched, and the retention rules apply to them.
    """

    alert_id: str
    deployment_id: str
    camera_id: str
    track_id: int
    entry_id: str
    score: float
    threshold: float
    model_id: str
    raised_at: datetime
    frame_timestamp: datetime
    first_seen_at: datetime
    probe_crop: Image | None = field(default=None, repr=False, compare=False)
    probe_template: Templates | None = field(default=None, repr=False, compare=False)
    #: Where the face was in the frame (pixels), for the officer and for scoring a scene.
    face_box: BoundingBox | None = None

    def facts(self) -> dict[str, object]:
        """The alert without its biometric parts, as JSON-ready values."""
        out: dict[str, object] = {}
        for f in dataclasses.fields(self):
            if f.name in ("probe_crop", "probe_template"):
                continue
            value = getattr(self, f.name)
            if isinstance(value, BoundingBox):
                value = [round(value.x, 1), round(value.y, 1), round(value.width, 1),
                         round(value.height, 1)]
            out[f.name] = value.isoformat() if isinstance(value, datetime) else value
        return out


def new_alert_id() -> str:
    """A fresh, globally unique alert id."""
    return str(uuid.uuid4())


@dataclass(slots=True)
class PipelineCounters:
    """The only things the pipeline keeps about faces that did not match: counts."""

    frames_read: int = 0
    frames_processed: int = 0
    frames_dropped: int = 0
    frames_failed: int = 0
    detections: int = 0
    faces_seen: int = 0
    faces_rejected_quality: int = 0
    recognitions: int = 0
    faces_discarded: int = 0
    faces_failed: int = 0
    alerts: int = 0
    alerts_suppressed: int = 0
    alerts_undelivered: int = 0
    camera_outages: int = 0

    def as_dict(self) -> dict[str, int]:
        """The counters as a plain mapping."""
        return dataclasses.asdict(self)

    def add(self, other: PipelineCounters) -> None:
        """Add ``other``'s counts into this one."""
        for f in dataclasses.fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
