"""Runs the demo end to end and checks the alerts against the scene's ground truth."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from lfr_framework.config import DeploymentConfig, parse_config
from lfr_framework.demo.scenario import ENTRY_IDENTITY, WATCHLIST, demo_scene
from lfr_framework.deployment import build_with_models
from lfr_framework.evaluation.passes import PassScore, SceneAlert, score_passes
from lfr_framework.evaluation.scenes import GroundTruth, render_scene, truth_path
from lfr_framework.models.store import ModelStore
from lfr_framework.plugins import PluginHost
from lfr_framework.sample_photos import fetch_photos
from lfr_framework.types import Alert, PipelineCounters


@dataclass(slots=True)
class DemoResult:
    """What the demo did and whether it matched the ground truth."""

    alerts: list[Alert] = field(default_factory=list)
    counters: PipelineCounters = field(default_factory=PipelineCounters)
    score: PassScore = field(default_factory=PassScore)
    alerts_file: Path | None = None


def prepare_workdir(workdir: Path) -> tuple[Path, Path]:
    """Write the watchlist folders and the scene video; return (watchlist dir, video)."""
    photos = fetch_photos()
    watchlist = workdir / "watchlist"
    if watchlist.exists():
        shutil.rmtree(watchlist)
    for entry_id, photo in WATCHLIST.items():
        (watchlist / entry_id).mkdir(parents=True)
        shutil.copy2(photos[photo], watchlist / entry_id / photos[photo].name)
    video = workdir / "scene.mp4"
    render_scene(demo_scene(), photos, video)
    return watchlist, video


def demo_config(
    workdir: Path, watchlist: Path, video: Path, start: datetime
) -> DeploymentConfig:
    """The deployment the demo runs: default plugins, one camera, a JSON-lines sink."""
    return parse_config({
        "deployment": {"id": "demo"},
        "cameras": [{"id": "demo-cam", "source": "video", "uri": str(video),
                     "location": "Demo street",
                     "options": {"start_time": start.isoformat()}}],
        # The demo's two passes of the same person are seconds apart; a real deployment
        # keeps the longer default so a lingering person is not alerted again and again.
        "recognition": {"cooldown_s": 2.0},
        "watchlist": {"directory": str(watchlist)},
        "sinks": [{"name": "jsonl", "options": {"path": str(workdir / "alerts.jsonl")}}],
        # A file, not a live camera: process every frame instead of dropping under load.
        "pipeline": {"realtime": False},
    }, "demo")


def run_demo(
    workdir: Path, host: PluginHost, store: ModelStore,
    on_alert: Callable[[Alert], None] = lambda alert: None,
    announce: Callable[[str], None] = lambda message: None,
) -> DemoResult:
    """Render the scene, run the pipeline over it and compare alerts with the truth."""
    workdir.mkdir(parents=True, exist_ok=True)
    alerts_file = workdir / "alerts.jsonl"
    alerts_file.unlink(missing_ok=True)
    announce("fetching the demo photos and rendering the scene …")
    watchlist, video = prepare_workdir(workdir)
    result = DemoResult(alerts_file=alerts_file)

    def collect(alert: Alert) -> None:
        result.alerts.append(alert)
        on_alert(alert)

    start = datetime.now(UTC).replace(microsecond=0)
    built = build_with_models(demo_config(workdir, watchlist, video, start), host, store,
                              collect, announce)
    try:
        result.counters = built.pipeline.run()
    finally:
        built.components.matcher.destroy()
    truth = GroundTruth.load(truth_path(video))
    scene_alerts = [
        SceneAlert((a.frame_timestamp - start).total_seconds(), ENTRY_IDENTITY[a.entry_id])
        for a in result.alerts
    ]
    result.score = score_passes(truth, scene_alerts, set(ENTRY_IDENTITY.values()))
    return result
