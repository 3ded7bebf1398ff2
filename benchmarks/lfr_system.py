"""Our pipeline as a benchmark system: the real deployment builder, the ``video`` camera,
the default plugins, timing wrappers at the plugin boundary."""

from __future__ import annotations

import contextlib
import importlib
import statistics
import threading
import time
import types
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.machine import load_average, process_cpu_s
from benchmarks.records import RunResult
from benchmarks.replay import replay_model_calls
from benchmarks.scenes import WATCHLIST, RenderedScene
from benchmarks.timed import CallLog, TimedDetector, TimedMatcher, TimedRecogniser
from lfr_framework.config import parse_config
from lfr_framework.deployment import BuiltDeployment, build_deployment
from lfr_framework.evaluation.passes import PassScore, SceneAlert, score_passes
from lfr_framework.interfaces import CameraSource
from lfr_framework.pipeline.processor import SharedComponents
from lfr_framework.pipeline.runner import Pipeline
from lfr_framework.plugins import PluginHost
from lfr_framework.types import Alert

#: The default plugins, registered explicitly so nothing else installed is picked up.
DEFAULT_PLUGIN_MODULES = {
    "opencv": "lfr_opencv.plugin",
    "mediapipe": "lfr_mediapipe.plugin",
    "arcface_onnx": "lfr_arcface_onnx.plugin",
    "usearch": "lfr_usearch.plugin",
    "sinks": "lfr_sinks.plugin",
}
#: Models the default deployment needs.
DEFAULT_MODELS = ("blazeface-full-range-sparse", "sface-2021dec-int8bq")
#: Capture time given to the scene's first frame (alerts are scored relative to it).
SCENE_START = datetime(2024, 1, 1, tzinfo=UTC)


@contextlib.contextmanager
def ort_spinning_allowed() -> Iterator[None]:
    """While open, ONNX Runtime recognisers are built as before profiling: the plugin's
    ``session.intra_op.allow_spinning = "0"`` is ignored, so ORT's threads busy-wait."""
    module: Any = importlib.import_module("lfr_arcface_onnx.runtimes")
    real = module.ort

    class SpinningOptions(real.SessionOptions):  # type: ignore[misc, name-defined]
        def add_session_config_entry(self, key: str, value: str) -> None:
            if key != "session.intra_op.allow_spinning":
                super().add_session_config_entry(key, value)

    module.ort = types.SimpleNamespace(SessionOptions=SpinningOptions,
                                       InferenceSession=real.InferenceSession)
    try:
        yield
    finally:
        module.ort = real


def default_host() -> PluginHost:
    """A host with exactly the default plugins."""
    host = PluginHost(load_entry_points=False)
    for name, module in DEFAULT_PLUGIN_MODULES.items():
        host.register_plugin(importlib.import_module(module), name=name)
    return host


def camera_id(index: int) -> str:
    """The id of the benchmark's ``index``-th camera."""
    return "bench-cam" if index == 0 else f"bench-cam-{index + 1}"


def score_alerts(scene: RenderedScene, alerts: list[Alert]) -> PassScore:
    """Pass-level scoring by position: each alert belongs to the pass whose face its box is."""
    identity = {entry: ident for entry, (_, ident) in WATCHLIST.items()}
    fps = scene.truth.spec.fps
    located = []
    for alert in alerts:
        at_s = (alert.frame_timestamp - SCENE_START).total_seconds()
        located.append(SceneAlert(at_s, identity[alert.entry_id], round(at_s * fps),
                                  alert.face_box))
    return score_passes(scene.truth, located, set(identity.values()))


class LfrSystem:
    """The LFR pipeline with its default plugins; models load once, in :meth:`prepare`."""

    def __init__(self, workdir: Path, model_home: Path | None = None, name: str = "lfr",
                 recogniser_options: dict[str, Any] | None = None,
                 detector_options: dict[str, Any] | None = None,
                 ort_spinning: bool = False, sections: dict[str, Any] | None = None,
                 cameras: int = 1) -> None:
        self.name = name
        #: Deployment file sections set for this system (``detection``, ``quality`` …).
        self.sections = sections or {}
        #: Cameras reading the scene at once (each its own copy of the video), one node.
        self.cameras = cameras
        self.ort_spinning = ort_spinning
        self.workdir = workdir
        self.recogniser_options = recogniser_options or {}
        self.detector_options = detector_options or {}
        self.host = default_host()
        self.store = self.host.model_store(model_home)
        self._built: BuiltDeployment | None = None

    def _config(self, video: Path) -> Any:
        watchlist = self.workdir / "watchlist"
        return parse_config({
            "deployment": {"id": "bench"},
            "cameras": [{"id": camera_id(i), "source": "video", "uri": str(video),
                         "options": {"start_time": SCENE_START.isoformat()}}
                        for i in range(self.cameras)],
            "watchlist": {"directory": str(watchlist)},
            "detector": {"name": "mediapipe", "options": self.detector_options},
            "recogniser": {"name": "arcface_onnx", "options": self.recogniser_options},
            # The same person passes again seconds later; field trials count every pass, so
            # no cool-down across tracks (still one alert per track and entry).
            "recognition": {"cooldown_s": 0.0},
            # A file, not a live camera: every frame is processed, none dropped.
            "pipeline": {"realtime": False},
            **self.sections,
        }, "benchmark")

    def prepare(self, scene: RenderedScene) -> None:
        """Fetch models, load them and enrol the watchlist (not timed); warm the runtimes."""
        if self._built is not None:
            return
        for model_id in DEFAULT_MODELS:
            self.store.fetch(model_id)
        with ort_spinning_allowed() if self.ort_spinning else contextlib.nullcontext():
            self._built = build_deployment(self._config(scene.video), self.host, self.store)
        replay_model_calls(self._camera(scene), self._built.components, CallLog(),
                           max_frames=10)

    def info(self) -> dict[str, Any]:
        """The components and settings this system runs with."""
        built = self._require()
        cfg = built.config
        return {
            "detector": {"name": cfg.detector.name,
                         "model": getattr(built.components.detector, "model_id", None),
                         "options": cfg.detector.options},
            "recogniser": {"name": cfg.recogniser.name,
                           "model": built.components.recogniser.model_id,
                           "options": cfg.recogniser.options,
                           "runtime": getattr(built.components.recogniser, "runtime", None)},
            "recognition": built.pipeline.settings.recognition.model_dump(),
            "matcher": cfg.matcher.name,
            "threshold": built.pipeline.settings.threshold,
            "watchlist_size": built.watchlist_size,
            "realtime": built.pipeline.settings.realtime,
            "ort_spinning": self.ort_spinning,
            "detection": built.pipeline.settings.detection.model_dump(),
            "quality": built.pipeline.settings.quality.model_dump(),
            "cameras": self.cameras,
        }

    def _require(self) -> BuiltDeployment:
        if self._built is None:
            raise RuntimeError("call prepare() first")
        return self._built

    def _camera(self, scene: RenderedScene, index: int = 0) -> CameraSource:
        cam: CameraSource = self.host.camera_sources.create(
            "video", {"start_time": SCENE_START.isoformat()}, f"cameras[{index}].options",
            camera_id=camera_id(index), uri=str(scene.video))
        return cam

    def run(self, scene: RenderedScene, replay: bool = True) -> RunResult:
        """One timed pass of the whole pipeline over ``scene``, then (optionally) the same
        model calls replayed alone on the same frames."""
        built = self._require()
        raw = built.components
        log = CallLog()
        timed = SharedComponents.build(
            (TimedDetector(raw.detector, log), raw.detector_ref),
            (TimedRecogniser(raw.recogniser, log), raw.recogniser_ref),
            (TimedMatcher(raw.matcher, log), raw.matcher_ref),
        )
        timed.camera_detectors = [(TimedDetector(d, log), threading.Lock())
                                  for d, _ in raw.camera_detectors]
        alerts: list[Alert] = []
        load = load_average()
        cameras = [self._camera(scene, i) for i in range(self.cameras)]
        pipeline = Pipeline(built.pipeline.settings, timed, cameras, on_alert=alerts.append)
        cpu = process_cpu_s()
        start = time.perf_counter()
        counters = pipeline.run()
        end = time.perf_counter()
        cpu = process_cpu_s() - cpu
        wall = end - start
        isolated = None
        if replay and self.cameras == 1:  # the call log's frame indexes are one camera's
            isolated = CallLog()
            replay_model_calls(self._camera(scene), raw, isolated, aligned=log.aligned,
                               regions=log.regions, refined=log.refined)
        # Scored by position (one alert, one pass); with several cameras, the worst camera.
        scored = min((score_alerts(scene, [a for a in alerts if a.camera_id == camera_id(i)])
                      for i in range(self.cameras)),
                     key=lambda score: (score.pass_tpir or 0.0, -score.false_alerts))
        frames = counters.frames_processed // self.cameras
        for alert in alerts:  # nothing of a face outlives the run
            if alert.probe_template is not None:
                alert.probe_template.fill(0.0)
        return RunResult(
            system=self.name, scene=scene.case.name, frames=frames,
            wall_s=wall, counters=counters.as_dict(), stages=pipeline.timer.as_dict(),
            model_calls=log.as_dict(), isolated_calls=None if isolated is None
            else isolated.as_dict(), pass_tpir=scored.pass_tpir,
            watchlisted_passes=scored.watchlisted_passes, alerted_passes=scored.alerted_passes,
            false_alerts=scored.false_alerts, faults=sum(pipeline.faults.counts.values()),
            load_average=load,
            startup_s=None if log.first_start is None else log.first_start - start,
            shutdown_s=None if log.last_end is None else end - log.last_end,
            time_to_alert_s=statistics.median(scored.latencies_s) if scored.latencies_s
            else None, cpu_s=cpu, cameras=self.cameras,
        )

    def close(self) -> None:
        """Destroy the watchlist index and release the models."""
        if self._built is not None:
            self._built.components.matcher.destroy()
            for detector in [self._built.components.detector,
                             *(d for d, _ in self._built.components.camera_detectors)]:
                close = getattr(detector, "close", None)
                if callable(close):
                    close()
            self._built = None
