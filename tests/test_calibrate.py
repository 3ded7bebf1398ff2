"""``lfr calibrate``: the shipped calibration is reproducible, and bad input is refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from lfr_framework.cli import cli
from lfr_framework.evaluation.calibration_photos import (
    EXPECTED_PHOTOS,
    fetch_calibration_photos,
    pinned_identity_folder,
    usable_name,
)
from lfr_framework.thresholds.calibration import Calibration

SHIPPED = (Path(__file__).resolve().parents[1] / "plugins" / "lfr-arcface-onnx" / "src"
           / "lfr_arcface_onnx" / "calibrations" / "sface-2021dec-int8bq.json")
DEFAULTS = "opencv,mediapipe,arcface_onnx,usearch,sinks"


@pytest.fixture(autouse=True)
def only_default_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LFR_PLUGINS", DEFAULTS)


def test_only_the_usable_half_of_the_portraits_is_ever_extracted() -> None:
    photos = fetch_calibration_photos()
    files = [p for p in photos.root.rglob("*") if p.is_file() and p.name != "manifest.json"]
    assert len(files) == photos.photos == EXPECTED_PHOTOS
    assert all(usable_name(p.name) for p in files)
    assert len(photos.digest) == 64


def test_too_few_identities_are_refused_saying_how_many_are_needed(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["calibrate", "--photos", str(pinned_identity_folder()),
                                      "--out", str(tmp_path / "c.json")])
    assert result.exit_code != 0
    message = str(result.exception)
    assert "4 identities" in message and "needs at least" in message
    assert not (tmp_path / "c.json").exists()


def test_a_folder_without_identity_folders_is_refused(tmp_path: Path) -> None:
    (tmp_path / "flat").mkdir()
    result = CliRunner().invoke(cli, ["calibrate", "--photos", str(tmp_path / "flat"),
                                      "--out", str(tmp_path / "c.json")])
    assert result.exit_code != 0 and "has no identity sub-folders" in str(result.exception)
    usage = CliRunner().invoke(cli, ["calibrate", "--photos", str(tmp_path / "flat")])
    assert usage.exit_code == 2 and "--out" in usage.output
    bad = CliRunner().invoke(cli, ["calibrate", "--default-set", "--target-fpir", "0.3",
                                   "--out", str(tmp_path / "c.json")])
    assert bad.exit_code == 2 and "target FPIR must be in (0, 0.1]" in bad.output


@pytest.mark.slow
def test_a_rebuild_on_a_subset_agrees_with_the_shipped_calibration_within_its_band(
    tmp_path: Path,
) -> None:
    shipped = Calibration.load(SHIPPED)
    photos = fetch_calibration_photos()
    subset = tmp_path / "subset"
    people = sorted(p for p in photos.root.iterdir() if p.is_dir())[::3]  # every third person
    for person in people:
        shutil.copytree(person, subset / person.name)
    out = tmp_path / "subset.json"
    result = CliRunner().invoke(cli, ["calibrate", "--photos", str(subset), "--resamples", "60",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    rebuilt = Calibration.load(out)
    assert rebuilt.identities == len(people) and rebuilt.model_id == shipped.model_id
    assert rebuilt.model_sha256 == shipped.model_sha256 and rebuilt.recipe == shipped.recipe
    for t in (0.30, 0.35, 0.40, 0.45):
        estimate, _, _ = shipped.fmr(t)
        _, low, high = rebuilt.fmr(t)
        assert low * 0.8 <= estimate <= high * 1.25 + 1e-7, (t, estimate, low, high)
    assert "templates at FPIR 0.001" in result.output
    data = json.loads(out.read_text())
    assert "template" not in json.dumps(data["method"]) and str(subset) not in out.read_text()
