"""Recogniser runtimes on the same aligned crops: speed per face and what each does to scores.

Crops: the pinned real photos' faces (clean) and copies degraded as in the accuracy study
(small, blurred, JPEG, dark, pasted into a street frame), found by the default detector with
``tiles = 2`` and aligned by the plugin: the faces a camera hands the recogniser. Every
variant is the plugin's own :class:`ArcFaceOnnxRecogniser`, so preprocessing and
normalisation are included:

- ``ort-published``: ONNX Runtime on the graph with PRelu as published (the default before
  this benchmark; the reference for scores and speed),
- ``ort-prelu-rewrite``: ONNX Runtime with PRelu rewritten as ``Relu(x) + s·Min(x, 0)``,
- ``opencv-dnn``: OpenCV's DNN engine on the same folded graph (PRelu kept: OpenCV has its
  own fast PReLU, and the rewrite made it slower),
- ``ort-int8-pc``: a per-channel int8 graph built at load (``benchmarks/recogniser_int8``),
  calibrated on every other crop; its scores are judged on the crops it was not
  calibrated on.

Times: one call per crop (batch 1, how a track's best shot is embedded) and batches of 5,
variants interleaved call by call in rotated order, ``repeats`` blocks; both runtimes use
their default thread pools (2 threads on 2 cores). Scores: every pair of crops, against the
reference: the largest change of a pair's cosine, and how many pairs change side of the
threshold. A variant has *equal scores* when no pair changes by more than
:data:`SCORE_BAND` and none changes side.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from lfr_framework.types import Image

REFERENCE = "ort-published"
#: The largest change of a pair's score still called "unchanged": half the narrowest spread
#: between the tail fits of SFace's threshold for one FPIR (0.53-0.55 at 1,000 entries,
#: issue 8) until the shipped calibration gives its own band.
SCORE_BAND = 0.01
#: Recogniser options of each variant (the int8 one also gets its graph file).
VARIANTS: dict[str, dict[str, Any]] = {
    REFERENCE: {"runtime": "onnxruntime", "rewrite_prelu": False},
    "ort-prelu-rewrite": {"runtime": "onnxruntime"},
    "opencv-dnn": {"runtime": "opencv"},
    "ort-int8-pc": {"runtime": "onnxruntime", "fold_weights": False, "rewrite_prelu": False},
}


def crop_set(placements: int = 2) -> tuple[list[Image], list[str], list[str]]:
    """Aligned crops of the pinned photos, clean and degraded: (crops, identities, kinds)."""
    from benchmarks import degraded_photos as photos
    from benchmarks.lfr_system import default_host
    from lfr_framework.sample_photos import fetch_photos

    host = default_host()
    store = host.model_store()
    for model_id in ("blazeface-full-range-sparse", "sface-2021dec-int8bq"):
        store.fetch(model_id)
    rec = host.recognisers.create("arcface_onnx", {}, "recogniser", models=store)
    det = host.detectors.create("mediapipe", {"tiles": 2}, "detector", models=store)
    native = photos.natives(fetch_photos(), det, rec)
    crops = [rec.align(n.image, n.face) for n in native.values()]
    identities = [n.identity for n in native.values()]
    kinds = ["clean"] * len(crops)
    for cond in photos.CONDITIONS:
        if cond.inter_eye_px is None:
            continue
        for name, item in native.items():
            for k in range(placements):
                image, expected = photos.make_probe(item, cond, 1000 * k + len(name))
                face = photos.largest([d for d in det.detect(image)
                                       if photos.hits(d, expected)])
                if face is not None:
                    crops.append(rec.align(image, face))
                    identities.append(item.identity)
                    kinds.append(cond.family)
    close = getattr(det, "close", None)
    if callable(close):
        close()
    return crops, identities, kinds


def build_variants(crops: list[Image], work: Path,
                   say: Callable[[str], None]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every variant, loaded; and what the int8 build did."""
    from lfr_arcface_onnx.models import DEFAULT_MODEL_ID, RECOGNISER_MODELS
    from lfr_arcface_onnx.recogniser import ArcFaceOnnxRecogniser

    from benchmarks.lfr_system import default_host
    from benchmarks.recogniser_int8 import build_int8

    store = default_host().model_store()
    spec = RECOGNISER_MODELS[DEFAULT_MODEL_ID]
    path = store.path(DEFAULT_MODEL_ID)
    built: dict[str, Any] = {}
    load_s: dict[str, float] = {}
    for name, options in VARIANTS.items():
        start = time.perf_counter()
        if name == "ort-int8-pc":
            say("  building the per-channel int8 graph (calibrated on every other crop) …")
            calibration = spec.preprocessing.to_tensor(crops[::2])
            with tempfile.TemporaryDirectory(dir=work, prefix="int8-") as tmp:
                graph = Path(tmp) / "sface-int8-pc.onnx"
                int8 = build_int8(path, calibration, graph)
                built[name] = ArcFaceOnnxRecogniser(spec, graph, **options)
        else:
            built[name] = ArcFaceOnnxRecogniser(spec, path, **options)
        load_s[name] = time.perf_counter() - start
    default = ArcFaceOnnxRecogniser(spec, path).runtime
    return built, {"int8": int8, "load_s": load_s, "plugin_default_runtime": default}


def time_variants(variants: dict[str, Any], crops: list[Image], batch: int,
                  repeats: int, calls: int) -> dict[str, dict[str, Any]]:
    """ms per face of every variant, interleaved call by call in rotated order."""
    names = list(variants)
    per_call: dict[str, list[float]] = {n: [] for n in names}
    per_block: dict[str, list[float]] = {n: [] for n in names}
    for name in names:  # warm-up
        variants[name].embed(crops[:batch])
    for block in range(repeats):
        times: dict[str, list[float]] = {n: [] for n in names}
        for i in range(calls):
            start_row = ((block * calls + i) * batch) % (len(crops) - batch)
            chunk = crops[start_row:start_row + batch]
            shift = i % len(names)
            for name in names[shift:] + names[:shift]:
                start = time.perf_counter()
                variants[name].embed(chunk)
                times[name].append((time.perf_counter() - start) * 1000.0 / batch)
        for name in names:
            per_call[name] += times[name]
            per_block[name].append(statistics.median(times[name]))
    out = {}
    ref = statistics.median(per_call[REFERENCE])
    for name in names:
        ordered = sorted(per_call[name])
        out[name] = {"ms_per_face_p50": statistics.median(ordered),
                     "ms_per_face_p95": ordered[int(0.95 * (len(ordered) - 1))],
                     "block_medians": per_block[name],
                     "speedup_vs_reference": ref / statistics.median(ordered)}
    return out


def score_changes(templates: dict[str, np.ndarray], identities: list[str], threshold: float,
                  judged: np.ndarray) -> dict[str, dict[str, Any]]:
    """Per variant, over every pair of judged crops: how its scores differ from the
    reference's, and whether any pair changes side of ``threshold``."""
    ref = templates[REFERENCE][judged].astype(np.float64)
    ref_scores = ref @ ref.T
    ids = np.asarray(identities)[judged]
    upper = np.triu_indices(len(ref), 1)
    mated = (ids[:, None] == ids[None, :])[upper]
    out = {}
    for name, t in templates.items():
        own = t[judged].astype(np.float64)
        cos = np.sum(own * ref, axis=1) / np.linalg.norm(own, axis=1) / np.linalg.norm(
            ref, axis=1)
        scores = (own @ own.T)[upper]
        before = ref_scores[upper]
        delta = np.abs(scores - before)
        flips = int(np.sum((scores >= threshold) != (before >= threshold)))
        out[name] = {
            "crops": int(judged.sum()), "pairs": len(delta),
            "template_cosine_min": float(cos.min()),
            "template_cosine_median": float(np.median(cos)),
            "score_change_max": float(delta.max()),
            "score_change_p99": float(np.percentile(delta, 99)),
            "score_change_median": float(np.median(delta)),
            "pairs_changing_side": flips,
            "mated_min": float(scores[mated].min()), "nonmated_max": float(scores[~mated].max()),
            "equal_scores": bool(delta.max() <= SCORE_BAND and flips == 0),
        }
    return out


def run_recogniser(repeats: int = 3, calls: int = 40, work: Path | None = None,
                   say: Callable[[str], None] = lambda _: None, placements: int = 2
                   ) -> dict[str, Any]:
    """Crops, variants, scores and times; the fastest variant at equal scores."""
    say("recogniser: aligning the crops (pinned photos, clean and degraded) …")
    crops, identities, kinds = crop_set(placements)
    work = work or Path(tempfile.gettempdir())
    variants, build = build_variants(crops, work, say)
    threshold = variants[REFERENCE].default_threshold
    templates = {n: r.embed(crops) for n, r in variants.items()}
    everything = np.ones(len(crops), bool)
    held_out = np.arange(len(crops)) % 2 == 1  # not used to calibrate the int8 graph
    scores = score_changes(templates, identities, threshold, everything)
    scores["ort-int8-pc"] = score_changes(templates, identities, threshold,
                                          held_out)["ort-int8-pc"]
    for arrays in templates.values():
        arrays.fill(0.0)
    say(f"recogniser: timing {len(variants)} variants on {len(crops)} crops …")
    timing = {f"batch_{b}": time_variants(variants, crops, b, repeats, calls) for b in (1, 5)}
    equal = [n for n in variants if scores[n]["equal_scores"]]
    fastest = min(equal, key=lambda n: timing["batch_1"][n]["ms_per_face_p50"])
    return {"crops": len(crops), "kinds": {k: kinds.count(k) for k in sorted(set(kinds))},
            "identities": sorted(set(identities)), "threshold": threshold,
            "score_band": SCORE_BAND, "variants": VARIANTS, "build": build,
            "runtimes": {n: r.runtime for n, r in variants.items()},
            "scores": scores, "timing": timing, "fastest_at_equal_scores": fastest,
            "plugin_default_runtime": build["plugin_default_runtime"],
            "repeats": repeats, "calls_per_block": calls}


def table(result: dict[str, Any]) -> str:
    """Speed and score changes per variant, as in docs/performance.md."""
    head = (f"{'variant':<18} {'ms/face b1':>10} {'× ref':>6} {'ms/face b5':>10} "
            f"{'× ref':>6} {'cos min':>9} {'Δscore max':>10} {'p99':>7} {'flips':>5} "
            f"{'equal':>5}")
    lines = [f"recogniser, {result['crops']} crops {result['kinds']}, threshold "
             f"{result['threshold']:g}, band {result['score_band']:g}", head, "-" * len(head)]
    for name in result["variants"]:
        b1, b5 = result["timing"]["batch_1"][name], result["timing"]["batch_5"][name]
        s = result["scores"][name]
        lines.append(
            f"{name:<18} {b1['ms_per_face_p50']:>10.2f} {b1['speedup_vs_reference']:>6.2f} "
            f"{b5['ms_per_face_p50']:>10.2f} {b5['speedup_vs_reference']:>6.2f} "
            f"{s['template_cosine_min']:>9.6f} {s['score_change_max']:>10.4f} "
            f"{s['score_change_p99']:>7.4f} {s['pairs_changing_side']:>5} "
            f"{'yes' if s['equal_scores'] else 'no':>5}")
    lines.append(f"fastest at equal scores: {result['fastest_at_equal_scores']} (plugin default "
                 f"runtime: {result['plugin_default_runtime']})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.recogniser --json PATH [--repeats N] [--calls N]``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.recogniser")
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--placements", type=int, default=2,
                        help="degraded copies of each photo per condition")
    args = parser.parse_args(argv)

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    result = run_recogniser(args.repeats, args.calls, args.json.parent, say, args.placements)
    args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(table(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
