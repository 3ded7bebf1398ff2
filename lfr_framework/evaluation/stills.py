"""Street-camera stills made from a real photo: the face scaled to a given width, pasted at a
seeded place into a synthetic street frame, then softened, noised and JPEG-compressed with the
scene renderer's own degradations.

These are the degraded probes of a calibration (further impostor comparisons) and of the
``street`` / ``far`` evaluation sets: the detector must find a small face in a large frame,
as it must on a street camera.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lfr_framework.evaluation.scenes.background import make_background
from lfr_framework.evaluation.scenes.degrade import Degrader
from lfr_framework.evaluation.scenes.spec import SceneSpec
from lfr_framework.imaging import require_cv2
from lfr_framework.types import BoundingBox, Detection, Image


@dataclass(frozen=True, slots=True)
class StillCondition:
    """How a still is made: face width range (px), frame size and the degradations."""

    name: str
    min_face_px: float
    max_face_px: float
    width: int = 1280
    height: int = 720
    blur: float = 0.8
    noise_sigma: float = 6.0
    jpeg_quality: int | None = 35


#: The conditions of the field study that shaped the defaults (see docs/evaluation.md).
STREET = StillCondition("street", 50.0, 85.0)
FAR = StillCondition("far", 25.0, 40.0)
CONDITIONS = {c.name: c for c in (STREET, FAR)}


def street_still(image: Image, face: BoundingBox, condition: StillCondition,
                 seed: int) -> tuple[Image, BoundingBox]:
    """``image``'s face (box ``face``) at a seeded width in ``condition``'s range, in a
    degraded street frame; the frame and where the face box now is."""
    cv2 = require_cv2()
    rng = np.random.default_rng([seed, 0x571])
    width = float(rng.uniform(condition.min_face_px, condition.max_face_px))
    scale = width / max(face.width, 1.0)
    interpolation = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=interpolation)
    cx, cy = (face.x + face.width / 2) * scale, (face.y + face.height / 2) * scale
    fh = face.height * scale
    x0, y0 = max(int(cx - 2.5 * fh), 0), max(int(cy - 2.0 * fh), 0)
    x1 = min(int(cx + 2.5 * fh), small.shape[1], x0 + condition.width)
    y1 = min(int(cy + 3.0 * fh), small.shape[0], y0 + condition.height)
    cut = small[y0:y1, x0:x1]
    frame = make_background("street", condition.width, condition.height, seed=seed)
    px = int(rng.integers(0, condition.width - cut.shape[1] + 1))
    py = int(rng.integers(0, condition.height - cut.shape[0] + 1))
    frame[py:py + cut.shape[0], px:px + cut.shape[1]] = cut
    spec = SceneSpec(duration_s=1.0, width=condition.width, height=condition.height, seed=seed,
                     blur=condition.blur, jpeg_quality=condition.jpeg_quality,
                     noise_sigma=condition.noise_sigma)
    degraded = Degrader(spec)(frame, 0)
    fx, fy = px + cx - x0, py + cy - y0
    fw = face.width * scale
    return degraded, BoundingBox(fx - fw / 2, fy - fh / 2, fw, fh)


def face_at(detections: list[Detection], expected: BoundingBox) -> Detection | None:
    """The largest detection whose centre lies inside ``expected`` (the pasted face)."""
    inside = [d for d in detections
              if expected.x <= d.box.x + d.box.width / 2 <= expected.x + expected.width
              and expected.y <= d.box.y + d.box.height / 2 <= expected.y + expected.height]
    return max(inside, key=lambda d: d.box.area, default=None)
