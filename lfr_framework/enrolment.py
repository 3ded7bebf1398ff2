"""Turning watchlist images into templates: find one good face, align it, embed it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lfr_framework.errors import EnrolmentError, ImageDecodeError
from lfr_framework.imaging import image_files, read_image
from lfr_framework.interfaces import Detector, Recogniser
from lfr_framework.pipeline.quality import QualityGate, QualityReport
from lfr_framework.pipeline.refine import confirmed
from lfr_framework.types import Detection, Image, Templates, WatchlistEntry


@dataclass(frozen=True, slots=True)
class EnrolmentSettings:
    """How strict enrolment is."""

    largest_face: bool = False


def select_face(detections: list[Detection], name: str, largest: bool) -> Detection:
    """The one face to enrol from an image, or an ``EnrolmentError`` saying why not."""
    if not detections:
        raise EnrolmentError(f"no face found in {name}", check="no_face")
    if len(detections) > 1 and not largest:
        raise EnrolmentError(
            f"{len(detections)} faces found in {name}; enrol an image of one person, "
            f"or pass --largest to use the largest face",
            check="several_faces",
        )
    return max(detections, key=lambda d: d.box.area)


def failure_detail(report: QualityReport, face: Detection, gate: QualityGate) -> str:
    """Why a face failed the quality gate, in words with the measured value and the minimum."""
    details = {
        "face_too_small": f"face is {report.face_px:.0f} px high "
                          f"(minimum {gate.settings.min_face_px:.0f})",
        "too_blurred": f"sharpness {report.sharpness:.1f} "
                       f"(minimum {gate.settings.min_sharpness:.1f})",
        "pose": "the face is turned or tilted too far",
        "detection_score": f"detector confidence {face.score:.2f} is too low",
    }
    check = report.failed_check or "quality"
    return details.get(check, check)


def template_from_image(
    image: Image,
    name: str,
    detector: Detector,
    recogniser: Recogniser,
    gate: QualityGate,
    largest: bool = False,
) -> Templates:
    """One template (shape ``(1, d)``) from an image holding one good face."""
    faces = confirmed(detector, image, detector.detect(image), gate.settings.min_detection_score)
    face = select_face(faces, name, largest)
    report = gate.assess(image, face)
    if not report.passed:
        check = report.failed_check or "quality"
        raise EnrolmentError(
            f"{name} failed the {check} check: {failure_detail(report, face, gate)}",
            check=check,
        )
    crop = recogniser.align(image, face)
    return recogniser.embed([crop])


def enrol_files(
    entry_id: str,
    files: Iterable[Path],
    detector: Detector,
    recogniser: Recogniser,
    gate: QualityGate,
    largest: bool = False,
) -> WatchlistEntry:
    """A watchlist entry from one or more image files of the same person."""
    templates: list[Templates] = []
    for path in files:
        try:
            image = read_image(path)
        except ImageDecodeError as exc:
            raise EnrolmentError(str(exc), check="decode") from None
        templates.append(template_from_image(image, str(path), detector, recogniser, gate,
                                             largest))
    if not templates:
        raise EnrolmentError(f"no images given for entry {entry_id!r}", check="no_face")
    return WatchlistEntry(entry_id=entry_id, templates=np.vstack(templates).astype(np.float32))


def enrol_directory(
    directory: Path,
    detector: Detector,
    recogniser: Recogniser,
    gate: QualityGate,
    largest: bool = False,
) -> list[WatchlistEntry]:
    """One entry per sub-folder of ``directory`` (the folder name is the entry id)."""
    if not directory.is_dir():
        raise EnrolmentError(f"watchlist directory {directory} does not exist", check="decode")
    entries = []
    for sub in sorted(p for p in directory.iterdir() if p.is_dir()):
        files = image_files(sub)
        if not files:
            raise EnrolmentError(f"watchlist entry folder {sub} holds no images", check="no_face")
        entries.append(enrol_files(sub.name, files, detector, recogniser, gate, largest))
    return entries
