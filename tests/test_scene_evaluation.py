"""Scene mode of the evaluation: ``lfr evaluate-scene`` on a rendered scene with its truth."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from lfr_framework.cli.evaluate_scene_cmd import evaluate_scene
from lfr_framework.errors import ConfigurationError
from lfr_framework.evaluation.scene_runner import load_truth, percentile, run_scene, summary
from lfr_framework.evaluation.scenes import Pass, SceneSpec, render_scene, truth_path
from lfr_framework.models.store import ModelStore
from lfr_framework.plugins import PluginHost

DEFAULTS = "opencv,mediapipe,arcface_onnx,usearch,sinks"


@pytest.fixture(autouse=True)
def only_default_plugins(monkeypatch: pytest.MonkeyPatch, model_store: ModelStore) -> None:
    monkeypatch.setenv("LFR_PLUGINS", DEFAULTS)
    monkeypatch.setenv("LFR_HOME", str(model_store.root.parent))


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory, real_photos: dict[str, Path]
          ) -> tuple[Path, Path]:
    """4 s at 960x540: obama passes twice (not the enrolled photo), two others once each;
    the watchlist holds obama (enrolled from obama.jpg) and biden (never passes)."""
    root = tmp_path_factory.mktemp("scene-eval")
    spec = SceneSpec(duration_s=4.0, width=960, height=540, seed=3, passes=[
        Pass(identity="obama", photo="obama3", start_s=0.0, duration_s=2.0,
             face_height_px=130, y_frac=0.35),
        Pass(identity="grace_hopper", photo="grace_hopper", start_s=0.2, duration_s=2.5,
             face_height_px=120, y_frac=0.72, direction=-1),
        Pass(identity="obama", photo="obama2", start_s=1.9, duration_s=2.0,
             face_height_px=110, y_frac=0.7),
        Pass(identity="eileen_collins", photo="astronaut", start_s=1.8, duration_s=2.2,
             face_height_px=120, y_frac=0.3, direction=-1),
    ])
    video = root / "scene.mp4"
    render_scene(spec, real_photos, video)
    watchlist = root / "watchlist"
    for entry, photo in (("obama", "obama"), ("biden", "biden")):
        (watchlist / entry).mkdir(parents=True)
        shutil.copy2(real_photos[photo], watchlist / entry / real_photos[photo].name)
    return video, watchlist


def test_each_watchlisted_pass_alerts_and_the_others_do_not(
    scene: tuple[Path, Path], default_host: PluginHost, model_store: ModelStore
) -> None:
    video, watchlist = scene
    truth = load_truth(video)
    run = run_scene(video, truth, watchlist, default_host, model_store)
    out = summary(truth, run, ["biden", "obama"])
    assert out["watchlisted_passes"] == 2 and out["alerted_passes"] == 2
    assert out["pass_tpir"] == 1.0
    assert out["false_alerts"] == 0 and out["false_alerts_per_1000_faces"] == 0.0
    assert out["threshold"] == pytest.approx(0.363)
    assert out["faces_in_truth"] == 4 and out["counters"]["faces_seen"] == out["faces_seen"]
    assert 4 <= out["faces_seen"] <= 6
    latency = out["time_to_alert_s"]
    assert latency["n"] == 2 and 0.0 <= latency["p50"] <= latency["p95"] <= latency["max"] < 2.0
    alerted = {p["index"]: p["alerted"] for p in out["passes"]}
    assert alerted == {0: True, 1: False, 2: True, 3: False}


def test_cli_prints_the_documented_json_for_each_threshold(scene: tuple[Path, Path]) -> None:
    video, watchlist = scene
    result = CliRunner().invoke(evaluate_scene, [
        "--scene", str(video), "--watchlist", str(watchlist),
        "--threshold", "0.363", "--threshold", "0.99", "--json",
    ])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output[result.output.index("{"):])
    assert set(out) == {"scene", "watchlist", "frames", "fps", "cooldown_s", "runs"}
    assert out["watchlist"] == ["biden", "obama"] and out["frames"] == 100
    default, strict = out["runs"]
    assert {"threshold", "model_id", "pass_tpir", "watchlisted_passes", "alerted_passes",
            "true_alerts", "false_alerts", "faces_seen", "faces_in_truth",
            "false_alerts_per_1000_faces", "time_to_alert_s", "counters",
            "passes"} <= set(default)
    assert default["pass_tpir"] == 1.0 and default["model_id"] == "sface-2021dec-int8bq"
    assert strict["threshold"] == 0.99 and strict["pass_tpir"] == 0.0
    assert strict["time_to_alert_s"] == {"p50": None, "p95": None, "max": None, "n": 0}
    brief = CliRunner().invoke(evaluate_scene, [
        "--scene", str(video), "--watchlist", str(watchlist), "--threshold", "0.99"])
    assert brief.exit_code == 0 and '"passes":' not in brief.output


def test_missing_truth_is_a_clear_error(scene: tuple[Path, Path], tmp_path: Path) -> None:
    video, watchlist = scene
    lone = tmp_path / "lone.mp4"
    shutil.copy2(video, lone)
    result = CliRunner().invoke(evaluate_scene, [
        "--scene", str(lone), "--watchlist", str(watchlist)])
    assert result.exit_code != 0
    assert isinstance(result.exception, ConfigurationError)
    assert f"ground truth {truth_path(lone)} not found" in str(result.exception)


def test_garbled_truth_is_a_clear_error(scene: tuple[Path, Path], tmp_path: Path) -> None:
    video, watchlist = scene
    garbled = tmp_path / "garbled.json"
    garbled.write_text('{"format_version": 1, "passes": [', encoding="utf-8")
    result = CliRunner().invoke(evaluate_scene, [
        "--scene", str(video), "--truth", str(garbled), "--watchlist", str(watchlist)])
    assert isinstance(result.exception, ConfigurationError)
    assert f"{garbled} is not a scene ground-truth file" in str(result.exception)
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"format_version": 1, "spec": {}}), encoding="utf-8")
    with pytest.raises(ConfigurationError, match="is not a scene ground-truth file"):
        load_truth(video, wrong)


def test_truth_of_another_scene_is_refused(
    scene: tuple[Path, Path], tmp_path: Path, real_photos: dict[str, Path],
    default_host: PluginHost, model_store: ModelStore,
) -> None:
    video, watchlist = scene
    other = SceneSpec(duration_s=1.0, width=960, height=540, passes=[
        Pass(identity="obama", photo="obama3", start_s=0.0, duration_s=1.0,
             face_height_px=130, y_frac=0.35)])
    render_scene(other, real_photos, tmp_path / "other.mp4")
    with pytest.raises(ConfigurationError, match="has 100 frames but its ground truth"):
        run_scene(video, load_truth(tmp_path / "other.mp4"), watchlist, default_host,
                  model_store)


def test_bad_watchlist_and_scene_are_refused(scene: tuple[Path, Path], tmp_path: Path) -> None:
    video, _ = scene
    result = CliRunner().invoke(evaluate_scene, [
        "--scene", str(video), "--watchlist", str(tmp_path / "nowhere")])
    assert isinstance(result.exception, ConfigurationError)
    assert "watchlist directory" in str(result.exception)
    missing = CliRunner().invoke(evaluate_scene, [
        "--scene", str(tmp_path / "none.mp4"), "--watchlist", str(tmp_path)])
    assert missing.exit_code == 2 and "does not exist" in missing.output


def test_percentile() -> None:
    assert percentile([], 50) is None
    assert percentile([2.0], 95) == 2.0
    assert percentile([0.0, 1.0, 2.0, 3.0, 4.0], 50) == 2.0
    assert percentile([0.0, 10.0], 95) == pytest.approx(9.5)
