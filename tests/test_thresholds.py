"""The threshold policy's arithmetic: intervals, the GPD tail, calibration files, the policy."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from lfr_framework.errors import CalibrationError, ThresholdPolicyError
from lfr_framework.statistics import clopper_pearson, upper_bound_zero, wilson
from lfr_framework.thresholds.calibration import Calibration
from lfr_framework.thresholds.policy import (
    ThresholdPolicy,
    check_target_fpir,
    describe,
    fmr_for_fpir,
    fpir,
    operating_point,
)
from lfr_framework.thresholds.tail import TailFit, fit_tail


def test_intervals_match_published_values() -> None:
    # Clopper-Pearson 5/100 (e.g. R's binom.test): 0.01643 to 0.11284.
    low, high = clopper_pearson(5, 100) or (0, 0)
    assert low == pytest.approx(0.016431, abs=1e-5) and high == pytest.approx(0.112835, abs=1e-5)
    assert clopper_pearson(52, 52) == (pytest.approx(0.931518, abs=1e-5), 1.0)
    assert clopper_pearson(0, 160)[1] == pytest.approx(0.022792, abs=1e-5)  # type: ignore[index]
    assert wilson(5, 100) == (pytest.approx(0.021544, abs=1e-5), pytest.approx(0.111750, abs=1e-5))
    assert clopper_pearson(0, 0) is None and wilson(1, 0) is None
    # With no false alert in n faces the one-sided 95% bound is about 3/n.
    assert upper_bound_zero(3000) == pytest.approx(3 / 3000, rel=0.01)
    assert upper_bound_zero(2995) < 0.001 < upper_bound_zero(2990)  # type: ignore[operator]


def test_fpir_grows_about_linearly_with_the_watchlist() -> None:
    assert fpir(1e-6, 1000) == pytest.approx(1e-3, rel=1e-3)
    assert fpir(fmr_for_fpir(0.001, 167), 167) == pytest.approx(0.001, rel=1e-9)
    assert fpir(0.01, 1) == pytest.approx(0.01)


def test_the_tail_fit_recovers_a_known_generalised_pareto_tail() -> None:
    rng = np.random.default_rng(0)
    sigma, xi, u = 0.03, -0.15, 0.3
    body = rng.uniform(-0.2, u, 99_000)
    uniform = rng.uniform(size=1_000)
    tail = u + sigma / xi * (uniform ** (-xi) - 1)  # GPD(sigma, xi) excesses over u
    fit = fit_tail(np.concatenate([body, tail]), 0.01)
    assert fit.xi == pytest.approx(xi, abs=0.06) and fit.sigma == pytest.approx(sigma, rel=0.15)
    # The closed-form inverse is the inverse.
    for rate in (1e-3, 1e-5, 1e-7):
        assert fit.fmr(fit.threshold(rate)) == pytest.approx(rate, rel=1e-6)
    exponential = TailFit(0.3, 0.01, 0.03, 0.0)
    assert exponential.threshold(1e-4) == pytest.approx(0.3 + 0.03 * math.log(100))
    with pytest.raises(ValueError, match="at least 50"):
        fit_tail(np.zeros(10), 0.01)


def _calibration(pairs: int = 200_000, model_id: str = "m", sha: str = "a" * 64) -> Calibration:
    grid = [round(-0.2 + 0.01 * i, 2) for i in range(121)]
    tail = TailFit(0.33, 0.01, 0.034, -0.12)
    empirical = [max(0.0, min(1.0, 0.5 - t)) if t < 0.33 else tail.fmr(t) for t in grid]
    rng = np.random.default_rng(1)
    boots = [TailFit(0.33 + rng.normal(0, 0.003), 0.01, 0.034 * rng.uniform(0.9, 1.1),
                     -0.12 + rng.normal(0, 0.04)) for _ in range(200)]
    return Calibration(model_id=model_id, model_sha256=sha, identities=300, photos=300,
                       pairs={"clean": pairs // 4, "degraded": pairs - pairs // 4},
                       dataset_digest="d" * 64, created_at="2026-12-01T00:00:00Z",
                       versions={"lfr-framework": "0.1.0"}, method={"fit": "test"},
                       recipe={}, grid=grid, fmr_empirical=empirical,
                       fmr_low=[e * 0.8 for e in empirical], fmr_high=[e * 1.2 for e in empirical],
                       tail=tail, bootstrap=boots)


def test_a_calibration_file_round_trips_and_holds_no_template(tmp_path: Path) -> None:
    calibration = _calibration()
    path = tmp_path / "cal.json"
    calibration.save(path)
    again = Calibration.load(path)
    assert again.fmr(0.5) == pytest.approx(calibration.fmr(0.5), rel=1e-6)
    assert again.threshold_for_fmr(1e-6) == pytest.approx(calibration.threshold_for_fmr(1e-6))
    data = json.loads(path.read_text())
    assert set(data) >= {"model_id", "model_sha256", "identities", "pairs", "dataset_digest",
                         "versions", "created_at", "method", "tail", "bootstrap"}
    assert not any(isinstance(v, list) and len(v) == 128 for v in data.values())


def test_a_calibration_of_another_model_is_refused_naming_both(tmp_path: Path) -> None:
    calibration = _calibration(model_id="sface-x", sha="b" * 64)
    with pytest.raises(CalibrationError, match=r"calibrates model 'sface-x'.*not 'arcface'"):
        calibration.check_model("arcface", "b" * 64, "cal.json")
    with pytest.raises(CalibrationError, match=r"sha256 bbbbbbbbbbbb.*sha256 cccccccccccc"):
        calibration.check_model("sface-x", "c" * 64, "cal.json")
    calibration.check_model("sface-x", "b" * 64, "cal.json")


def test_malformed_calibration_files_are_clear_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(CalibrationError, match="cannot read calibration file"):
        Calibration.load(bad)
    bad.write_text(json.dumps({"format_version": 1, "model_id": "m"}), encoding="utf-8")
    with pytest.raises(CalibrationError, match="is not a calibration file"):
        Calibration.load(bad)
    with pytest.raises(CalibrationError, match="does not exist"):
        Calibration.load(tmp_path / "missing.json")


@pytest.mark.parametrize("target", [0.0, -0.01, 0.2, float("nan"), float("inf")])
def test_a_target_fpir_outside_zero_to_a_tenth_is_refused(target: float) -> None:
    with pytest.raises(ThresholdPolicyError, match=r"target FPIR must be in \(0, 0.1\]"):
        check_target_fpir(target)
    with pytest.raises(ThresholdPolicyError):
        ThresholdPolicy(target_fpir=target)


def test_the_threshold_follows_the_watchlist_size_on_the_pessimistic_edge() -> None:
    calibration = _calibration()
    small = operating_point(ThresholdPolicy(), calibration, model_id="m", entries=10,
                            templates=10)
    large = operating_point(ThresholdPolicy(), calibration, model_id="m", entries=1000,
                            templates=1000)
    assert small.threshold < large.threshold
    estimate, conservative = calibration.threshold_for_fmr(fmr_for_fpir(0.001, 1000))
    assert large.threshold >= conservative >= estimate
    # The band's upper edge sits at the target; the estimate is at or below it.
    assert large.predicted_fpir_ci95 is not None
    assert large.predicted_fpir_ci95[1] == pytest.approx(0.001, rel=0.05)
    assert large.predicted_fpir is not None and large.predicted_fpir <= 0.001
    stricter = operating_point(ThresholdPolicy(0.0001), calibration, model_id="m", entries=1000,
                               templates=1000)
    assert stricter.threshold > large.threshold


def test_expected_false_alerts_scale_with_the_footfall() -> None:
    point = operating_point(ThresholdPolicy(), _calibration(), model_id="m", entries=100,
                            templates=120, expected_faces=20_000)
    assert point.expected_false_alerts == pytest.approx(point.predicted_fpir * 20_000)
    low, high = point.expected_false_alerts_ci95 or (0, 0)
    assert low <= point.expected_false_alerts <= high == pytest.approx(20.0, rel=0.06)
    assert any("false alerts" in line for line in describe(point))


def test_a_fixed_threshold_shows_its_predicted_fpir() -> None:
    point = operating_point(ThresholdPolicy(fixed_threshold=0.363), _calibration(),
                            model_id="m", entries=167, templates=167)
    assert point.policy == "fixed_threshold" and point.threshold == 0.363
    assert point.predicted_fpir is not None and point.predicted_fpir > 0.1
    assert any("above 1 in 1,000" in w for w in point.warnings)


def test_a_watchlist_beyond_what_the_calibration_vouches_for_is_warned() -> None:
    calibration = _calibration(pairs=20_000)  # vouches for FMR down to 5e-6: 200 templates
    assert calibration.max_comparisons(0.001) == pytest.approx(200, abs=1)
    ok = operating_point(ThresholdPolicy(), calibration, model_id="m", entries=150,
                         templates=150)
    beyond = operating_point(ThresholdPolicy(), calibration, model_id="m", entries=500,
                             templates=500)
    assert not any("vouches" in w for w in ok.warnings)
    assert any("vouches for at most 200" in w for w in beyond.warnings)


def test_without_a_calibration_only_a_fixed_threshold_works() -> None:
    with pytest.raises(ThresholdPolicyError, match="has no calibration"):
        operating_point(ThresholdPolicy(), None, model_id="arcface-w600k-r50", entries=1,
                        templates=1)
    point = operating_point(ThresholdPolicy(fixed_threshold=0.4), None,
                            model_id="arcface-w600k-r50", entries=1, templates=1)
    assert point.predicted_fpir is None and "no calibration" in point.warnings[0]
