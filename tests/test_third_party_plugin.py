"""A third-party plugin installed with a real ``pip install`` is discovered and works.

``tests/fixtures/lfr-example-plugin`` is copied to a temporary directory (so no build
artefacts land in the repository), built with the environment's setuptools and installed
with ``pip install --target``. Every check then runs in a fresh interpreter with that
directory on ``PYTHONPATH`` and ``LFR_PLUGINS=example``, from a directory outside the
repository, as a user would run it.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from lfr_framework.models.store import ModelStore

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "lfr-example-plugin"
EXPECTED_REGISTERS = {"alert_sinks": ["example-counter"], "camera_sources": ["example-still"]}
MIN_SETUPTOOLS = (70, 1)  # builds wheels without the separate `wheel` package


def _run(args: list[str], cwd: Path, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, cwd=cwd, env=dict(env), capture_output=True, text=True,
                            timeout=300, check=False)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(args[:4])} … exited {result.returncode}\n"
                    f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}")
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Install the example plugin into a private site directory; return where and how to run."""
    version = importlib.metadata.version("setuptools")
    if tuple(int(p) for p in version.split(".")[:2]) < MIN_SETUPTOOLS:
        pytest.fail(f"setuptools {version} in this environment cannot build the example plugin "
                    f"without build isolation; run: {sys.executable} -m pip install "
                    f"'setuptools>={'.'.join(map(str, MIN_SETUPTOOLS))}'")
    work = tmp_path_factory.mktemp("third-party")
    source = work / "lfr-example-plugin"
    shutil.copytree(FIXTURE, source, ignore=shutil.ignore_patterns(
        "build", "*.egg-info", "__pycache__"))
    site = work / "site"
    _run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation",
          "--no-index", "--disable-pip-version-check", "--target", str(site), str(source)],
         cwd=work, env=os.environ)

    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "LFR_PLUGINS", "LFR_DISABLE_PLUGINS")}
    env.update(PYTHONPATH=str(site), LFR_PLUGINS="example")
    probe = _run([sys.executable, "-c", "import lfr_framework; print(lfr_framework.__file__)"],
                 cwd=work, env=env)
    if probe.stdout.strip() == "None":
        pytest.fail("outside the repository lfr_framework imports as a namespace package (a "
                    "stale editable install made before lfr_framework/__init__.py existed); "
                    f"run: {sys.executable} -m pip install --no-deps -e {ROOT}")
    return {"site": site, "cwd": work, "env": env}


def test_pip_installed_the_distribution(installed: dict[str, Any]) -> None:
    site: Path = installed["site"]
    assert (site / "lfr_example_plugin" / "plugin.py").is_file()
    entry_points = (site / "lfr_example_plugin-0.1.0.dist-info" / "entry_points.txt").read_text()
    assert "[lfr]" in entry_points
    assert "example = lfr_example_plugin.plugin" in entry_points
    assert not (FIXTURE / "build").exists(), "the build left artefacts in the repository"


def test_plugin_host_discovers_the_installed_plugin(installed: dict[str, Any]) -> None:
    script = textwrap.dedent("""
        import json
        import lfr_example_plugin
        from lfr_framework.plugins import PluginHost

        host = PluginHost()
        print(json.dumps({
            "plugins": [
                {"name": p.name, "distribution": p.distribution, "version": p.version,
                 "registers": p.registers}
                for p in host.describe()
            ],
            "failures": [f.message for f in host.failures],
            "module": lfr_example_plugin.__file__,
        }))
    """)
    result = _run([sys.executable, "-c", script], cwd=installed["cwd"], env=installed["env"])
    report = json.loads(result.stdout)

    assert report["failures"] == []
    assert report["plugins"] == [{
        "name": "example", "distribution": "lfr-example-plugin", "version": "0.1.0",
        "registers": {"camera_sources": ["example-still"], "alert_sinks": ["example-counter"]},
    }]
    assert Path(report["module"]).is_relative_to(installed["site"])


def test_the_installed_components_work(installed: dict[str, Any], real_photos: dict[str, Path],
                                       tmp_path: Path) -> None:
    alerts_file = tmp_path / "alerts.txt"
    script = textwrap.dedent("""
        import json, sys
        from datetime import datetime, timezone
        import cv2
        from lfr_framework.errors import CameraError, ConfigurationError
        from lfr_framework.plugins import PluginHost
        from lfr_framework.types import Alert

        photo, alerts_file, missing = sys.argv[1:4]
        host = PluginHost()
        out = {}

        camera = host.camera_sources.create(
            "example-still", {"count": 3, "fps": 10}, "cameras[0].options",
            camera_id="gate-1", uri=photo)
        camera.open()
        frames = []
        while (frame := camera.read()) is not None:
            frames.append(frame)
        camera.close()
        expected = cv2.imread(photo)
        out["frames"] = [f.index for f in frames]
        out["same_image"] = all((f.image == expected).all() for f in frames)
        out["camera_ids"] = sorted({f.camera_id for f in frames})
        out["seconds_apart"] = (frames[1].timestamp - frames[0].timestamp).total_seconds()

        now = datetime.now(timezone.utc)
        sink = host.alert_sinks.create(
            "example-counter", {"path": alerts_file}, "sinks[0].options")
        sink.emit(Alert("a-1", "d-1", "gate-1", 1, "e-9", 0.7, 0.6, "m", now, now, now,
                        probe_crop=expected, probe_template=None))
        sink.close()

        errors = []
        for kind, name, options, fixed in [
            ("alert_sinks", "example-counter", {"pth": "x"}, {}),
            ("camera_sources", "example-still", {"count": 0}, {"camera_id": "c", "uri": photo}),
        ]:
            try:
                getattr(host, kind).create(name, options, "where", **fixed)
            except ConfigurationError as exc:
                errors.append(str(exc))
        broken = host.camera_sources.create(
            "example-still", {}, "cameras[1].options", camera_id="gate-2", uri=missing)
        try:
            broken.open()
        except CameraError as exc:
            errors.append(str(exc))
        out["errors"] = errors
        print(json.dumps(out))
    """)
    missing = tmp_path / "no-such-photo.jpg"
    result = _run(
        [sys.executable, "-c", script, str(real_photos["obama"]), str(alerts_file), str(missing)],
        cwd=installed["cwd"], env=installed["env"])
    out = json.loads(result.stdout)

    assert out["frames"] == [0, 1, 2]
    assert out["same_image"] is True
    assert out["camera_ids"] == ["gate-1"]
    assert out["seconds_apart"] == pytest.approx(0.1)
    assert alerts_file.read_text(encoding="utf-8") == "ALERT e-9 gate-1\n"
    sink_error, count_error, open_error = out["errors"]
    assert "'example-counter'" in sink_error
    assert "where.pth" in sink_error
    assert "where.path" in sink_error
    assert "where.count" in count_error
    assert "'gate-2'" in open_error
    assert str(missing) in open_error


def test_lfr_plugins_list_json_shows_the_plugin(installed: dict[str, Any]) -> None:
    # Depends on the CLI command `lfr plugins list --json` (lfr_framework/cli).
    result = _run([sys.executable, "-m", "lfr_framework.cli", "plugins", "list", "--json"],
                  cwd=installed["cwd"], env=installed["env"])
    listed = json.loads(result.stdout)

    assert isinstance(listed, list)
    [example] = [p for p in listed if p["name"] == "example"]
    assert example["distribution"] == "lfr-example-plugin"
    assert example["version"] == "0.1.0"
    assert {k: sorted(v) for k, v in example["registers"].items()} == EXPECTED_REGISTERS
    assert [p["name"] for p in listed] == ["example"]  # LFR_PLUGINS keeps the others out


def test_the_pipeline_uses_the_installed_plugin(
    installed: dict[str, Any], real_photos: dict[str, Path], model_store: ModelStore
) -> None:
    """`lfr run` with the third-party camera and sink next to the default models."""
    work: Path = installed["cwd"]
    watchlist = work / "watchlist" / "WL-obama"
    watchlist.mkdir(parents=True, exist_ok=True)
    shutil.copy2(real_photos["obama"], watchlist / "obama.jpg")
    counter = work / "counter.txt"
    (work / "deployment.toml").write_text(f"""
[deployment]
id = "third-party"

[[cameras]]
id = "still-cam"
source = "example-still"
uri = "{real_photos['obama2']}"
options = {{ count = 4 }}

[[sinks]]
name = "example-counter"
options = {{ path = "{counter}" }}

[watchlist]
directory = "watchlist"

[pipeline]
realtime = false
""", encoding="utf-8")
    env = {**installed["env"], "LFR_PLUGINS": "example,mediapipe,arcface_onnx,usearch",
           "LFR_HOME": str(model_store.root.parent)}
    result = _run([sys.executable, "-m", "lfr_framework.cli", "run", "--config",
                   str(work / "deployment.toml")], cwd=work, env=env)
    assert "entry=WL-obama" in result.stdout
    assert counter.read_text().splitlines() == ["ALERT WL-obama still-cam"]
