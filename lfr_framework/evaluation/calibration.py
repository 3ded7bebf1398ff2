"""Making a calibration: impostor scores over every non-mated pair of a photo set, clean and
degraded, with the GPD tail fitted and its band from an identity-level bootstrap.

The photos are one folder per identity (one or more photos each). Each photo gives a clean
template (the watchlist side) and one template per degraded condition (street-camera stills,
:mod:`lfr_framework.evaluation.stills`, the probe side). The impostor pairs are clean–clean
(each pair once) and degraded–clean, always between different identities. Templates live in
memory for the run only; the calibration keeps aggregated scores.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from lfr_framework.errors import CalibrationError, ImageDecodeError
from lfr_framework.evaluation.calibration_photos import dataset_digest
from lfr_framework.evaluation.identification import identities
from lfr_framework.evaluation.stills import CONDITIONS, StillCondition, face_at, street_still
from lfr_framework.imaging import read_image
from lfr_framework.interfaces import Detector, Recogniser
from lfr_framework.models.store import sha256_of
from lfr_framework.pipeline.quality import QualitySettings
from lfr_framework.pipeline.refine import confirmed
from lfr_framework.thresholds.calibration import EXTRAPOLATION, Calibration
from lfr_framework.thresholds.policy import fmr_for_fpir
from lfr_framework.thresholds.tail import fit_tail
from lfr_framework.types import Detection, Image

#: Fewer identities than this cannot show a tail at all.
MIN_IDENTITIES = 30
#: Faces are confirmed as the product confirms them (the quality gate's default).
MIN_DETECTION_SCORE = QualitySettings().min_detection_score
GRID = [round(-0.2 + 0.01 * i, 2) for i in range(121)]


@dataclass(frozen=True, slots=True)
class CalibrationSettings:
    """How a calibration is made (recorded in the file)."""

    tail_fraction: float = 0.01
    resamples: int = 200
    seed: int = 0
    conditions: tuple[str, ...] = ("street", "far")
    target_fpir: float = 0.001
    watchlist_size: int = 100


@dataclass(slots=True)
class _Templates:
    """Clean and degraded templates of a photo set, with each row's identity index."""

    clean: list[npt.NDArray[np.float32]] = field(default_factory=list)
    clean_ids: list[int] = field(default_factory=list)
    degraded: list[npt.NDArray[np.float32]] = field(default_factory=list)
    degraded_ids: list[int] = field(default_factory=list)
    photo_hashes: list[str] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


def identities_needed(settings: CalibrationSettings, photos_per_identity: float = 1.0) -> int:
    """How many identities a calibration needs to vouch for ``target_fpir`` at
    ``watchlist_size`` (pairs grow with the square of the identities)."""
    fmr = fmr_for_fpir(settings.target_fpir, settings.watchlist_size)
    pairs_needed = EXTRAPOLATION / fmr
    per_pair = photos_per_identity ** 2 * (0.5 + len(settings.conditions))
    return max(MIN_IDENTITIES, math.ceil(math.sqrt(pairs_needed / per_pair)) + 1)


def _embedded(image: Image, face: Detection, recogniser: Recogniser
              ) -> npt.NDArray[np.float32]:
    """The template the product makes of a refined face: aligned, embedded."""
    template: npt.NDArray[np.float32] = recogniser.embed([recogniser.align(image, face)])[0]
    return template


def collect_templates(folders: Sequence[Path], detector: Detector, recogniser: Recogniser,
                      conditions: Sequence[StillCondition],
                      progress: Callable[[int], None] | None = None) -> _Templates:
    """Clean and degraded templates of every photo under ``folders`` (identity sub-folders)."""
    out = _Templates()
    people: dict[str, list[Path]] = {}
    for folder in folders:
        for identity, files in identities(folder).items():
            people.setdefault(identity, []).extend(files)
    for index, (_, files) in enumerate(sorted(people.items())):
        for number, path in enumerate(files):
            if progress is not None:
                progress(1)
            try:
                image = read_image(path)
            except ImageDecodeError:
                out.skip("unreadable")
                continue
            faces = confirmed(detector, image, detector.detect(image), MIN_DETECTION_SCORE)
            if not faces:
                out.skip("no face")
                continue
            face = faces[0]
            out.photo_hashes.append(sha256_of(path))
            out.clean.append(_embedded(image, face, recogniser))
            out.clean_ids.append(index)
            for c, condition in enumerate(conditions):
                still, where = street_still(image, face.box, condition,
                                            seed=(index * 97 + number) * 7 + c)
                seen = face_at(confirmed(detector, still, detector.detect(still),
                                         MIN_DETECTION_SCORE), where)
                if seen is None:
                    out.skip(f"{condition.name}: no face")
                    continue
                out.degraded.append(_embedded(still, seen, recogniser))
                out.degraded_ids.append(index)
    return out


def _pair_scores(clean: npt.NDArray[np.float32], clean_ids: npt.NDArray[np.int64],
                 degraded: npt.NDArray[np.float32], degraded_ids: npt.NDArray[np.int64]
                 ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Impostor scores: clean–clean (upper triangle) and degraded–clean, different people."""
    cc = clean @ clean.T
    upper = np.triu(np.ones(cc.shape, dtype=bool), 1) & (clean_ids[:, None] != clean_ids[None, :])
    dc = degraded @ clean.T if len(degraded) else np.empty((0, len(clean)), np.float32)
    other = degraded_ids[:, None] != clean_ids[None, :]
    return cc[upper], dc[other]


def _empirical(scores: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    ordered = np.sort(scores)
    above = len(ordered) - np.searchsorted(ordered, np.asarray(GRID, np.float32), side="left")
    return np.asarray(above / max(len(ordered), 1), np.float64)


def build_calibration(folders: Sequence[Path], detector: Detector, recogniser: Recogniser,
                      *, model_sha256: str, recipe: dict[str, Any], versions: dict[str, str],
                      settings: CalibrationSettings = CalibrationSettings(),
                      progress: Callable[[int], None] | None = None) -> Calibration:
    """A calibration of ``recogniser`` from the photos under ``folders``."""
    conditions = [CONDITIONS[name] for name in settings.conditions]
    found = collect_templates(folders, detector, recogniser, conditions, progress)
    people = len(set(found.clean_ids))
    needed = identities_needed(settings, len(found.clean) / max(people, 1))
    if people < needed:
        raise CalibrationError(
            f"{people} identities with a usable face were found; vouching for FPIR "
            f"{settings.target_fpir:g} with a {settings.watchlist_size}-template watchlist "
            f"needs at least {needed}: add photos of more people")
    clean = np.stack(found.clean)
    clean_ids = np.asarray(found.clean_ids)
    degraded = np.stack(found.degraded) if found.degraded else np.empty((0, clean.shape[1]),
                                                                        np.float32)
    degraded_ids = np.asarray(found.degraded_ids, np.int64)
    cc, dc = _pair_scores(clean, clean_ids, degraded, degraded_ids)
    scores = np.concatenate([cc, dc])
    tail = fit_tail(scores, settings.tail_fraction)
    rng = np.random.default_rng(settings.seed)
    unique = np.unique(clean_ids)
    curves, tails = [], []
    for _ in range(settings.resamples):
        drawn = rng.choice(unique, size=len(unique), replace=True)
        # Two draws of one identity are the same person: their pairs are never impostors.
        c_idx = np.concatenate([np.flatnonzero(clean_ids == i) for i in drawn])
        d_idx = np.concatenate([np.flatnonzero(degraded_ids == i) for i in drawn])
        b_cc, b_dc = _resampled_pairs(clean, clean_ids, degraded, degraded_ids, c_idx, d_idx)
        sample = np.concatenate([b_cc, b_dc])
        curves.append(_empirical(sample))
        tails.append(fit_tail(sample, settings.tail_fraction))
    band = np.percentile(np.stack(curves), [2.5, 97.5], axis=0)
    edges = np.linspace(-0.4, 1.0, 71)
    counts, _ = np.histogram(scores, bins=edges)
    return Calibration(
        model_id=recogniser.model_id, model_sha256=model_sha256, identities=people,
        photos=len(found.clean), pairs={"clean": int(cc.size), "degraded": int(dc.size)},
        dataset_digest=dataset_digest(found.photo_hashes),
        created_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), versions=versions,
        method={"fit": "generalised Pareto tail by probability weighted moments (Hosking & "
                       "Wallis 1987), empirical below it",
                "tail_fraction": settings.tail_fraction,
                "band": "95% percentile interval over identity-level bootstrap resamples",
                "resamples": settings.resamples, "seed": settings.seed,
                "conditions": list(settings.conditions), "skipped": dict(found.skipped)},
        recipe=recipe, grid=list(GRID), fmr_empirical=_empirical(scores).tolist(),
        fmr_low=band[0].tolist(), fmr_high=band[1].tolist(), tail=tail, bootstrap=tails,
        histogram={"edges": [round(float(e), 3) for e in edges],
                   "counts": [int(c) for c in counts]})


def _resampled_pairs(clean: npt.NDArray[np.float32], clean_ids: npt.NDArray[np.int64],
                     degraded: npt.NDArray[np.float32], degraded_ids: npt.NDArray[np.int64],
                     c_idx: npt.NDArray[np.int64], d_idx: npt.NDArray[np.int64]
                     ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """The impostor scores of one bootstrap resample (rows ``c_idx`` / ``d_idx``)."""
    return _pair_scores(clean[c_idx], clean_ids[c_idx], degraded[d_idx], degraded_ids[d_idx])
