"""The field study: what a deployment does on held-out real photos and street scenes, at
the product's own operating point, for the previous defaults and the current ones.

``python -m benchmarks.accuracy.run [--fast]`` (``make accuracy``) builds the held-out sets
(:mod:`benchmarks.accuracy.sets`), makes a calibration from the study's calibration half
with the product's own ``build_calibration``, evaluates every set with ``lfr evaluate``'s
code at the threshold that calibration gives for the gallery's size (chosen before any probe
is searched), runs a 1080p street crowd through the whole pipeline scored pass by pass by
position, and writes ``benchmarks/results/accuracy-<mode>.json``. The figures go into
docs/evaluation.md.
"""

from __future__ import annotations

import argparse
import importlib
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.accuracy.scenes import scene_study
from benchmarks.accuracy.sets import StudySets, build_sets
from benchmarks.lfr_system import DEFAULT_PLUGIN_MODULES
from benchmarks.machine import describe, machine_info
from lfr_framework.evaluation.calibration import CalibrationSettings, build_calibration
from lfr_framework.evaluation.identification import run_evaluation
from lfr_framework.evaluation.metrics import summarise
from lfr_framework.pipeline.quality import QualityGate, QualitySettings
from lfr_framework.plugins import PluginHost
from lfr_framework.thresholds.calibration import Calibration
from lfr_framework.thresholds.policy import ThresholdPolicy, operating_point

RESULTS = Path(__file__).resolve().parents[1] / "results"
#: (detector options, quality gate) of each system compared: the defaults before the field
#: study (whole frame, coarse keypoints, 40 px gate), tiling alone, and the defaults now.
VARIANTS: dict[str, tuple[dict[str, Any], QualitySettings]] = {
    "previous defaults (whole frame, no refinement, 40 px gate)":
        ({"tiles": 1, "refine": False}, QualitySettings(min_face_px=40, min_inter_eye_px=12)),
    "tiles 2, no refinement": ({"tiles": 2, "refine": False}, QualitySettings()),
    "defaults (auto tiles, refinement)": ({}, QualitySettings()),
}


def default_host() -> PluginHost:
    """The default plugins, registered explicitly."""
    host = PluginHost(load_entry_points=False)
    for name, module in DEFAULT_PLUGIN_MODULES.items():
        host.register_plugin(importlib.import_module(module), name=name)
    return host


def study_calibration(host: PluginHost, sets: StudySets, resamples: int) -> Calibration:
    """The calibration a force would make of the study's calibration half."""
    store = host.model_store()
    det = host.detectors.create("mediapipe", {}, "detector", models=store)
    rec = host.recognisers.create("arcface_onnx", {}, "recogniser", models=store)
    return build_calibration([sets.calibration], det, rec,
                             model_sha256=store.spec(rec.model_id).sha256,
                             recipe={"detector": "mediapipe", "recogniser": "arcface_onnx"},
                             versions={}, settings=CalibrationSettings(resamples=resamples))


def evaluate_sets(host: PluginHost, sets: StudySets, calibration: Calibration
                  ) -> dict[str, Any]:
    """Every set with every variant, at the operating point the calibration gives."""
    store = host.model_store()
    rec = host.recognisers.create("arcface_onnx", {}, "recogniser", models=store)
    out: dict[str, Any] = {}
    for variant, (options, quality) in VARIANTS.items():
        det = host.detectors.create("mediapipe", options, "detector", models=store)
        rows: dict[str, Any] = {}
        for name, probes in sets.probes.items():
            matcher = host.matchers.create("usearch", {}, "matcher", dimension=rec.dimension)
            started = time.perf_counter()
            try:
                result = run_evaluation(sets.gallery, probes, det, rec, matcher,
                                        QualityGate(quality))
            finally:
                matcher.destroy()
            point = operating_point(ThresholdPolicy(), calibration, model_id=rec.model_id,
                                    entries=result.gallery_entries,
                                    templates=result.gallery_templates)
            summary = summarise(result, point)
            rows[name] = {key: summary[key] for key in ("operating_point", "probes", "searches",
                                                        "rank1_accuracy", "warnings",
                                                        "diagnostics")}
            rows[name]["seconds"] = round(time.perf_counter() - started, 1)
        out[variant] = rows
    return out


def table(results: dict[str, Any]) -> list[str]:
    """The markdown rows of docs/evaluation.md's held-out table."""
    lines = ["| set | system | threshold | TPIR (95% CI) | FPIR (95% CI) | mated / searches |",
             "|---|---|---|---|---|---|"]
    for variant, rows in results.items():
        for name, row in rows.items():
            op = row["operating_point"]
            tpir = "—" if op["tpir"] is None else \
                f"{op['tpir']:.3f} ({op['tpir_ci95'][0]:.2f}–{op['tpir_ci95'][1]:.2f})"
            fpir = "—" if op["fpir"] is None else \
                f"{op['fpir']:.3f} ({op['fpir_ci95'][0]:.3f}–{op['fpir_ci95'][1]:.3f})"
            lines.append(f"| {name} | {variant} | {op['threshold']:.4f} | {tpir} | {fpir} | "
                         f"{op['mated_probes']} / {op['nonmated_searches']} |")
    return lines


def main() -> None:
    """Run the study and write its JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fast", action="store_true", help="fewer resamples, a shorter scene")
    parser.add_argument("--work", type=Path, default=None, help="keep the sets here")
    args = parser.parse_args()
    mode = "fast" if args.fast else "full"
    host = default_host()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="lfr-study-") as tmp:
        work = args.work or Path(tmp)
        det = host.detectors.create("mediapipe", {}, "detector", models=host.model_store())
        sets = build_sets(work / "sets", det)
        calibration = study_calibration(host, sets, 100 if args.fast else 300)
        photos = evaluate_sets(host, sets, calibration)
        scenes = scene_study(host, sets, calibration, work / "scenes", fast=args.fast)
    out = {"machine": machine_info(), "mode": mode,
           "seconds": round(time.perf_counter() - started, 1),
           "study_calibration": {"identities": calibration.identities,
                                 "pairs": calibration.pairs},
           "photos": photos, "scenes": scenes}
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"accuracy-{mode}.json"
    path.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(describe(out["machine"]))
    print("\n".join(table(photos)))
    for row in scenes["runs"]:
        print(json.dumps(row))
    print(f"wrote {path} in {out['seconds']} s")


if __name__ == "__main__":
    main()
