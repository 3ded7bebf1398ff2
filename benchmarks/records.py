"""Result records and their summaries: medians and spreads over repeated runs."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(slots=True)
class RunResult:
    """One run of one system over one scene."""

    system: str
    scene: str
    frames: int
    wall_s: float
    counters: dict[str, int]
    stages: dict[str, dict[str, float]] | None
    model_calls: dict[str, Any] | None
    isolated_calls: dict[str, Any] | None
    pass_tpir: float | None
    watchlisted_passes: int
    alerted_passes: int
    false_alerts: int
    faults: int = 0
    load_average: float | None = None
    #: From the run's start to the first model call, and from the last one to its end.
    startup_s: float | None = None
    shutdown_s: float | None = None
    #: Per-frame processing time of a per-frame loop (peers): p50, p95, max in ms.
    frame_ms: dict[str, float] | None = None
    #: Median seconds from a watchlisted face's first appearance to its alert.
    time_to_alert_s: float | None = None
    #: CPU seconds the process used during the run (every thread; load-independent, unlike
    #: fps on a shared machine), and the cameras that ran at once (``frames`` is per camera).
    cpu_s: float | None = None
    cameras: int = 1

    @property
    def fps(self) -> float:
        """Frames processed per second of wall time."""
        return self.frames / self.wall_s if self.wall_s > 0 else 0.0

    def overhead(self, isolated: bool) -> float | None:
        """(wall time − sum of raw model calls) / sum of raw model calls.

        ``isolated`` uses the calls replayed alone; otherwise the calls as timed inside
        the pipeline run. Not defined for several cameras (their calls overlap in time).
        """
        calls = self.isolated_calls if isolated else self.model_calls
        if not calls or calls["total_s"] <= 0 or self.cameras > 1:
            return None
        return float((self.wall_s - calls["total_s"]) / calls["total_s"])

    def steady_overhead(self) -> float | None:
        """As :meth:`overhead` in the run, leaving out start-up (threads, opening the file,
        the first decode) and shut-down: what a camera that runs for hours sees."""
        calls = self.model_calls
        if not calls or calls["total_s"] <= 0 or self.startup_s is None or self.cameras > 1:
            return None
        steady = self.wall_s - self.startup_s - (self.shutdown_s or 0.0)
        return float((steady - calls["total_s"]) / calls["total_s"])

    def as_dict(self) -> dict[str, Any]:
        """Everything, plus the derived fps and overheads."""
        out = asdict(self)
        out["fps"] = self.fps
        out["overhead_in_pipeline"] = self.overhead(isolated=False)
        out["overhead_steady"] = self.steady_overhead()
        out["overhead_vs_isolated"] = self.overhead(isolated=True)
        return out


def spread(values: Sequence[float]) -> dict[str, float] | None:
    """Median, min, max and relative spread ((max − min) / median) of ``values``."""
    if not values:
        return None
    med = statistics.median(values)
    return {"median": med, "min": min(values), "max": max(values), "n": len(values),
            "rel_spread": (max(values) - min(values)) / med if med else 0.0}


def per_frame_ms(runs: Sequence[RunResult], stage: str) -> dict[str, float] | None:
    """Median (over runs) milliseconds of ``stage`` per processed frame."""
    values = [1000.0 * r.stages[stage]["seconds"] / r.frames for r in runs
              if r.stages is not None and r.frames]
    return spread(values)


def per_face_ms(runs: Sequence[RunResult], call: str, isolated: bool = False
                ) -> dict[str, float] | None:
    """Median (over runs) milliseconds of model call ``call`` per item (frame or face) it
    handled, as timed in the run or (``isolated``) replayed alone."""
    values = []
    for r in runs:
        calls = r.isolated_calls if isolated else r.model_calls
        if calls and calls["calls"][call]["items"]:
            values.append(1000.0 * calls["calls"][call]["seconds"] / calls["calls"][call]["items"])
    return spread(values)


def summarise(runs: Sequence[RunResult]) -> dict[str, Any]:
    """Medians and spreads of one system on one scene over repeated runs."""
    first = runs[0]
    stages = list(first.stages) if first.stages else []
    calls = list(first.model_calls["calls"]) if first.model_calls else []
    detections_per_frame = [r.counters["detections"] / r.frames for r in runs if r.frames]
    return {
        "system": first.system,
        "scene": first.scene,
        "runs": len(runs),
        "frames": first.frames,
        "fps": spread([r.fps for r in runs]),
        "wall_s": spread([r.wall_s for r in runs]),
        "detections_per_frame": spread(detections_per_frame),
        "stage_ms_per_frame": {s: per_frame_ms(runs, s) for s in stages},
        "call_ms_per_item": {c: per_face_ms(runs, c) for c in calls},
        "isolated_call_ms_per_item": {c: per_face_ms(runs, c, isolated=True) for c in calls},
        "model_calls_s": spread([r.model_calls["total_s"] for r in runs if r.model_calls]),
        "isolated_calls_s": spread([r.isolated_calls["total_s"] for r in runs
                                    if r.isolated_calls]),
        "overhead_in_pipeline": spread([o for r in runs
                                        if (o := r.overhead(isolated=False)) is not None]),
        "overhead_steady": spread([o for r in runs if (o := r.steady_overhead()) is not None]),
        "startup_ms": spread([1000.0 * r.startup_s for r in runs if r.startup_s is not None]),
        "shutdown_ms": spread([1000.0 * r.shutdown_s for r in runs if r.shutdown_s is not None]),
        "overhead_vs_isolated": spread([o for r in runs
                                        if (o := r.overhead(isolated=True)) is not None]),
        "pass_tpir": spread([r.pass_tpir for r in runs if r.pass_tpir is not None]),
        "watchlisted_passes": first.watchlisted_passes,
        "false_alerts": spread([float(r.false_alerts) for r in runs]),
        "time_to_alert_s": spread([r.time_to_alert_s for r in runs
                                   if r.time_to_alert_s is not None]),
        "frame_ms_p50": spread([r.frame_ms["p50"] for r in runs if r.frame_ms]),
        "frame_ms_p95": spread([r.frame_ms["p95"] for r in runs if r.frame_ms]),
        "recognitions": spread([float(r.counters["recognitions"]) for r in runs]),
        "cpu_ms_per_frame": spread([1000.0 * r.cpu_s / (r.frames * r.cameras) for r in runs
                                    if r.cpu_s is not None and r.frames]),
        "alerts": spread([float(r.counters["alerts"]) for r in runs]),
        "faces_seen": spread([float(r.counters["faces_seen"]) for r in runs]),
        "load_average": spread([r.load_average for r in runs if r.load_average is not None]),
    }
