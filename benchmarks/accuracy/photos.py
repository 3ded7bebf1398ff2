"""Open-set identification on the real photos and on copies degraded like street CCTV.

Each probe photo is scaled so that its inter-eye distance is a target number of pixels,
pasted at a seeded place into a 1280x720 street background (so the detector has to find a
small face in a large frame) and degraded with the scene renderer's own blur, low-light
noise and JPEG. The gallery stays clean (a custody photo). Detection, the quality gate and
TPIR/FPIR come from the framework itself (``lfr_framework.evaluation.metrics``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from lfr_framework.evaluation.identification import EvaluationResult, ProbeResult, metrics
from lfr_framework.evaluation.scenes.background import make_background
from lfr_framework.evaluation.scenes.degrade import Degrader
from lfr_framework.evaluation.scenes.spec import SceneSpec
from lfr_framework.imaging import read_image
from lfr_framework.interfaces import Detector, Matcher, Recogniser
from lfr_framework.pipeline.quality import QualityGate, QualitySettings, pose
from lfr_framework.sample_photos import PHOTOS
from lfr_framework.types import Detection, Image

FRAME_W, FRAME_H = 1280, 720
#: Gallery photos (one per watchlisted identity); every other face photo is a probe.
GALLERY = {"obama": "obama", "biden": "biden"}


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


def _hits(face: Detection, expected: tuple[int, int, int, int]) -> bool:
    cx, cy = face.box.x + face.box.width / 2, face.box.y + face.box.height / 2
    x0, y0, x1, y1 = expected
    return x0 <= cx <= x1 and y0 <= cy <= y1


def study(native: dict[str, Native], detector: Detector, recogniser: Recogniser,
          matcher: Matcher, thresholds: Sequence[float], placements: int) -> dict[str, Any]:
    """Every condition: the framework's TPIR/FPIR JSON, detection and quality-gate outcomes,
    and the cosine scores of every probe against every clean photo of another picture."""
    for photo, identity in GALLERY.items():
        matcher.add(identity, native[photo].template[None, :])
    gate = QualityGate(QualitySettings())
    rows = []
    for cond in CONDITIONS:
        reps = 1 if cond.inter_eye_px is None else placements
        probes: list[ProbeResult] = []
        detected = total = 0
        gate_failures: dict[str, int] = {}
        inter_eye: list[float] = []
        mated_scores: list[float] = []
        impostor_scores: list[float] = []
        for photo, item in native.items():
            for k in range(reps):
                image, expected = make_probe(item, cond, 1000 * k + len(photo))
                dets = [d for d in detector.detect(image) if _hits(d, expected)]
                face = largest(dets)
                total += 1
                name = f"{photo}#{k}"
                in_gallery = photo in GALLERY
                if face is None:
                    if not in_gallery:
                        probes.append(ProbeResult(name, item.identity,
                                                  item.identity in GALLERY.values(),
                                                  None, None, False))
                    continue
                detected += 1
                report = gate.assess(image, face)
                if report.failed_check:
                    gate_failures[report.failed_check] = gate_failures.get(
                        report.failed_check, 0) + 1
                if face.inter_eye_distance:
                    inter_eye.append(face.inter_eye_distance)
                template = recogniser.embed([recogniser.align(image, face)])
                for other in native.values():
                    if other.photo == photo:
                        continue
                    s = float(template[0] @ other.template)
                    (mated_scores if other.identity == item.identity
                     else impostor_scores).append(s)
                if in_gallery:
                    continue
                top = matcher.search(template, 1)[0]
                best = top[0] if top else None
                probes.append(ProbeResult(name, item.identity, item.identity in GALLERY.values(),
                                          best.entry_id if best else None,
                                          best.score if best else None, True))
        result = EvaluationResult(recogniser.model_id, sorted(GALLERY.values()), probes)
        summary = metrics(result, thresholds, 0.001)
        summary.pop("probes")
        summary.pop("gallery_failures")
        rows.append({
            "condition": cond.name, "family": cond.family, "inter_eye_target_px": cond.inter_eye_px,
            "placements": reps, "faces": total, "detected": detected,
            "detection_rate": detected / total,
            "gate_failures": gate_failures,
            "gate_pass_rate": (detected - sum(gate_failures.values())) / total,
            "inter_eye_measured_px": float(np.median(inter_eye)) if inter_eye else None,
            "mated_scores": sorted(mated_scores), "impostor_scores": sorted(impostor_scores),
            "evaluation": summary,
        })
    return {"conditions": rows,
            "yaw": {p: pose(n.face)[0] for p, n in native.items()},
            "native_inter_eye_px": {p: n.face.inter_eye_distance for p, n in native.items()}}
