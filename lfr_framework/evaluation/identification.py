"""Open-set 1:N identification runs over a gallery and probes on disk, the product's way.

Folder layout: ``gallery/<identity>/*.jpg`` and ``probes/<identity>/*.jpg``. A probe whose
identity has no gallery folder is a non-mated search (a passer-by). The gallery is enrolled as
a watchlist is (the enrolment checks); each probe goes through what a camera's best shot goes
through: detection (the largest face), the quality gate, keypoint refinement, alignment,
embedding and a top-1 search. What happened to each probe is kept; its template is not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lfr_framework.enrolment import template_from_image
from lfr_framework.errors import EnrolmentError, ImageDecodeError, LFRError
from lfr_framework.imaging import image_files, read_image
from lfr_framework.interfaces import Detector, Matcher, Recogniser
from lfr_framework.models.store import sha256_of
from lfr_framework.pipeline.quality import QualityGate
from lfr_framework.pipeline.refine import confirmed
from lfr_framework.types import Templates

SEARCHED = "searched"
NO_FACE = "no_face"
UNREADABLE = "unreadable"
QUALITY = "quality"


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """One probe: the truth, what happened to it, and the best candidate if it was searched.

    ``outcome`` is ``searched``, ``no_face``, ``unreadable`` or ``quality`` (the gate refused
    it; ``check`` names the check).
    """

    path: str
    identity: str
    mated: bool
    outcome: str
    top_entry: str | None = None
    top_score: float | None = None
    check: str | None = None

    @property
    def searched(self) -> bool:
        """Whether the probe reached the matcher."""
        return self.outcome == SEARCHED


@dataclass(slots=True)
class EvaluationResult:
    """Every probe's outcome, the gallery's enrolment, and the photos' digest."""

    model_id: str
    gallery_identities: list[str]
    probes: list[ProbeResult] = field(default_factory=list)
    gallery_failures: list[dict[str, str]] = field(default_factory=list)
    gallery_entries: int = 0
    gallery_templates: int = 0
    photo_hashes: list[str] = field(default_factory=list)


def identities(directory: Path) -> dict[str, list[Path]]:
    """``{identity: [image files]}`` for each sub-folder of ``directory``."""
    if not directory.is_dir():
        raise LFRError(f"{directory} is not a directory of identity sub-folders")
    found = {p.name: image_files(p) for p in sorted(directory.iterdir()) if p.is_dir()}
    if not found:
        raise LFRError(f"{directory} has no identity sub-folders: put each person's photos "
                       "in a folder named after them")
    return found


def enrol_gallery(gallery: Path, detector: Detector, recogniser: Recogniser, gate: QualityGate,
                  matcher: Matcher, result: EvaluationResult,
                  warn: Callable[[str], None]) -> None:
    """Enrol each gallery identity with the product's enrolment checks (largest face)."""
    for identity, files in identities(gallery).items():
        rows: list[Templates] = []
        for path in files:
            try:
                image = read_image(path)
                rows.append(template_from_image(image, str(path), detector, recogniser, gate,
                                                largest=True))
                result.photo_hashes.append(sha256_of(path))
            except (ImageDecodeError, EnrolmentError) as exc:
                warn(f"gallery photo not enrolled: {exc}")
                result.gallery_failures.append({"path": str(path), "reason": str(exc)})
        if rows:
            templates = np.vstack(rows)
            matcher.add(identity, templates)
            result.gallery_entries += 1
            result.gallery_templates += len(templates)


def search_probe(path: Path, identity: str, mated: bool, detector: Detector,
                 recogniser: Recogniser, gate: QualityGate, matcher: Matcher,
                 warn: Callable[[str], None]) -> tuple[ProbeResult, str | None]:
    """One probe through the product's path; its result and its photo's sha256."""
    try:
        image = read_image(path)
    except ImageDecodeError as exc:
        warn(f"probe not read: {exc}")
        return ProbeResult(str(path), identity, mated, UNREADABLE), None
    digest = sha256_of(path)
    detections = detector.detect(image)
    if not detections:
        return ProbeResult(str(path), identity, mated, NO_FACE), digest
    faces = confirmed(detector, image, detections, gate.settings.min_detection_score)
    if not faces:
        return ProbeResult(str(path), identity, mated, QUALITY, check="detection_score"), digest
    # The face the closer look is surest of; not the largest: on a street frame a false
    # detection of the background can be larger than the person's face.
    face = faces[0]
    report = gate.assess(image, face)
    if not report.passed:
        return ProbeResult(str(path), identity, mated, QUALITY, check=report.failed_check), digest
    template = recogniser.embed([recogniser.align(image, face)])
    candidates = matcher.search(template, 1)[0]
    template.fill(0.0)
    top = candidates[0] if candidates else None
    return ProbeResult(str(path), identity, mated, SEARCHED, top.entry_id if top else None,
                       float(top.score) if top else None), digest


def run_evaluation(
    gallery: Path,
    probes: Path,
    detector: Detector,
    recogniser: Recogniser,
    matcher: Matcher,
    gate: QualityGate,
    progress: Callable[[int], None] | None = None,
    warn: Callable[[str], None] = lambda message: None,
) -> EvaluationResult:
    """Enrol the gallery, search every probe, and record each outcome."""
    gallery_ids = identities(gallery)
    probe_ids = identities(probes)
    if not any(probe_ids.values()):
        raise LFRError(f"{probes} holds no images in its identity sub-folders")
    result = EvaluationResult(recogniser.model_id, sorted(gallery_ids))
    enrol_gallery(gallery, detector, recogniser, gate, matcher, result, warn)
    if not len(matcher):
        raise LFRError(f"no gallery photo in {gallery} could be enrolled; see the warnings")
    enrolled = set(gallery_ids)
    for identity, files in probe_ids.items():
        for path in files:
            probe, digest = search_probe(path, identity, identity in enrolled, detector,
                                         recogniser, gate, matcher, warn)
            result.probes.append(probe)
            if digest is not None:
                result.photo_hashes.append(digest)
            if progress is not None:
                progress(1)
    return result
