"""Run the whole pipeline over a rendered scene video and score it pass by pass.

The watchlist folder's entry names are the identities of the scene's ground truth. The JSON
that :func:`summary` builds is an interface, documented in docs/evaluation.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from lfr_framework.config import DeploymentConfig, parse_config
from lfr_framework.deployment import build_with_models
from lfr_framework.errors import ConfigurationError
from lfr_framework.evaluation.passes import PassScore, SceneAlert, score_passes
from lfr_framework.evaluation.scenes import GroundTruth, truth_path
from lfr_framework.models.store import ModelStore
from lfr_framework.plugins import PluginHost
from lfr_framework.types import Alert, PipelineCounters

#: Frame timestamps start here, so an alert's time minus this is seconds into the scene.
SCENE_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
#: Alerts this long before a pass's first or after its last in-view frame still count for it.
TOLERANCE_S = 0.5


@dataclass(slots=True)
class SceneRun:
    """One pipeline run over a scene at one threshold: alerts (no biometrics), counts, score."""

    threshold: float
    model_id: str
    alerts: list[SceneAlert]
    counters: PipelineCounters
    score: PassScore


def load_truth(video: Path, truth: Path | None = None) -> GroundTruth:
    """The ground truth of ``video`` (``truth``, else ``<video>.truth.json``), checked."""
    path = truth if truth is not None else truth_path(video)
    if not path.is_file():
        raise ConfigurationError(
            f"ground truth {path} not found: give --truth, or render the scene with "
            "lfr_framework.evaluation.scenes.render_scene, which writes it beside the video")
    try:
        return GroundTruth.load(path)
    except ConfigurationError as exc:
        if str(path) in str(exc):
            raise
        raise ConfigurationError(f"{path} is not a scene ground-truth file: {exc}") from exc


def watchlist_entries(directory: Path) -> list[str]:
    """The entry folder names of a watchlist directory (each one an identity of the truth)."""
    if not directory.is_dir():
        raise ConfigurationError(f"watchlist directory {directory} does not exist")
    return sorted(p.name for p in directory.iterdir() if p.is_dir())


def scene_config(video: Path, watchlist: Path, base: DeploymentConfig | None = None,
                 threshold: float | None = None, cooldown_s: float = 0.0) -> DeploymentConfig:
    """A deployment with one camera reading ``video`` from :data:`SCENE_EPOCH`, every frame.

    Detector, recogniser, matcher, quality, tracker and recognition settings come from
    ``base`` when given; its cameras and sinks are replaced (an evaluation alerts nobody).
    """
    data: dict[str, Any] = (base.model_dump() if base is not None
                            else {"deployment": {"id": "scene-evaluation"}})
    if threshold is not None:
        data["deployment"]["threshold"] = threshold
    data["cameras"] = [{"id": "scene", "source": "video", "uri": str(video),
                        "options": {"start_time": SCENE_EPOCH.isoformat()}}]
    largest = bool(data.get("watchlist", {}).get("largest_face", False))
    data["watchlist"] = {"directory": str(watchlist), "largest_face": largest}
    data["sinks"] = []
    data.setdefault("pipeline", {})["realtime"] = False
    data.setdefault("recognition", {})["cooldown_s"] = cooldown_s
    return parse_config(data, "scene evaluation")


def run_scene(video: Path, truth: GroundTruth, watchlist: Path, host: PluginHost,
              store: ModelStore, base: DeploymentConfig | None = None,
              threshold: float | None = None, cooldown_s: float = 0.0,
              announce: Callable[[str], None] = lambda message: None) -> SceneRun:
    """Run the pipeline over ``video`` and score its alerts against ``truth``."""
    entries = watchlist_entries(watchlist)
    config = scene_config(video, watchlist, base, threshold, cooldown_s)
    alerts: list[Alert] = []
    built = build_with_models(config, host, store, alerts.append, announce)
    try:
        counters = built.pipeline.run()
    finally:
        built.components.matcher.destroy()
    if counters.frames_read != truth.frame_count:
        raise ConfigurationError(
            f"{video} has {counters.frames_read} frames but its ground truth describes "
            f"{truth.frame_count}: the truth file belongs to another scene")
    scene_alerts = [SceneAlert((a.frame_timestamp - SCENE_EPOCH).total_seconds(), a.entry_id)
                    for a in alerts]
    score = score_passes(truth, scene_alerts, set(entries), TOLERANCE_S)
    return SceneRun(built.pipeline.settings.threshold, built.components.recogniser.model_id,
                    scene_alerts, counters, score)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0..100, linear interpolation), ``None`` for no values."""
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if values else None


def pass_outcomes(truth: GroundTruth, run: SceneRun, watchlisted: set[str]
                  ) -> list[dict[str, Any]]:
    """Per in-view pass: its truth, whether it is watchlisted, and its first alert's latency."""
    out = []
    for p in truth.passes:
        if p.first_s is None or p.last_s is None:
            continue
        times = [a.at_s for a in run.alerts if a.identity == p.identity
                 and p.first_s - TOLERANCE_S <= a.at_s <= p.last_s + TOLERANCE_S]
        out.append({
            "index": p.index, "identity": p.identity, "photo": p.photo,
            "watchlisted": p.identity in watchlisted,
            "face_height_px": p.face_height_px, "end_face_height_px": p.end_face_height_px,
            "first_s": p.first_s, "last_s": p.last_s,
            "in_view_s": round(p.last_s - p.first_s, 4),
            "alerted": bool(times),
            "latency_s": max(min(times) - p.first_s, 0.0) if times else None,
        })
    return out


def summary(truth: GroundTruth, run: SceneRun, watchlisted: Sequence[str]) -> dict[str, Any]:
    """The documented JSON of one run: pass-level TPIR, false alerts per 1,000 faces seen,
    time to alert, counters and per-pass outcomes."""
    score, counters = run.score, run.counters
    seen = counters.faces_seen
    latencies = score.latencies_s
    return {
        "threshold": run.threshold,
        "model_id": run.model_id,
        "pass_tpir": score.pass_tpir,
        "watchlisted_passes": score.watchlisted_passes,
        "alerted_passes": score.alerted_passes,
        "true_alerts": score.true_alerts,
        "false_alerts": score.false_alerts,
        "faces_seen": seen,
        "faces_in_truth": sum(1 for p in truth.passes if p.first_s is not None),
        "false_alerts_per_1000_faces": 1000.0 * score.false_alerts / seen if seen else None,
        "time_to_alert_s": {"p50": percentile(latencies, 50), "p95": percentile(latencies, 95),
                            "max": max(latencies) if latencies else None, "n": len(latencies)},
        "counters": counters.as_dict(),
        "passes": pass_outcomes(truth, run, set(watchlisted)),
    }
