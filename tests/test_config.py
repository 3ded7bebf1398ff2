"""Deployment files: every invalid option fails at start with its key and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from lfr_framework.config import load_config
from lfr_framework.errors import ConfigurationError

VALID = """
[deployment]
id = "dep-1"
threshold = 0.5

[[cameras]]
id = "gate"
source = "video"
uri = "scene.mp4"

[watchlist]
directory = "watchlist"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "deployment.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_file_resolves_relative_paths(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, VALID))
    assert config.deployment.threshold == 0.5
    assert config.cameras[0].uri == str(tmp_path / "scene.mp4")
    assert config.watchlist.directory == tmp_path / "watchlist"
    assert config.detector.name == "mediapipe"
    assert config.deployment.policy().kind == "fixed_threshold"


def test_the_default_policy_is_one_in_a_thousand_and_a_calibration_path_is_resolved(
        tmp_path: Path) -> None:
    text = VALID.replace("threshold = 0.5", 'calibration = "cal/sface.json"')
    config = load_config(write(tmp_path, text))
    assert config.deployment.target_fpir == 0.001
    assert config.deployment.policy().kind == "target_fpir"
    assert config.deployment.calibration == tmp_path / "cal" / "sface.json"


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (("threshold = 0.5", "threshold = 1.5"), "deployment.threshold"),
        (("threshold = 0.5", "target_fpir = 0.5"), "deployment.target_fpir"),
        (("threshold = 0.5", "target_fpir = 0"), "deployment.target_fpir"),
        (("threshold = 0.5", "expected_faces = -1"), "deployment.expected_faces"),
        (('id = "gate"', 'id = "has space"'), "cameras.0.id"),
        (("[watchlist]", "[watchlist]\nsurprise = 1"), "watchlist.surprise"),
        (("[deployment]", "[pipeline]\nqueue_size = 0\n[deployment]"), "pipeline.queue_size"),
        (("[deployment]", "[quality]\nmin_face_px = -3\n[deployment]"), "quality.min_face_px"),
    ],
)
def test_invalid_values_name_their_key(tmp_path: Path, change: tuple[str, str], key: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        load_config(write(tmp_path, VALID.replace(*change)))
    assert key in str(info.value)


def test_duplicate_camera_ids_are_refused(tmp_path: Path) -> None:
    text = VALID + '\n[[cameras]]\nid = "gate"\nsource = "video"\nuri = "b.mp4"\n'
    with pytest.raises(ConfigurationError, match="repeated: gate"):
        load_config(write(tmp_path, text))


def test_missing_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        load_config(tmp_path / "nope.toml")
    with pytest.raises(ConfigurationError, match="not valid TOML"):
        load_config(write(tmp_path, "[deployment\nid="))
