"""The ``lfr`` command line against the real default plugins (and only those)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from lfr_framework.cli import cli
from lfr_framework.errors import ConfigurationError, EnrolmentError
from lfr_framework.evaluation.scenes import Pass, SceneSpec, render_scene
from lfr_framework.models.store import ModelStore

DEFAULTS = "opencv,mediapipe,arcface_onnx,usearch,sinks"


@pytest.fixture(autouse=True)
def only_default_plugins(monkeypatch: pytest.MonkeyPatch, model_store: ModelStore) -> None:
    monkeypatch.setenv("LFR_PLUGINS", DEFAULTS)
    monkeypatch.setenv("LFR_HOME", str(model_store.root.parent))


def invoke(*args: str) -> object:
    return CliRunner().invoke(cli, list(args), catch_exceptions=True)


def test_plugins_list_shows_each_default_plugin_from_its_distribution() -> None:
    result = CliRunner().invoke(cli, ["plugins", "list", "--json"])
    assert result.exit_code == 0, result.output
    listed = {p["name"]: p for p in json.loads(result.output)}
    assert set(listed) == set(DEFAULTS.split(","))
    assert listed["mediapipe"]["distribution"] == "lfr-mediapipe"
    assert listed["mediapipe"]["registers"]["detectors"] == ["mediapipe"]
    assert listed["arcface_onnx"]["registers"]["recognisers"] == ["arcface_onnx"]
    assert listed["usearch"]["registers"]["matchers"] == ["usearch"]
    assert "video" in listed["opencv"]["registers"]["camera_sources"]
    table = CliRunner().invoke(cli, ["plugins", "list"])
    assert "mediapipe  (lfr-mediapipe 0.1.0)" in table.output


def test_models_list_and_verify() -> None:
    listing = CliRunner().invoke(cli, ["models", "list"])
    assert listing.exit_code == 0
    assert "sface-2021dec-int8bq  [present]  licence: Apache-2.0" in listing.output
    assert "non-commercial" in listing.output.lower()
    verified = CliRunner().invoke(cli, ["models", "verify", "sface-2021dec-int8bq"])
    assert verified.exit_code == 0 and "sface-2021dec-int8bq: ok" in verified.output


def test_models_import_refuses_a_file_with_the_wrong_hash(tmp_path: Path) -> None:
    bad = tmp_path / "w600k_r50.onnx"
    bad.write_bytes(b"not the model")
    result = CliRunner().invoke(cli, ["models", "import", "arcface-w600k-r50", str(bad)])
    assert result.exit_code != 0
    assert "sha256" in str(result.exception)
    assert "NOTICE" in result.output and "non-commercial" in result.output.lower()


def test_evaluate_prints_the_documented_json(real_photos: dict[str, Path], tmp_path: Path) -> None:
    layout = {
        "gallery/obama": ["obama"], "gallery/biden": ["biden"],
        "probes/obama": ["obama2", "obama3"], "probes/grace_hopper": ["grace_hopper"],
        "probes/eileen_collins": ["astronaut"],
    }
    for folder, names in layout.items():
        (tmp_path / folder).mkdir(parents=True)
        for name in names:
            shutil.copy2(real_photos[name], tmp_path / folder / real_photos[name].name)
    plot = tmp_path / "det.png"
    result = CliRunner().invoke(cli, [
        "evaluate", "--gallery", str(tmp_path / "gallery"), "--probes", str(tmp_path / "probes"),
        "--thresholds", "0.2,0.363,0.6", "--plot", str(plot), "--json",
    ])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output[result.output.index("{"):])
    assert summary["counts"] == {"mated_probes": 2, "nonmated_probes": 2,
                                 "detection_failures": 0, "gallery_failures": 0}
    assert summary["rank1_accuracy"] == 1.0
    at_default = next(r for r in summary["thresholds"] if r["threshold"] == 0.363)
    assert at_default["tpir"] == 1.0 and at_default["fpir"] == 0.0
    assert summary["threshold_at_target_fpir"] is not None
    assert summary["default_threshold"] == pytest.approx(0.363)
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bad = CliRunner().invoke(cli, ["evaluate", "--gallery", str(tmp_path / "gallery"),
                                   "--probes", str(tmp_path / "probes"), "--thresholds", "x"])
    assert bad.exit_code == 2 and "comma-separated" in bad.output


@pytest.fixture
def deployment_file(tmp_path: Path, real_photos: dict[str, Path]) -> Path:
    spec = SceneSpec(duration_s=3.0, width=960, height=540, passes=[
        Pass(identity="obama", photo="obama3", start_s=0.0, duration_s=2.5,
             face_height_px=130, y_frac=0.4),
        Pass(identity="grace_hopper", photo="grace_hopper", start_s=0.3, duration_s=2.5,
             face_height_px=120, y_frac=0.7, direction=-1),
    ])
    render_scene(spec, real_photos, tmp_path / "scene.mp4")
    (tmp_path / "watchlist").mkdir()
    text = f"""
[deployment]
id = "cli-test"

[[cameras]]
id = "gate"
source = "video"
uri = "scene.mp4"

[[sinks]]
name = "jsonl"
options = {{ path = "{tmp_path / 'alerts.jsonl'}" }}

[watchlist]
directory = "watchlist"

[pipeline]
realtime = false
"""
    path = tmp_path / "deployment.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_enrol_then_run_raises_the_alert(
    deployment_file: Path, real_photos: dict[str, Path]
) -> None:
    enrolled = CliRunner().invoke(cli, ["enrol", "--config", str(deployment_file), "WL-7",
                                        str(real_photos["obama"])])
    assert enrolled.exit_code == 0, enrolled.output
    assert (deployment_file.parent / "watchlist" / "WL-7" / "obama.jpg").is_file()
    ran = CliRunner().invoke(cli, ["run", "--config", str(deployment_file), "--stats"])
    assert ran.exit_code == 0, ran.output
    assert ran.output.count("ALERT ") == 1 and "entry=WL-7" in ran.output
    stats = json.loads(ran.output[ran.output.index("{"):])
    assert stats["counters"]["alerts"] == 1 and stats["counters"]["faces_seen"] == 2
    assert stats["stages"]["detect"]["calls"] == stats["counters"]["frames_processed"]
    lines = (deployment_file.parent / "alerts.jsonl").read_text().splitlines()
    assert [json.loads(line)["entry_id"] for line in lines] == ["WL-7"]


def test_enrol_refuses_a_photo_without_a_face_and_adds_nothing(
    deployment_file: Path, real_photos: dict[str, Path]
) -> None:
    result = CliRunner().invoke(cli, ["enrol", "--config", str(deployment_file), "WL-8",
                                      str(real_photos["obama"]), str(real_photos["chelsea"])])
    assert isinstance(result.exception, EnrolmentError)
    assert "no face found in" in str(result.exception)
    assert not (deployment_file.parent / "watchlist" / "WL-8").exists()


def test_an_invalid_plugin_option_fails_at_start_with_its_key(deployment_file: Path) -> None:
    text = deployment_file.read_text().replace('uri = "scene.mp4"',
                                               'uri = "scene.mp4"\noptions = { loop = "often" }')
    deployment_file.write_text(text)
    (deployment_file.parent / "watchlist" / "x").mkdir()
    result = CliRunner().invoke(cli, ["run", "--config", str(deployment_file)])
    assert isinstance(result.exception, ConfigurationError)
    assert "cameras[0].options.loop" in str(result.exception)


def test_errors_are_one_line_and_exit_1(tmp_path: Path) -> None:
    env = {**os.environ, "LFR_PLUGINS": DEFAULTS}
    done = subprocess.run(
        [sys.executable, "-m", "lfr_framework.cli", "run", "--config", str(tmp_path / "no.toml")],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )
    assert done.returncode == 1
    assert f"error: deployment file {tmp_path / 'no.toml'} does not exist" in done.stderr
    assert "Traceback" not in done.stderr
