"""The per-frame loop every peer runs: read a frame, find and recognise faces, alert.

A peer has no tracker, so it would alert on every frame a watchlisted face is matched.
To make its pass-level TPIR and false alerts comparable with ours, an identity that has
just been alerted is not alerted again for :data:`COOLDOWN_S` seconds of video *near the
same place*: within :data:`SAME_PLACE` face heights of where it was last matched (each
match moves that place along, so a walker stays one face). Passes of the same person
overlap in the crowd scenes (8 watchlisted passes in 4 s of the street scene): a cool-down
per identity alone cost both peers most of them there, and a 1 s one 2 of 22 passes in
the 20-face scenes.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from benchmarks.machine import load_average, process_cpu_s
from benchmarks.records import RunResult
from benchmarks.scenes import WATCHLIST, RenderedScene
from benchmarks.timed import CALLS
from lfr_framework.evaluation.passes import SceneAlert, score_passes
from lfr_framework.imaging import require_cv2
from lfr_framework.types import BoundingBox

#: Seconds of video during which an identity is not alerted again (``--peer-cooldown``).
COOLDOWN_S = 0.5
WATCHLIST_IDENTITIES = {identity for _, identity in WATCHLIST.values()}
#: A match this many face heights from an identity's last match is the same face.
SAME_PLACE = 2.0


@dataclass(slots=True)
class FrameWork:
    """What one frame cost and found: seconds per model call, faces, matched identities."""

    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(CALLS, 0.0))
    faces: int = 0
    #: Matched identities and the face's box in the frame (alerts are scored by position).
    matches: list[tuple[str, BoundingBox]] = field(default_factory=list)


#: A peer's work on one BGR frame.
ProcessFrame = Callable[[Any], FrameWork]


def percentiles(values: list[float]) -> dict[str, float] | None:
    """p50, p95 and max of ``values``."""
    if not values:
        return None
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50": statistics.median(ordered), "p95": p95, "max": ordered[-1],
            "n": len(ordered)}


def seen_here(places: list[tuple[float, float, float, float]], at_s: float,
               box: BoundingBox, cooldown: float) -> bool:
    """Whether this match is a face alerted within ``cooldown`` near here (the place then
    follows it); otherwise it is noted as a new alert's place."""
    cx, cy = box.centre
    places[:] = [p for p in places if at_s - p[0] < cooldown]
    for i, (alerted_at, px, py, height) in enumerate(places):
        if ((cx - px) ** 2 + (cy - py) ** 2) ** 0.5 <= SAME_PLACE * max(height, box.height):
            places[i] = (alerted_at, cx, cy, box.height)
            return True
    places.append((at_s, cx, cy, box.height))
    return False


def run_per_frame(name: str, scene: RenderedScene, process: ProcessFrame) -> RunResult:
    """Decode ``scene`` frame by frame in this thread and ``process`` each frame, timed
    from opening the video to the last frame; alert with a per-identity cool-down."""
    cv2 = require_cv2()
    cooldown = COOLDOWN_S
    fps = scene.truth.spec.fps
    totals = dict.fromkeys(CALLS, 0.0)
    items = dict.fromkeys(CALLS, 0)
    calls = dict.fromkeys(CALLS, 0)
    #: Per identity: [time of the last alert, where it was last matched (x, y, height)].
    recent: dict[str, list[tuple[float, float, float, float]]] = {}
    alerts: list[SceneAlert] = []
    frame_ms: list[float] = []
    frames = faces = 0
    load = load_average()
    cpu = process_cpu_s()
    start = time.perf_counter()
    capture = cv2.VideoCapture(str(scene.video))
    if not capture.isOpened():
        raise RuntimeError(f"OpenCV cannot open {scene.video}")
    try:
        while True:
            began = time.perf_counter()
            ok, image = capture.read()
            if not ok:
                break
            work = process(image)
            at_s = frames / fps
            for identity, box in work.matches:
                if not seen_here(recent.setdefault(identity, []), at_s, box, cooldown):
                    alerts.append(SceneAlert(at_s, identity, frames, box))
            for call, seconds in work.seconds.items():
                totals[call] += seconds
            calls["detect"] += 1
            items["detect"] += 1
            for call in ("align", "embed", "search"):
                calls[call] += work.faces
                items[call] += work.faces
            faces += work.faces
            frames += 1
            image.fill(0)
            frame_ms.append(1000.0 * (time.perf_counter() - began))
    finally:
        capture.release()
    wall = time.perf_counter() - start
    cpu = process_cpu_s() - cpu
    scored = score_passes(scene.truth, alerts, WATCHLIST_IDENTITIES)
    model_calls = {"calls": {c: {"seconds": totals[c], "calls": calls[c], "items": items[c]}
                             for c in CALLS},
                   "total_s": sum(totals.values())}
    return RunResult(
        system=name, scene=scene.case.name, frames=frames, wall_s=wall,
        counters={"frames_processed": frames, "detections": faces, "faces_seen": faces,
                  "recognitions": faces, "alerts": len(alerts)},
        stages=None, model_calls=model_calls, isolated_calls=None,
        pass_tpir=scored.pass_tpir, watchlisted_passes=scored.watchlisted_passes,
        alerted_passes=scored.alerted_passes, false_alerts=scored.false_alerts,
        load_average=load, frame_ms=percentiles(frame_ms),
        time_to_alert_s=statistics.median(scored.latencies_s) if scored.latencies_s else None,
        cpu_s=cpu,
    )
