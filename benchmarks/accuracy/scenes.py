"""The street-crowd part of the field study: a 1080p crowd at street sizes through the whole
pipeline, scored pass by pass by position, for the previous defaults and the current ones."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from benchmarks.accuracy.sets import StudySets
from lfr_framework.config import parse_config
from lfr_framework.evaluation.scene_runner import run_scene, summary
from lfr_framework.evaluation.scenes import StreetCrowd, render_scene, street_crowd_spec
from lfr_framework.imaging import image_files
from lfr_framework.plugins import PluginHost
from lfr_framework.sample_photos import fetch_photos
from lfr_framework.thresholds.calibration import Calibration

#: Detector and quality options of the systems compared on the scene.
SCENE_VARIANTS: dict[str, dict[str, Any]] = {
    "previous defaults": {"detector": {"tiles": 1, "refine": False},
                          "quality": {"min_face_px": 40, "min_inter_eye_px": 12}},
    "defaults": {"detector": {}, "quality": {}},
}
WATCHLISTED_PEOPLE = 6


def scene_study(host: PluginHost, sets: StudySets, calibration: Calibration, work: Path,
                fast: bool) -> dict[str, Any]:
    """Render the crowd once; run it with each variant at the study calibration's threshold."""
    work.mkdir(parents=True, exist_ok=True)
    cal_path = work / "study-calibration.json"
    calibration.save(cal_path)
    gallery = sorted(p for p in sets.gallery.iterdir() if p.is_dir() and p.name != "obama")
    chosen = gallery[:WATCHLISTED_PEOPLE]
    walkers = {p.name: image_files(p)[0] for p in gallery}
    passers = sorted(p for p in sets.probes["clean"].iterdir() if p.name.startswith("passer-"))
    walkers.update({p.name: image_files(p)[0] for p in passers})
    pinned = fetch_photos()
    walkers.update({"obama2": pinned["obama2"], "obama3": pinned["obama3"]})
    identities = {"obama2": "obama", "obama3": "obama"}
    watchlist = work / "watchlist"
    if watchlist.exists():
        shutil.rmtree(watchlist)
    for person in [*chosen, sets.gallery / "obama"]:
        shutil.copytree(person, watchlist / person.name)
    look = StreetCrowd()
    duration = 8.0 if fast else 16.0
    crowd = [p.name for p in passers] + [p.name for p in gallery[WATCHLISTED_PEOPLE:]]
    spec = street_crowd_spec(["obama2", "obama3", *(p.name for p in chosen)], crowd,
                             watchlisted_passes=8 if fast else 16, duration_s=duration,
                             identities=identities, look=look, seed=5)
    video = work / "street-1080p.mp4"
    truth = render_scene(spec, walkers, video)
    entries = sorted(p.name for p in watchlist.iterdir())
    runs = []
    for name, variant in SCENE_VARIANTS.items():
        base = parse_config({
            "deployment": {"id": "study", "calibration": str(cal_path)},
            "cameras": [{"id": "scene", "source": "video", "uri": str(video)}],
            "watchlist": {"directory": str(watchlist)},
            "detector": {"name": "mediapipe", "options": variant["detector"]},
            "quality": variant["quality"]}, "study")
        started = time.perf_counter()
        run = run_scene(video, truth, watchlist, host, host.model_store(), base=base)
        seconds = time.perf_counter() - started
        result = summary(truth, run, entries)
        result.pop("passes")
        result["system"] = name
        result["frames_per_second_of_the_run"] = round(truth.frame_count / seconds, 2)
        runs.append(result)
    return {"scene": {"width": look.width, "height": look.height, "duration_s": duration,
                      "faces_in_view": look.faces_in_view,
                      "face_px": [look.min_face_px, look.max_face_px],
                      "passes": len(spec.passes),
                      "watchlisted_people": WATCHLISTED_PEOPLE + 1},
            "runs": runs}
