"""The threshold policy: a deployment states the false positive identification rate (FPIR)
per passer-by it accepts; the threshold follows from the recogniser's calibration and the
watchlist's size. One search compares a face with every template, so

    FPIR(N, t) = 1 − (1 − FMR(t))^N ≈ N · FMR(t)

and the threshold for a target is where the calibration's *pessimistic* edge reaches it.
An expert may fix the threshold instead; the predicted FPIR is then shown for it.
``lfr run``, ``lfr evaluate``, ``lfr serve`` and ``lfr node`` all use this module.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from lfr_framework.errors import ThresholdPolicyError
from lfr_framework.thresholds.calibration import Calibration

DEFAULT_TARGET_FPIR = 0.001
MAX_TARGET_FPIR = 0.1
TARGET_FPIR = "target_fpir"
FIXED_THRESHOLD = "fixed_threshold"


@dataclass(frozen=True, slots=True)
class ThresholdPolicy:
    """A target FPIR per passer-by (default 1 in 1,000), or an expert's fixed threshold."""

    target_fpir: float = DEFAULT_TARGET_FPIR
    fixed_threshold: float | None = None

    def __post_init__(self) -> None:
        check_target_fpir(self.target_fpir)
        if self.fixed_threshold is not None and not -1.0 < self.fixed_threshold <= 1.0:
            raise ThresholdPolicyError(
                f"a fixed threshold must lie in (-1, 1], got {self.fixed_threshold}")

    @property
    def kind(self) -> str:
        """``target_fpir`` or ``fixed_threshold``."""
        return FIXED_THRESHOLD if self.fixed_threshold is not None else TARGET_FPIR


def check_target_fpir(value: float) -> float:
    """A target FPIR must lie in (0, 0.1]; a clear error otherwise."""
    if not (isinstance(value, int | float) and math.isfinite(value)
            and 0.0 < value <= MAX_TARGET_FPIR):
        raise ThresholdPolicyError(
            f"target FPIR must be in (0, {MAX_TARGET_FPIR}] (e.g. 0.001 for 1 in 1,000), "
            f"got {value}")
    return float(value)


def fpir(fmr: float, comparisons: int) -> float:
    """FPIR of one search against ``comparisons`` templates at per-comparison ``fmr``."""
    return -math.expm1(comparisons * math.log1p(-min(max(fmr, 0.0), 1.0 - 1e-15)))


def fmr_for_fpir(target: float, comparisons: int) -> float:
    """The per-comparison FMR at which ``comparisons`` give an FPIR of ``target``."""
    return -math.expm1(math.log1p(-target) / max(comparisons, 1))


@dataclass(frozen=True, slots=True)
class OperatingPoint:
    """The threshold a deployment runs at and what it predicts (the documented shape)."""

    policy: str
    target_fpir: float | None
    threshold: float
    model_id: str
    watchlist_entries: int
    watchlist_templates: int
    predicted_fpir: float | None
    predicted_fpir_ci95: tuple[float, float] | None
    expected_faces: int | None
    expected_false_alerts: float | None
    expected_false_alerts_ci95: tuple[float, float] | None
    calibration: dict[str, Any] | None
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values; interval tuples become two-item lists."""
        out = asdict(self)
        for key in ("predicted_fpir_ci95", "expected_false_alerts_ci95"):
            if out[key] is not None:
                out[key] = [float(v) for v in out[key]]
        return out


def calibration_summary(calibration: Calibration, target_fpir: float | None) -> dict[str, Any]:
    """What an operating point says about the calibration it came from."""
    return {
        "model_id": calibration.model_id, "model_sha256": calibration.model_sha256,
        "dataset_digest": calibration.dataset_digest, "identities": calibration.identities,
        "photos": calibration.photos, "pairs": calibration.total_pairs,
        "created_at": calibration.created_at,
        "max_watchlist_size": calibration.max_comparisons(target_fpir or DEFAULT_TARGET_FPIR),
    }


def operating_point(policy: ThresholdPolicy, calibration: Calibration | None, *, model_id: str,
                    entries: int, templates: int, expected_faces: int | None = None
                    ) -> OperatingPoint:
    """The threshold ``policy`` gives for a watchlist of ``entries`` (``templates``), and the
    FPIR and false alerts it predicts. Without a calibration only a fixed threshold works."""
    comparisons = max(templates, entries, 1)
    warnings: list[str] = []
    if expected_faces is not None and expected_faces < 0:
        raise ThresholdPolicyError(f"expected faces must be >= 0, got {expected_faces}")
    if calibration is None:
        if policy.fixed_threshold is None:
            raise ThresholdPolicyError(
                f"model {model_id!r} has no calibration, so a target FPIR cannot be turned "
                "into a threshold: run 'lfr calibrate' on your own photos, or set a fixed "
                "threshold")
        warnings.append(f"model {model_id!r} has no calibration: no FPIR can be predicted "
                        f"for threshold {policy.fixed_threshold}")
        return OperatingPoint(FIXED_THRESHOLD, None, policy.fixed_threshold, model_id, entries,
                              templates, None, None, expected_faces, None, None, None, warnings)
    if policy.fixed_threshold is not None:
        threshold = policy.fixed_threshold
    else:
        _, threshold = calibration.threshold_for_fmr(
            fmr_for_fpir(policy.target_fpir, comparisons))
        threshold = math.ceil(threshold * 1e4) / 1e4  # 4 decimals, never below the edge
    estimate, low, high = calibration.fmr(threshold)
    predicted = fpir(estimate, comparisons)
    band = (fpir(low, comparisons), fpir(high, comparisons))
    target = policy.target_fpir if policy.kind == TARGET_FPIR else None
    limit = calibration.max_comparisons(target or DEFAULT_TARGET_FPIR)
    if comparisons > limit:
        warnings.append(
            f"the watchlist has {comparisons} templates; the calibration of {model_id} "
            f"({calibration.total_pairs} impostor pairs) vouches for at most {limit} at this "
            "target: the predicted rate is an extrapolation; calibrate on more photos")
    if target is not None and band[1] > target * 1.05:
        warnings.append(f"the calibration's band reaches FPIR {band[1]:.2g}, above the target "
                        f"{target:g}, at the highest threshold it can resolve")
    if target is None and band[1] > DEFAULT_TARGET_FPIR:
        warnings.append(f"the fixed threshold {threshold} predicts an FPIR up to {band[1]:.2g} "
                        f"per passer-by, above 1 in {round(1 / DEFAULT_TARGET_FPIR):,}")
    alerts = alerts_band = None
    if expected_faces is not None:
        alerts = predicted * expected_faces
        alerts_band = (band[0] * expected_faces, band[1] * expected_faces)
    return OperatingPoint(policy.kind, target, threshold, model_id, entries, templates,
                          predicted, band, expected_faces, alerts, alerts_band,
                          calibration_summary(calibration, target), warnings)


def describe(point: OperatingPoint) -> list[str]:
    """The operating point in words, for a terminal: threshold, prediction, warnings."""
    if point.policy == TARGET_FPIR and point.target_fpir is not None:
        why = (f"target FPIR 1 in {round(1 / point.target_fpir):,} for "
               f"{point.watchlist_templates} template(s)")
    else:
        why = "fixed by the deployment"
    lines = [f"threshold {point.threshold:.4f} ({why})"]
    if point.predicted_fpir is not None and point.predicted_fpir_ci95 is not None:
        low, high = point.predicted_fpir_ci95
        lines.append(f"predicted FPIR per passer-by {point.predicted_fpir:.2g} "
                     f"(95% {low:.2g}–{high:.2g})")
    if point.expected_false_alerts is not None and point.expected_false_alerts_ci95 is not None:
        low, high = point.expected_false_alerts_ci95
        lines.append(f"{point.expected_faces:,} faces → {point.expected_false_alerts:.1f} "
                     f"false alerts ({low:.1f}–{high:.1f})")
    lines += [f"warning: {w}" for w in point.warnings]
    return lines
