"""The pinned photos' faces, and copies degraded like street CCTV, for the recogniser and
search benchmarks.

Each copy is scaled so that its inter-eye distance is a target number of pixels, pasted at
a seeded place into a 1280x720 street background (so the detector has to find a small face
in a large frame) and degraded with the scene renderer's own blur, low-light noise and
JPEG (the conditions of the earlier accuracy study, docs/evaluation.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from lfr_framework.evaluation.scenes.background import make_background
from lfr_framework.evaluation.scenes.degrade import Degrader
from lfr_framework.evaluation.scenes.spec import SceneSpec
from lfr_framework.imaging import read_image
from lfr_framework.interfaces import Detector, Recogniser
from lfr_framework.sample_photos import PHOTOS
from lfr_framework.types import Detection, Image

FRAME_W, FRAME_H = 1280, 720


@dataclass(frozen=True, slots=True)
class Condition:
    """One way of degrading a probe; ``inter_eye_px`` None keeps the photo as it is."""

    name: str
    family: str
    inter_eye_px: float | None = None
    blur: float = 0.0
    motion_px: int = 0
    jpeg: int | None = None
    brightness: float = 1.0


CONDITIONS: tuple[Condition, ...] = (
    Condition("clean photo", "clean"),
    *(Condition(f"eyes {d} px", "size", inter_eye_px=d) for d in (60, 40, 30, 20, 15)),
    Condition("eyes 40, defocus σ1", "blur", 40, blur=1.0),
    Condition("eyes 40, defocus σ2", "blur", 40, blur=2.0),
    Condition("eyes 40, motion 7 px", "motion", 40, motion_px=7),
    Condition("eyes 40, motion 15 px", "motion", 40, motion_px=15),
    Condition("eyes 40, JPEG q30", "jpeg", 40, jpeg=30),
    Condition("eyes 40, JPEG q20", "jpeg", 40, jpeg=20),
    Condition("eyes 40, JPEG q10", "jpeg", 40, jpeg=10),
    Condition("eyes 40, low light 0.4", "light", 40, brightness=0.4),
    Condition("eyes 40, low light 0.25", "light", 40, brightness=0.25),
    Condition("eyes 60, JPEG q20 + motion 7", "combined", 60, motion_px=7, jpeg=20),
)


@dataclass(slots=True)
class Native:
    """A clean photo's face as the detector sees it, and its clean template."""

    photo: str
    identity: str
    image: Image
    face: Detection
    template: np.ndarray


def face_photos() -> dict[str, str]:
    """``{photo name: identity}`` of the pinned photos that show a face."""
    return {p.name: p.identity for p in PHOTOS if p.identity is not None}


def largest(detections: Sequence[Detection]) -> Detection | None:
    """The detection with the largest box, if any."""
    return max(detections, key=lambda d: d.box.width * d.box.height, default=None)


def natives(paths: dict[str, Path], detector: Detector, recogniser: Recogniser
            ) -> dict[str, Native]:
    """Detect and embed every clean face photo."""
    out = {}
    for photo, identity in face_photos().items():
        image = read_image(paths[photo])
        face = largest(detector.detect(image))
        if face is None:
            raise RuntimeError(f"no face in the clean photo {photo}")
        template = recogniser.embed([recogniser.align(image, face)])[0]
        out[photo] = Native(photo, identity, image, face, template)
    return out


def make_probe(native: Native, cond: Condition, placement: int) -> tuple[Image, tuple[int, int,
                                                                                     int, int]]:
    """The probe image of ``native`` under ``cond`` and where the face box should be."""
    if cond.inter_eye_px is None:
        b = native.face.box
        return native.image, (int(b.x), int(b.y), int(b.x + b.width), int(b.y + b.height))
    eyes = native.face.inter_eye_distance or 0.4 * native.face.box.height
    scale = cond.inter_eye_px / eyes
    small = cv2.resize(native.image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    box = native.face.box
    cx, cy = (box.x + box.width / 2) * scale, (box.y + box.height / 2) * scale
    fh = box.height * scale
    x0, y0 = max(int(cx - 2.5 * fh), 0), max(int(cy - 2.0 * fh), 0)
    x1 = min(int(cx + 2.5 * fh), small.shape[1], x0 + FRAME_W)
    y1 = min(int(cy + 3.0 * fh), small.shape[0], y0 + FRAME_H)
    cut = small[y0:y1, x0:x1]
    if cond.motion_px > 1:
        cut = cv2.blur(cut, (cond.motion_px, 1))
    frame = make_background("street", FRAME_W, FRAME_H, seed=placement)
    rng = np.random.default_rng([placement, 0xACC])
    px = int(rng.integers(0, FRAME_W - cut.shape[1] + 1))
    py = int(rng.integers(0, FRAME_H - cut.shape[0] + 1))
    frame[py:py + cut.shape[0], px:px + cut.shape[1]] = cut
    spec = SceneSpec(duration_s=1.0, width=FRAME_W, height=FRAME_H, seed=placement,
                     blur=cond.blur, jpeg_quality=cond.jpeg, brightness=cond.brightness)
    degraded = Degrader(spec)(frame, 0)
    fx, fy = px + cx - x0, py + cy - y0
    return degraded, (int(fx - fh / 2), int(fy - fh / 2), int(fx + fh / 2), int(fy + fh / 2))


def hits(face: Detection, expected: tuple[int, int, int, int]) -> bool:
    cx, cy = face.box.x + face.box.width / 2, face.box.y + face.box.height / 2
    x0, y0, x1, y1 = expected
    return x0 <= cx <= x1 and y0 <= cy <= y1
