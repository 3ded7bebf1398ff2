"""Held-out evaluation sets from the project's photos, laid out for ``lfr evaluate``.

The usable half of the portraits (``lfr_framework.evaluation.calibration_photos``) is split
again by the same kind of rule: people whose file name's sha256 begins with 0–3 make the
*study calibration*, those with 4–7 the *evaluation*. So no person of the evaluation is in
the calibration that sets its threshold (the shipped calibration uses both halves: its
figures on these sets would be in-sample).

Of the evaluation people, the first ``gallery_size`` (by name) are the watchlist (their clean
portrait); the rest are passers-by. Sets, as the field study that shaped the defaults had
them: ``clean`` (the passers-by's portraits; Obama's two other pinned photos as the only
cross-photo mated probes), ``street`` (faces 50–85 px wide in degraded 1280×720 frames) and
``far`` (25–40 px). Street and far mated probes are stills of the gallery's own portraits: the
same photo degraded, which measures what detection, refinement and alignment lose at that
size, not a second photo of the person (no such photos of these people exist here).
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

import cv2

from lfr_framework.evaluation.calibration_photos import fetch_calibration_photos
from lfr_framework.evaluation.stills import CONDITIONS, street_still
from lfr_framework.imaging import image_files, read_image
from lfr_framework.interfaces import Detector
from lfr_framework.pipeline.refine import confirmed
from lfr_framework.sample_photos import fetch_photos


@dataclass(frozen=True, slots=True)
class StudySets:
    """Where the study's folders are."""

    calibration: Path
    gallery: Path
    probes: dict[str, Path]


def _half(name: str) -> str:
    return "calibration" if hashlib.sha256(name.encode("utf-8")).hexdigest()[0] in "0123" \
        else "evaluation"


def build_sets(root: Path, detector: Detector, gallery_size: int = 80,
               stills_per_passer: int = 2) -> StudySets:
    """Write the study's calibration folder, gallery and probe sets under ``root``."""
    if root.exists():
        shutil.rmtree(root)
    photos = fetch_calibration_photos()
    people = sorted(p for p in photos.root.iterdir() if p.is_dir())
    calibration, evaluation = root / "calibration", []
    for person in people:
        file = image_files(person)[0]
        if _half(file.name) == "calibration":
            shutil.copytree(person, calibration / person.name)
        else:
            evaluation.append(file)
    gallery, passers = evaluation[:gallery_size], evaluation[gallery_size:]
    pinned = fetch_photos()
    sets = {name: root / name / "probes" for name in ("clean", "street", "far")}
    for file in gallery:
        _copy(file, root / "gallery" / file.parent.name)
    _copy(pinned["obama"], root / "gallery" / "obama")
    for name in ("obama2", "obama3"):
        _copy(pinned[name], sets["clean"] / "obama")
    for file in passers:
        _copy(file, sets["clean"] / f"passer-{file.parent.name}")
    for condition in ("street", "far"):
        for number, file in enumerate(gallery):
            _still(file, detector, condition, sets[condition] / file.parent.name, number, 1)
        for number, file in enumerate(passers):
            _still(file, detector, condition, sets[condition] / f"passer-{file.parent.name}",
                   10_000 + number, stills_per_passer)
    return StudySets(calibration, root / "gallery", sets)


def _copy(file: Path, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy2(file, folder / file.name)


def _still(file: Path, detector: Detector, condition: str, folder: Path, seed: int,
           copies: int) -> None:
    image = read_image(file)
    faces = confirmed(detector, image, detector.detect(image), 0.5)
    if not faces:
        return
    folder.mkdir(parents=True, exist_ok=True)
    for copy in range(copies):
        frame, _ = street_still(image, faces[0].box, CONDITIONS[condition],
                                seed=seed * 10 + copy)
        cv2.imwrite(str(folder / f"{condition}-{copy}.png"), frame)
