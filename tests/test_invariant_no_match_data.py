"""Invariant 2: embeddings and crops of faces that do not match are never written anywhere.

The pipeline runs over passers-by who are not on the watchlist, with every log at DEBUG
going to a file and a JSON-lines alert sink, in a fresh data directory. A recorder at the
recogniser plugin's boundary keeps copies of every crop and template the pipeline
computed; afterwards every file the run wrote is searched for their bytes.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lfr_framework.config import parse_config
from lfr_framework.deployment import build_deployment
from lfr_framework.evaluation.scenes import Pass
from lfr_framework.interfaces import Recogniser
from lfr_framework.models.store import ModelStore
from lfr_framework.types import Detection, Image, Templates
from tests.conftest import make_default_host
from tests.pipeline_helpers import ComponentsPlugin, MemoryCamera, scene_frames

PASSERS_BY = [
    Pass(identity="grace_hopper", photo="grace_hopper", start_s=0.0, duration_s=2.5,
         face_height_px=130, y_frac=0.35),
    Pass(identity="eileen_collins", photo="astronaut", start_s=0.5, duration_s=2.5,
         face_height_px=120, y_frac=0.72, direction=-1),
    Pass(identity="obama", photo="obama2", start_s=1.0, duration_s=2.0,
         face_height_px=140, y_frac=0.35, direction=-1),
]


class RecordingRecogniser:
    """Delegates to the real recogniser plugin and keeps copies of what went through it."""

    def __init__(self, inner: Recogniser) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dimension = inner.dimension
        self.default_threshold = inner.default_threshold
        self.crops: list[Image] = []
        self.templates: list[Templates] = []

    def align(self, image: Image, detection: Detection) -> Image:
        crop = self.inner.align(image, detection)
        self.crops.append(crop.copy())
        return crop

    def embed(self, crops: Sequence[Image]) -> Templates:
        out = self.inner.embed(crops)
        self.templates.extend(row.copy() for row in out)
        return out


def needles(templates: list[Templates], crops: list[Image]) -> Iterator[tuple[str, bytes]]:
    """Byte patterns that would betray a template or a crop in a file."""
    for i, t in enumerate(templates):
        t32 = np.asarray(t, dtype=np.float32)
        yield f"template {i} float32", t32.tobytes()[:64]
        yield f"template {i} float64", t32.astype(np.float64).tobytes()[:64]
        yield f"template {i} text", ", ".join(repr(float(v)) for v in t32[:3]).encode()
        yield f"template {i} json", ",".join(repr(float(v)) for v in t32[:3]).encode()
    for i, c in enumerate(crops):
        row = c[c.shape[0] // 2]
        yield f"crop {i} middle row", row.tobytes()[:96]


def written_files(roots: Sequence[Path], since: float) -> list[Path]:
    files: list[Path] = []
    for root in roots:
        if root.is_dir():
            files.extend(p for p in root.rglob("*")
                         if p.is_file() and p.stat().st_mtime >= since - 1)
    return files


def find_leaks(files: list[Path], patterns: list[tuple[str, bytes]]) -> list[str]:
    leaks = []
    for path in files:
        data = path.read_bytes()
        leaks.extend(f"{name} in {path}" for name, pattern in patterns if pattern in data)
    return leaks


@pytest.fixture
def run_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "lfr-home"
    home.mkdir()
    monkeypatch.setenv("LFR_HOME", str(home))
    return tmp_path


def run_passers_by(run_dir: Path, real_photos: dict[str, Path],
                   model_store: ModelStore) -> tuple[RecordingRecogniser, Any]:
    watchlist = run_dir / "watchlist" / "WL-biden"
    watchlist.mkdir(parents=True)
    shutil.copy2(real_photos["biden"], watchlist / "biden.jpg")
    cam = MemoryCamera("cam", scene_frames(real_photos, PASSERS_BY, duration_s=3.0))
    host = make_default_host()
    host.register_plugin(ComponentsPlugin({"cam": cam}), name="test-components")
    config = parse_config({
        "deployment": {"id": "inv2"},
        "cameras": [{"id": "cam", "source": "memory", "uri": "cam"}],
        "watchlist": {"directory": str(run_dir / "watchlist")},
        "sinks": [{"name": "jsonl", "options": {"path": str(run_dir / "out" / "alerts.jsonl")}}],
        "pipeline": {"realtime": False},
        # Recognise often, so there are many non-matching templates to look for.
        "recognition": {"recheck_interval_s": 0.2},
    })
    built = build_deployment(config, host, model_store)
    recorder = RecordingRecogniser(built.components.recogniser)
    built.components.recogniser = recorder
    counters = built.pipeline.run(timeout=120)
    return recorder, counters


@pytest.fixture
def debug_log_file(run_dir: Path) -> Iterator[Path]:
    path = run_dir / "logs" / "lfr.log"
    path.parent.mkdir()
    handler = logging.FileHandler(path)
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield path
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()


def test_no_match_templates_and_crops_are_never_written(
    run_dir: Path, real_photos: dict[str, Path], model_store: ModelStore, debug_log_file: Path
) -> None:
    started = time.time()
    recorder, counters = run_passers_by(run_dir, real_photos, model_store)
    logging.getLogger().handlers[-1].flush()
    assert counters.alerts == 0
    assert counters.faces_discarded == counters.recognitions >= 6
    assert len(recorder.templates) == counters.recognitions
    files = written_files([run_dir], started)
    assert debug_log_file in files and debug_log_file.stat().st_size > 0
    assert (run_dir / "out" / "alerts.jsonl").read_bytes() == b""
    patterns = list(needles(recorder.templates, recorder.crops))
    assert find_leaks(files, patterns) == []


def test_the_leak_search_finds_a_template_that_was_written(
    run_dir: Path, real_photos: dict[str, Path], model_store: ModelStore, debug_log_file: Path
) -> None:
    """Control: the search above is able to fail."""
    started = time.time()
    recorder, _ = run_passers_by(run_dir, real_photos, model_store)
    leaked = list(map(float, recorder.templates[0][:8]))
    logging.getLogger("leaky.plugin").debug("template %s", leaked)
    (run_dir / "out" / "dump.bin").write_bytes(b"xx" + recorder.crops[1].tobytes())
    logging.getLogger().handlers[-1].flush()
    leaks = find_leaks(written_files([run_dir], started),
                       list(needles(recorder.templates, recorder.crops)))
    assert any(leak.startswith("template 0 text") for leak in leaks)
    assert any(leak.startswith("crop 1 middle row") for leak in leaks)
