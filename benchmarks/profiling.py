"""Sample one pipeline run with py-spy and say where the time outside the model calls goes.

py-spy samples every thread (the pipeline's reader and worker threads included) without
touching the code. Each sample's stack is put in the first bucket whose marker it holds,
searching from the innermost frame outwards; samples taken while loading models and
enrolling are left out.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

#: (bucket, substrings of a frame "function (file:line)"), innermost match wins.
BUCKETS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("model: detector (MediaPipe task)", ("face_detector.py", "mediapipe/tasks")),
    ("model: recogniser (OpenCV DNN or ONNX Runtime)", ("onnxruntime_inference_collection",
                                                        "lfr_arcface_onnx/runtimes.py")),
    ("model: matcher (USearch)", ("lfr_usearch/",)),
    ("recogniser preprocessing (to_tensor, normalise)", ("lfr_arcface_onnx/preprocessing",
                                                         "lfr_arcface_onnx/recogniser")),
    ("alignment (warpAffine)", ("lfr_arcface_onnx/alignment",)),
    ("detector wrapper (BGR→RGB, box mapping)", ("lfr_mediapipe/",)),
    ("decode (OpenCV/FFmpeg)", ("lfr_opencv/",)),
    ("quality gate", ("pipeline/quality.py",)),
    ("tracker", ("pipeline/tracker.py",)),
    ("best shot / cool-down", ("pipeline/policy.py",)),
    ("frame queue", ("pipeline/frame_queue.py",)),
    ("timing wrappers (benchmark)", ("benchmarks/timed.py",)),
    ("stage timer", ("pipeline/timing.py",)),
    ("detection schedule", ("pipeline/schedule.py",)),
    ("processor (rest)", ("pipeline/processor.py",)),
    ("runner (rest)", ("pipeline/runner.py",)),
)
MODEL_BUCKETS = {b for b, _ in BUCKETS if b.startswith("model:")}


def classify(frames: list[str]) -> str:
    """The bucket of one stack, listed outermost first."""
    for frame in reversed(frames):
        for bucket, markers in BUCKETS:
            if any(m in frame for m in markers):
                return bucket
    return "other"


def is_setup(frames: list[str]) -> bool:
    """Samples from model loading, enrolment and warm-up (``prepare``)."""
    return any("build_deployment" in f or ("prepare (" in f and "lfr_system" in f)
               for f in frames)


#: Innermost frames that mean the thread is waiting, not working (py-spy's idle detection
#: does not catch waits on a lock with a timeout).
WAIT_LEAVES = ("Condition.wait", "_wait_for_tstate_lock", "Event.wait", "Thread.join")


def role(frames: list[str]) -> str:
    """Which pipeline thread a stack belongs to."""
    if any("_process_loop" in f for f in frames):
        return "worker"
    if any("_read_loop" in f for f in frames):
        return "reader"
    return "main"


def parse_raw(path: Path) -> dict[str, Any]:
    """Aggregate py-spy's ``--format raw`` output (collapsed stacks) per pipeline thread.

    The worker thread (detect → … → alert) is the critical path; its samples are split
    into model calls, other work, and waiting for a frame. The reader thread decodes.
    """
    threads: dict[str, Counter[str]] = {"worker": Counter(), "reader": Counter()}
    leaves: Counter[str] = Counter()
    setup = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        if is_setup(frames):
            setup += count
            continue
        who = role(frames)
        if who == "main":
            continue  # start-up, imports, the main thread joining the pipeline, exit
        bucket = classify(frames)
        if bucket not in MODEL_BUCKETS and any(frames[-1].startswith(w) for w in WAIT_LEAVES):
            # A model call that waits on its runtime's own threads is still the model call.
            bucket = "waiting (queue empty or full)"
        threads[who][bucket] += count
        if who == "worker" and bucket not in MODEL_BUCKETS and not bucket.startswith("wait"):
            leaves[frames[-1]] += count
    out: dict[str, Any] = {"samples_setup_excluded": setup}
    for who, buckets in threads.items():
        total = sum(buckets.values())
        busy = sum(n for b, n in buckets.items() if not b.startswith("waiting"))
        outside = sum(n for b, n in buckets.items()
                      if b not in MODEL_BUCKETS and not b.startswith("waiting"))
        out[who] = {
            "samples": total,
            "busy_share": busy / total if total else None,
            "outside_models_share_of_busy": outside / busy if busy else None,
            "buckets": {b: {"samples": n, "share": n / total} for b, n in buckets.most_common()},
        }
    worker_total = out["worker"]["samples"]
    out["worker_top_leaves_outside_models"] = [
        {"frame": f, "samples": n, "share": n / worker_total if worker_total else 0.0}
        for f, n in leaves.most_common(15)
    ]
    return out


def profile_run(video: Path, workdir: Path, faces: int, out_dir: Path,
                rate: int = 500, raw_name: str = "profile-raw.txt") -> dict[str, Any] | None:
    """Run :mod:`benchmarks.profile_target` under ``py-spy record``; ``None`` without py-spy."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(py_spy).exists():
        print("py-spy not found (pip install py-spy): profile skipped", file=sys.stderr)
        return None
    raw = out_dir / raw_name
    target = [sys.executable, "-m", "benchmarks.profile_target", str(video), str(workdir),
              str(faces)]
    cmd = [py_spy, "record", "--rate", str(rate), "--format", "raw", "--output", str(raw),
           "--", *target]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(f"py-spy failed ({done.returncode}): {done.stderr[-500:]}", file=sys.stderr)
        return None
    summary = parse_raw(raw)
    summary.update({"tool": "py-spy record (raw)", "rate_hz": rate, "raw": raw.name,
                    "command": f"py-spy record --rate {rate} --format raw --output {raw.name} "
                               f"-- python -m benchmarks.profile_target {video.name} "
                               f"{workdir.name} {faces}"})
    return summary
