"""Accuracy benchmark: photos under CCTV-like degradations, and crowd scenes pass by pass.

``python -m benchmarks.accuracy.run [--fast]`` writes ``benchmarks/results/accuracy-<mode>.json``
and PNG charts beside it, and prints a summary. The figures go into docs/evaluation.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path
from typing import Any

from benchmarks.accuracy import charts, photos, scenes
from benchmarks.machine import describe, machine_info
from lfr_framework.evaluation.identification import DEFAULT_THRESHOLDS
from lfr_framework.plugins import PluginHost
from lfr_framework.sample_photos import fetch_photos

RESULTS = Path(__file__).resolve().parents[1] / "results"
PHOTO_DETECTORS = {"whole frame (default)": {}, "tiles 2": {"tiles": 2}}


def photo_study(host: PluginHost, placements: int) -> dict[str, Any]:
    """The photo study with the default detector and with tiling."""
    store = host.model_store()
    rec = host.recognisers.create("arcface_onnx", {}, "recogniser", models=store)
    thresholds = sorted({*DEFAULT_THRESHOLDS, rec.default_threshold})
    out: dict[str, Any] = {"model_id": rec.model_id, "default_threshold": rec.default_threshold}
    for name, options in PHOTO_DETECTORS.items():
        det = host.detectors.create("mediapipe", options, "detector", models=store)
        native = photos.natives(fetch_photos(), det, rec)
        matcher = host.matchers.create("usearch", {}, "matcher", dimension=rec.dimension)
        try:
            out[name] = photos.study(native, det, rec, matcher, thresholds, placements)
        finally:
            matcher.destroy()
    return out


def margin(study: dict[str, Any], threshold: float) -> dict[str, Any]:
    """Impostor scores over every condition against the threshold: the margin that is left."""
    impostors = [s for row in study["conditions"] for s in row["impostor_scores"]]
    mated = [s for row in study["conditions"] for s in row["mated_scores"]]
    return {"nonmated_pairs": len(impostors), "max_nonmated": max(impostors),
            "nonmated_at_or_above_threshold": sum(1 for s in impostors if s >= threshold),
            "mated_pairs": len(mated), "min_mated": min(mated),
            "mated_below_threshold": sum(1 for s in mated if s < threshold)}


def scene_study(host: PluginHost, fast: bool, work: Path) -> dict[str, Any]:
    """Degraded scenes with the default detector; detector settings on the clean scene."""
    store = host.model_store()
    spec = (scenes.scene_spec(20.0, 10, 15) if fast else scenes.scene_spec(60.0, 30, 45))
    watchlist = scenes.write_watchlist(work / "watchlist")
    default = scenes.DETECTORS["full-range-sparse, whole frame (default)"]
    tiled = scenes.DETECTORS["full-range-sparse, tiles 2"]
    out: dict[str, Any] = {"scene": {"duration_s": spec.duration_s, "width": spec.width,
                                     "height": spec.height, "fps": spec.fps,
                                     "passes": len(spec.passes)},
                           "degradations": {}, "detectors": {}, "thresholds": {}}
    videos = {}
    for label, change in scenes.DEGRADATIONS.items():
        videos[label] = scenes.render(dataclasses.replace(spec, **change), work,
                                      label.replace(" ", "_"))
        row = {"default detector": scenes.evaluate(videos[label], watchlist, host, store,
                                                   default)}
        if not fast or label != "clean":
            row["tiles 2"] = scenes.evaluate(videos[label], watchlist, host, store, tiled)
        out["degradations"][label] = row
    for name, options in scenes.DETECTORS.items():
        out["detectors"][name] = (out["degradations"]["clean"]["default detector"]
                                  if options == default else
                                  scenes.evaluate(videos["clean"], watchlist, host, store,
                                                  options))
    for threshold in (0.25, 0.3, 0.45, 0.55) if not fast else (0.3, 0.45):
        out["thresholds"][str(threshold)] = scenes.evaluate(videos["clean"], watchlist, host,
                                                            store, tiled, threshold)
    return out


def brief(run: dict[str, Any]) -> str:
    """One line of a scene run."""
    lat = run["time_to_alert_s"]
    p50 = "-" if lat["p50"] is None else f"{lat['p50']:.2f}"
    p95 = "-" if lat["p95"] is None else f"{lat['p95']:.2f}"
    return (f"TPIR {run['alerted_passes']}/{run['watchlisted_passes']}, false {run['false_alerts']}"
            f" ({run['false_alerts_per_1000_faces'] or 0:.1f}/1000), seen {run['faces_seen']}/"
            f"{run['faces_in_truth']}, latency p50 {p50} p95 {p95} s, {run['fps']:.0f} fps")


def main() -> None:
    """Run the accuracy benchmark and write JSON and charts."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fast", action="store_true", help="fewer placements, a shorter scene")
    args = parser.parse_args()
    mode = "fast" if args.fast else "full"
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    info = machine_info()
    host = PluginHost()
    study = photo_study(host, placements=3 if args.fast else 8)
    study["wall_s"] = time.perf_counter() - started
    threshold = float(study["default_threshold"])
    for name in PHOTO_DETECTORS:
        study[name]["margin"] = margin(study[name], threshold)
    scene = scene_study(host, args.fast, RESULTS / "accuracy-scenes")
    out = {"machine": info, "mode": mode, "command": "python -m benchmarks.accuracy.run"
           + (" --fast" if args.fast else ""), "photos": study, "scenes": scene,
           "wall_s": time.perf_counter() - started}
    path = RESULTS / f"accuracy-{mode}.json"
    path.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    title = f"{describe(info)}, {info['date_utc'][:10]}"
    charts.photo_scores(study["tiles 2"], threshold, RESULTS / f"accuracy-photos-{mode}.png",
                        f"SFace scores, detector tiles 2 — {title}")
    charts.detector_bars(scene["detectors"], RESULTS / f"accuracy-detectors-{mode}.png",
                         f"clean crowd scene, threshold {threshold} — {title}")
    print(f"{describe(info)} — {mode}, {out['wall_s']:.0f} s → {path}")
    for name in PHOTO_DETECTORS:
        print(f"\nphotos, detector {name} (threshold {threshold}):")
        for row in study[name]["conditions"]:
            at = next(r for r in row["evaluation"]["thresholds"] if r["threshold"] == threshold)
            print(f"  {row['condition']:30s} detected {row['detected']:2d}/{row['faces']:2d} "
                  f"gate-pass {row['gate_pass_rate']:.2f} TPIR {at['tpir']} FPIR {at['fpir']}")
        print(f"  margin: {study[name]['margin']}")
    for label, row in scene["degradations"].items():
        for det, run in row.items():
            print(f"scene {label:15s} {det:16s} {brief(run)}")
    for name, run in scene["detectors"].items():
        print(f"detector {name:42s} {brief(run)}")
    for t, run in scene["thresholds"].items():
        print(f"threshold {t:5s} (tiles 2) {brief(run)}")


if __name__ == "__main__":
    main()
