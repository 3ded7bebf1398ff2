"""The documented JSON summary of an identification run (docs/evaluation.md), reported at the
product's operating point: the threshold its policy picks for the gallery's size, chosen
before any probe is looked at. Every rate carries a 95% Clopper–Pearson interval.

TPIR counts every mated probe the camera would have seen: a face not found or refused by the
quality gate is a miss. FPIR counts non-mated *searches*: a passer-by whose face was not
found was never compared, so it is not a correct rejection. Unreadable files are input
errors, reported and left out of both.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from lfr_framework.evaluation.identification import (
    NO_FACE,
    QUALITY,
    UNREADABLE,
    EvaluationResult,
    ProbeResult,
)
from lfr_framework.statistics import clopper_pearson, upper_bound_zero
from lfr_framework.thresholds.policy import OperatingPoint

#: Version 2 reports at the operating point, separates searches from probes and leaves
#: personal data out unless asked (version 1 listed every probe's path and candidate).
FORMAT_VERSION = 2
DEFAULT_THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.05, 1.0, 0.05))
DET_GRID = tuple(round(t, 3) for t in np.arange(-0.2, 1.0001, 0.01))
HISTOGRAM_EDGES = tuple(round(t, 3) for t in np.arange(-0.4, 1.0001, 0.02))


def _ci(successes: int, trials: int) -> list[float] | None:
    interval = clopper_pearson(successes, trials)
    return [round(v, 6) for v in interval] if interval is not None else None


def _true_positive(p: ProbeResult, t: float) -> bool:
    return p.searched and p.top_entry == p.identity and p.top_score is not None \
        and p.top_score >= t


def _misidentified(p: ProbeResult, t: float) -> bool:
    return p.searched and p.top_entry != p.identity and p.top_score is not None \
        and p.top_score >= t


def _hit(p: ProbeResult, t: float) -> bool:
    return p.searched and p.top_score is not None and p.top_score >= t


def at_threshold(mated: Sequence[ProbeResult], searches: Sequence[ProbeResult],
                 t: float) -> dict[str, Any]:
    """TPIR, FPIR and misidentifications at one threshold, with intervals and counts."""
    tp = sum(_true_positive(p, t) for p in mated)
    mis = sum(_misidentified(p, t) for p in mated)
    fp = sum(_hit(p, t) for p in searches)
    return {
        "threshold": float(t),
        "tpir": tp / len(mated) if mated else None, "tpir_ci95": _ci(tp, len(mated)),
        "fpir": fp / len(searches) if searches else None, "fpir_ci95": _ci(fp, len(searches)),
        "true_positives": tp, "false_positives": fp, "misidentifications": mis,
    }


def _split(result: EvaluationResult) -> dict[str, Any]:
    counts: dict[str, Any] = {}
    for outcome in (NO_FACE, QUALITY, UNREADABLE):
        counts[outcome] = {
            "mated": sum(1 for p in result.probes if p.mated and p.outcome == outcome),
            "nonmated": sum(1 for p in result.probes if not p.mated and p.outcome == outcome)}
    checks: dict[str, int] = {}
    for p in result.probes:
        if p.outcome == QUALITY and p.check:
            checks[p.check] = checks.get(p.check, 0) + 1
    counts[QUALITY]["by_check"] = checks
    return counts


def resolution_warning(searches: int, target: float | None) -> str | None:
    """A warning when ``searches`` non-mated searches cannot show FPIR ≤ ``target``."""
    if target is None:
        return None
    bound = upper_bound_zero(searches)
    if bound is not None and bound <= target:
        return None
    needed = math.ceil(math.log(0.05) / math.log1p(-target))
    return (f"{searches} non-mated searches cannot resolve the target FPIR {target:g}: even "
            f"with no false positive the 95% bound is {bound if bound is not None else 1:.2g}; "
            f"it takes {needed:,} searches without a false positive to show FPIR ≤ {target:g}")


def _histograms(mated: Sequence[ProbeResult], searches: Sequence[ProbeResult]
                ) -> dict[str, list[Any]]:
    genuine = [p.top_score for p in mated if p.searched and p.top_entry == p.identity
               and p.top_score is not None]
    impostor = [p.top_score for p in searches if p.top_score is not None]
    edges = np.asarray(HISTOGRAM_EDGES)
    return {"edges": list(HISTOGRAM_EDGES),
            "genuine": np.histogram(genuine, bins=edges)[0].astype(int).tolist(),
            "impostor": np.histogram(impostor, bins=edges)[0].astype(int).tolist()}


def _per_identity(mated: Sequence[ProbeResult], t: float) -> list[dict[str, Any]]:
    out = []
    for identity in sorted({p.identity for p in mated}):
        mine = [p for p in mated if p.identity == identity]
        tp = sum(_true_positive(p, t) for p in mine)
        out.append({"identity": identity, "probes": len(mine),
                    "searched": sum(p.searched for p in mine), "true_positives": tp,
                    "tpir": tp / len(mine), "tpir_ci95": _ci(tp, len(mine)),
                    "misidentifications": sum(_misidentified(p, t) for p in mine)})
    return out


def _after_the_fact(searches: Sequence[ProbeResult], mated: Sequence[ProbeResult],
                    target: float) -> dict[str, Any]:
    """The lowest threshold at which the *observed* FPIR meets the target: a diagnostic,
    never what a deployment would run at."""
    scores = sorted((p.top_score for p in searches if p.top_score is not None), reverse=True)
    allowed = math.floor(target * len(searches) + 1e-9)
    if not scores:
        return {"threshold": None, "tpir": None}
    t = float(np.nextafter(np.float32(scores[allowed]), np.float32(np.inf))) \
        if allowed < len(scores) else float(min(scores))
    return {"threshold": t, "tpir": at_threshold(mated, searches, t)["tpir"]}


def summarise(result: EvaluationResult, point: OperatingPoint,
              thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
              provenance: dict[str, Any] | None = None,
              include_paths: bool = False) -> dict[str, Any]:
    """The documented JSON of an evaluation at ``point`` (see docs/evaluation.md)."""
    usable = [p for p in result.probes if p.outcome != UNREADABLE]
    mated = [p for p in usable if p.mated]
    nonmated = [p for p in usable if not p.mated]
    searches = [p for p in nonmated if p.searched]
    t = point.threshold
    here = at_threshold(mated, searches, t)
    warnings = list(point.warnings)
    unresolved = resolution_warning(len(searches), point.target_fpir)
    if unresolved:
        warnings.append(unresolved)
    rank1 = sum(1 for p in mated if p.searched and p.top_entry == p.identity)
    operating = {
        "threshold": t, "policy": point.policy, "target_fpir": point.target_fpir,
        "watchlist_size": point.watchlist_templates, "watchlist_entries": point.watchlist_entries,
        "tpir": here["tpir"], "tpir_ci95": here["tpir_ci95"],
        "fpir": here["fpir"], "fpir_ci95": here["fpir_ci95"],
        "fpir_upper_bound_95": (upper_bound_zero(len(searches))
                                if here["false_positives"] == 0 else None),
        "predicted_fpir": point.predicted_fpir, "predicted_fpir_ci95": (
            list(point.predicted_fpir_ci95) if point.predicted_fpir_ci95 else None),
        "true_positives": here["true_positives"], "mated_probes": len(mated),
        "false_positives": here["false_positives"], "nonmated_searches": len(searches),
        "misidentifications": here["misidentifications"],
        "calibration": point.calibration,
    }
    grid = sorted({float(x) for x in thresholds} | {float(t)})
    out: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "model_id": result.model_id,
        "provenance": provenance or {},
        "gallery": {"identities": len(result.gallery_identities),
                    "enrolled": result.gallery_entries, "templates": result.gallery_templates,
                    "failures": len(result.gallery_failures)},
        "probes": {"mated": len(mated), "nonmated": len(nonmated), **_split(result)},
        "searches": {"mated": sum(p.searched for p in mated), "nonmated": len(searches)},
        "operating_point": operating,
        "rank1_accuracy": {"rate": rank1 / len(mated) if mated else None,
                           "ci95": _ci(rank1, len(mated))},
        "thresholds": [at_threshold(mated, searches, x) for x in grid],
        "per_identity": _per_identity(mated, t),
        "det": _det(mated, searches),
        "histograms": _histograms(mated, searches),
        "warnings": warnings,
        "diagnostics": {"after_the_fact": _after_the_fact(
            searches, mated, point.target_fpir or 0.001)},
    }
    if include_paths:
        out["gallery"]["failure_details"] = result.gallery_failures
        out["probe_results"] = [
            {"path": p.path, "identity": p.identity, "mated": p.mated, "outcome": p.outcome,
             "check": p.check, "top_entry": p.top_entry, "top_score": p.top_score}
            for p in result.probes]
    return out


def _det(mated: Sequence[ProbeResult], searches: Sequence[ProbeResult]) -> dict[str, list[Any]]:
    rows = [at_threshold(mated, searches, t) for t in DET_GRID]
    return {"thresholds": list(DET_GRID),
            "fnir": [None if r["tpir"] is None else 1.0 - r["tpir"] for r in rows],
            "fpir": [r["fpir"] for r in rows]}
