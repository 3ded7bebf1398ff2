"""TPIR / FPIR arithmetic and the threshold chosen for a target FPIR."""

from __future__ import annotations

from lfr_framework.evaluation.identification import (
    EvaluationResult,
    ProbeResult,
    metrics,
    threshold_for_fpir,
)


def probe(identity: str, mated: bool, top: str | None, score: float | None) -> ProbeResult:
    return ProbeResult(f"{identity}.jpg", identity, mated, top, score, score is not None)


def test_rates_per_threshold() -> None:
    result = EvaluationResult("m", ["a", "b"], [
        probe("a", True, "a", 0.8),
        probe("b", True, "a", 0.7),   # wrong identity at rank 1: never a true positive
        probe("a", True, None, None),  # detection failure: a miss
        probe("x", False, "a", 0.5),
        probe("y", False, "b", 0.2),
    ])
    out = metrics(result, [0.3, 0.6, 0.9], target_fpir=0.0)
    rows = {r["threshold"]: r for r in out["thresholds"]}
    assert rows[0.3]["tpir"] == 1 / 3 and rows[0.3]["fpir"] == 0.5
    assert rows[0.6]["tpir"] == 1 / 3 and rows[0.6]["fpir"] == 0.0
    assert rows[0.9]["tpir"] == 0.0
    assert out["rank1_accuracy"] == 1 / 3
    assert out["counts"] == {"mated_probes": 3, "nonmated_probes": 2,
                             "detection_failures": 1, "gallery_failures": 0}
    assert 0.5 < out["threshold_at_target_fpir"] < 0.5001
    assert out["tpir_at_target_fpir"] == 1 / 3


def test_threshold_for_fpir_allows_the_target_share() -> None:
    scores = [0.1 * i for i in range(10)]  # 0.0 … 0.9
    t = threshold_for_fpir(scores, 0.2)
    assert t is not None
    assert sum(s >= t for s in scores) == 2
    assert threshold_for_fpir([], 0.1) is None
