"""Pass-level evaluation on crowd scenes: volunteers at several sizes among passers-by.

The watchlist holds ``obama`` (enrolled from obama.jpg) and ``biden`` (enrolled, never
passes: an entry that can only raise false alerts). The volunteers are the other two photos
of Obama (obama2, obama3); the passers-by are Grace Hopper and Eileen Collins, the only
other identities the pinned photos have. Each run goes through
``lfr_framework.evaluation.scene_runner``, the same code as ``lfr evaluate-scene``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from pathlib import Path
from typing import Any

from lfr_framework.config import DeploymentConfig, parse_config
from lfr_framework.evaluation.scene_runner import load_truth, run_scene, summary, watchlist_entries
from lfr_framework.evaluation.scenes import SceneSpec, crowd_spec, render_scene, truth_path
from lfr_framework.models.store import ModelStore
from lfr_framework.plugins import PluginHost
from lfr_framework.sample_photos import fetch_photos

#: Face-height factors applied to crowd_spec's rows (about 160–216 px at 720p), cycled
#: over the volunteers' passes so every size band gets some.
SIZE_FACTORS = (0.22, 0.3, 0.42, 0.6, 0.85)
#: Face-height bands (px) in which pass-level TPIR is reported.
SIZE_BANDS = ((0, 45), (45, 65), (65, 90), (90, 130), (130, 10_000))
DEGRADATIONS: dict[str, dict[str, Any]] = {
    "clean": {},
    "defocus σ1.5": {"blur": 1.5},
    "motion 9 px": {"motion_blur_px": 9},
    "JPEG q15": {"jpeg_quality": 15},
    "low light 0.35": {"brightness": 0.35},
}
DETECTORS: dict[str, dict[str, Any]] = {
    "full-range-sparse, whole frame (default)": {"model": "blazeface-full-range-sparse"},
    "full-range-sparse, tiles 2": {"model": "blazeface-full-range-sparse", "tiles": 2},
    "full-range, whole frame": {"model": "blazeface-full-range"},
    "full-range, tiles 2": {"model": "blazeface-full-range", "tiles": 2},
    "short-range, whole frame": {"model": "blazeface-short-range"},
    "short-range, tiles 2": {"model": "blazeface-short-range", "tiles": 2},
}


def scene_spec(duration_s: float, volunteers: int, crowd: int, seed: int = 21) -> SceneSpec:
    """A 720p street scene with about 4 faces in view; faces resized to span 35–180 px."""
    base = crowd_spec(volunteers, crowd, 4, duration_s, seed=seed,
                      crowd=("grace_hopper", "astronaut"))
    passes, k = [], 0
    for i, p in enumerate(base.passes):
        if p.identity == "obama":
            factor, k = SIZE_FACTORS[k % len(SIZE_FACTORS)], k + 1
        else:
            factor = SIZE_FACTORS[(i * 7 + seed) % len(SIZE_FACTORS)]
        passes.append(dataclasses.replace(p, face_height_px=round(p.face_height_px * factor, 1)))
    return dataclasses.replace(base, passes=passes)


def render(spec: SceneSpec, directory: Path, label: str) -> Path:
    """Render ``spec`` unless an identical render is cached; return the video."""
    digest = hashlib.sha256(repr(spec).encode()).hexdigest()[:12]
    directory.mkdir(parents=True, exist_ok=True)
    video = directory / f"{label}-{digest}.mp4"
    if not (video.is_file() and truth_path(video).is_file()):
        render_scene(spec, fetch_photos(), video)
    return video


def write_watchlist(directory: Path) -> Path:
    """``obama`` and ``biden`` entries from their gallery photos."""
    photos = fetch_photos()
    for entry in ("obama", "biden"):
        folder = directory / entry
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / photos[entry].name
        if not target.exists():
            target.write_bytes(photos[entry].read_bytes())
    return directory


def detector_config(options: dict[str, Any]) -> DeploymentConfig:
    """A base deployment that differs from the defaults only in its detector options."""
    return parse_config({"deployment": {"id": "accuracy"}, "detector": {"name": "mediapipe",
                         "options": options},
                         "cameras": [{"id": "x", "source": "video", "uri": "x"}],
                         "watchlist": {"directory": "."}}, "accuracy benchmark")


def by_size(passes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pass-level TPIR of the volunteers' passes in each face-height band."""
    out = []
    for lo, hi in SIZE_BANDS:
        band = [p for p in passes if p["watchlisted"] and lo <= p["face_height_px"] < hi]
        hit = sum(1 for p in band if p["alerted"])
        out.append({"band_px": [lo, hi], "passes": len(band), "alerted": hit,
                    "pass_tpir": hit / len(band) if band else None})
    return out


def evaluate(video: Path, watchlist: Path, host: PluginHost, store: ModelStore,
             detector: dict[str, Any], threshold: float | None = None) -> dict[str, Any]:
    """One pipeline run: the ``lfr evaluate-scene`` JSON plus size bands and wall time."""
    truth = load_truth(video)
    started = time.perf_counter()
    run = run_scene(video, truth, watchlist, host, store, base=detector_config(detector),
                    threshold=threshold)
    wall = time.perf_counter() - started
    out = summary(truth, run, watchlist_entries(watchlist))
    out["wall_s"] = wall
    out["fps"] = truth.frame_count / wall
    out["by_size"] = by_size(out["passes"])
    return out
