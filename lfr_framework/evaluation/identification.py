"""Open-set 1:N identification metrics (TPIR, FPIR) over a gallery and probes on disk.

Folder layout: ``gallery/<identity>/*.jpg`` and ``probes/<identity>/*.jpg``. A probe whose
identity has no gallery folder is a non-mated search (a passer-by).
The JSON this module produces is an interface, documented in docs/evaluation.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lfr_framework.enrolment import select_face
from lfr_framework.errors import EnrolmentError, ImageDecodeError, LFRError
from lfr_framework.imaging import image_files, read_image
from lfr_framework.interfaces import Detector, Matcher, Recogniser
from lfr_framework.types import Templates

DEFAULT_THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.05, 1.0, 0.05))


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """One probe search: the truth and the best candidate (no template kept)."""

    path: str
    identity: str
    mated: bool
    top_entry: str | None
    top_score: float | None
    detected: bool


@dataclass(slots=True)
class EvaluationResult:
    """Every probe's outcome, and the gallery's failures."""

    model_id: str
    gallery_identities: list[str]
    probes: list[ProbeResult] = field(default_factory=list)
    gallery_failures: list[dict[str, str]] = field(default_factory=list)


def identities(directory: Path) -> dict[str, list[Path]]:
    """``{identity: [image files]}`` for each sub-folder of ``directory``."""
    if not directory.is_dir():
        raise LFRError(f"{directory} is not a directory of identity sub-folders")
    found = {p.name: image_files(p) for p in sorted(directory.iterdir()) if p.is_dir()}
    if not found:
        raise LFRError(f"{directory} has no identity sub-folders")
    return found


def _embed_largest(
    path: Path, detector: Detector, recogniser: Recogniser
) -> Templates | None:
    image = read_image(path)
    detections = detector.detect(image)
    if not detections:
        return None
    face = select_face(detections, str(path), largest=True)
    return recogniser.embed([recogniser.align(image, face)])


def run_evaluation(
    gallery: Path,
    probes: Path,
    detector: Detector,
    recogniser: Recogniser,
    matcher: Matcher,
    progress: Callable[[int], None] | None = None,
) -> EvaluationResult:
    """Enrol the gallery, search every probe, and record each top candidate."""
    gallery_ids = identities(gallery)
    probe_ids = identities(probes)
    result = EvaluationResult(recogniser.model_id, sorted(gallery_ids))
    for identity, files in gallery_ids.items():
        rows: list[Templates] = []
        for path in files:
            try:
                template = _embed_largest(path, detector, recogniser)
            except (ImageDecodeError, EnrolmentError) as exc:
                result.gallery_failures.append({"path": str(path), "reason": str(exc)})
                continue
            if template is None:
                result.gallery_failures.append({"path": str(path), "reason": "no face found"})
                continue
            rows.append(template)
        if rows:
            matcher.add(identity, np.vstack(rows))
    enrolled = set(gallery_ids)
    for identity, files in probe_ids.items():
        mated = identity in enrolled
        for path in files:
            try:
                template = _embed_largest(path, detector, recogniser)
            except ImageDecodeError:
                template = None
            if progress is not None:
                progress(1)
            if template is None:
                result.probes.append(ProbeResult(str(path), identity, mated, None, None, False))
                continue
            candidates = matcher.search(template, 1)[0]
            top = candidates[0] if candidates else None
            result.probes.append(ProbeResult(
                str(path), identity, mated,
                top.entry_id if top else None, top.score if top else None, True,
            ))
    return result


def threshold_for_fpir(nonmated_scores: Sequence[float], target: float) -> float | None:
    """The lowest threshold whose FPIR is at most ``target`` (``None`` without non-mated data).

    A non-mated search counts as a false positive when its top score is ≥ the threshold,
    so the answer is just above the ``floor(target·N)+1``-th highest non-mated score.
    """
    if not nonmated_scores:
        return None
    scores = sorted(nonmated_scores, reverse=True)
    allowed = int(np.floor(target * len(scores) + 1e-9))
    if allowed >= len(scores):
        return float(min(scores))
    return float(np.nextafter(np.float32(scores[allowed]), np.float32(np.inf)))


def metrics(
    result: EvaluationResult, thresholds: Sequence[float], target_fpir: float
) -> dict[str, Any]:
    """The documented JSON summary of an evaluation."""
    mated = [p for p in result.probes if p.mated]
    nonmated = [p for p in result.probes if not p.mated]
    nonmated_scores = [p.top_score if p.top_score is not None else -1.0 for p in nonmated]
    rank1 = sum(1 for p in mated if p.top_entry == p.identity)
    rows = []
    for t in thresholds:
        tp = sum(1 for p in mated
                 if p.top_entry == p.identity and p.top_score is not None and p.top_score >= t)
        fp = sum(1 for p in nonmated if p.top_score is not None and p.top_score >= t)
        rows.append({
            "threshold": float(t),
            "tpir": tp / len(mated) if mated else None,
            "fpir": fp / len(nonmated) if nonmated else None,
            "true_positives": tp,
            "false_positives": fp,
        })
    chosen = threshold_for_fpir(nonmated_scores, target_fpir)
    tpir_at = None
    if chosen is not None and mated:
        tpir_at = sum(1 for p in mated if p.top_entry == p.identity
                      and p.top_score is not None and p.top_score >= chosen) / len(mated)
    return {
        "model_id": result.model_id,
        "gallery_identities": len(result.gallery_identities),
        "counts": {
            "mated_probes": len(mated),
            "nonmated_probes": len(nonmated),
            "detection_failures": sum(1 for p in result.probes if not p.detected),
            "gallery_failures": len(result.gallery_failures),
        },
        "rank1_accuracy": rank1 / len(mated) if mated else None,
        "thresholds": rows,
        "target_fpir": target_fpir,
        "threshold_at_target_fpir": chosen,
        "tpir_at_target_fpir": tpir_at,
        "gallery_failures": result.gallery_failures,
        "probes": [
            {"path": p.path, "identity": p.identity, "mated": p.mated,
             "top_entry": p.top_entry, "top_score": p.top_score, "detected": p.detected}
            for p in result.probes
        ],
    }


def plot(summary: dict[str, Any], path: Path) -> None:
    """Write TPIR and FPIR against threshold as a PNG (needs matplotlib)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise LFRError("--plot needs matplotlib: pip install 'lfr-framework[plot]'") from None
    rows = summary["thresholds"]
    xs = [r["threshold"] for r in rows]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(xs, [r["tpir"] for r in rows], label="TPIR (mated, rank 1, ≥ threshold)")
    ax.plot(xs, [r["fpir"] for r in rows], label="FPIR (non-mated, any ≥ threshold)")
    if summary["threshold_at_target_fpir"] is not None:
        ax.axvline(summary["threshold_at_target_fpir"], linestyle="--", color="grey",
                   label=f"threshold at FPIR ≤ {summary['target_fpir']}")
    ax.set_xlabel("threshold (cosine similarity)")
    ax.set_ylabel("rate")
    ax.set_title(f"{summary['model_id']}: TPIR / FPIR against threshold")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
