"""The whole pipeline with the real default plugins: alerts, counters, faults, outages."""

from __future__ import annotations

import logging
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest

from lfr_framework.config import parse_config
from lfr_framework.deployment import BuiltDeployment, build_deployment
from lfr_framework.evaluation.scenes import Pass
from lfr_framework.models.store import ModelStore
from lfr_framework.pipeline.faults import ComponentRef
from lfr_framework.pipeline.processor import SharedComponents
from lfr_framework.pipeline.runner import Pipeline, PipelineSettings, ReconnectPolicy, SinkRef
from lfr_framework.plugins import PluginHost
from lfr_framework.types import Alert
from tests.conftest import make_default_host
from tests.pipeline_helpers import (
    ComponentsPlugin,
    CountingRefiner,
    FlakyDetector,
    MemoryCamera,
    SlowDetector,
    blank_frames,
    scene_frames,
)

PASSES = [
    Pass(identity="obama", photo="obama2", start_s=0.0, duration_s=3.0,
         face_height_px=140, y_frac=0.35),
    Pass(identity="grace_hopper", photo="grace_hopper", start_s=0.3, duration_s=3.0,
         face_height_px=120, y_frac=0.72, direction=-1),
    Pass(identity="eileen_collins", photo="astronaut", start_s=1.5, duration_s=2.5,
         face_height_px=110, y_frac=0.35, direction=-1),
]


@pytest.fixture(scope="module")
def frames(real_photos: dict[str, Path]) -> list[Any]:
    return scene_frames(real_photos, PASSES, duration_s=4.0)


@pytest.fixture
def watchlist(tmp_path: Path, real_photos: dict[str, Path]) -> Path:
    root = tmp_path / "watchlist"
    (root / "WL-obama").mkdir(parents=True)
    shutil.copy2(real_photos["obama"], root / "WL-obama" / "obama.jpg")
    (root / "WL-biden").mkdir(parents=True)
    shutil.copy2(real_photos["biden"], root / "WL-biden" / "biden.jpg")
    return root


def deployment(watchlist: Path, cameras: list[str], **extra: Any) -> Any:
    data: dict[str, Any] = {
        "deployment": {"id": "test-dep"},
        "cameras": [{"id": c, "source": "memory", "uri": c} for c in cameras],
        "watchlist": {"directory": str(watchlist)},
        "pipeline": {"realtime": False},
    }
    data.update(extra)
    return parse_config(data, "test")


def host_with(cameras: dict[str, MemoryCamera]) -> PluginHost:
    host = make_default_host()
    host.register_plugin(ComponentsPlugin(cameras), name="test-components")
    return host


def one_camera(frames: list[Any], watchlist: Path, model_store: ModelStore
               ) -> tuple[BuiltDeployment, list[Alert]]:
    """The default deployment on one memory camera playing ``frames``, and its alerts."""
    alerts: list[Alert] = []
    built = build_deployment(deployment(watchlist, ["cam-1"]),
                             host_with({"cam-1": MemoryCamera("cam-1", frames)}),
                             model_store, on_alert=alerts.append)
    return built, alerts


def test_watchlisted_face_alerts_once_and_passers_by_are_only_counted(
    frames: list[Any], watchlist: Path, model_store: ModelStore
) -> None:
    built, alerts = one_camera(frames, watchlist, model_store)
    counters = built.pipeline.run(timeout=120)
    assert [a.entry_id for a in alerts] == ["WL-obama"]
    alert = alerts[0]
    # The threshold the default policy gives for the two-template watchlist.
    assert alert.score >= alert.threshold == built.operating_point.threshold
    assert built.operating_point.policy == "target_fpir"
    assert alert.face_box is not None and alert.face_box.height > 50
    assert alert.probe_crop is not None and alert.probe_crop.size > 0
    assert alert.probe_template is not None and alert.probe_template.shape == (128,)
    assert counters.frames_processed == len(frames) == counters.frames_read
    assert counters.faces_seen == 3, counters
    assert counters.detections > 3 * counters.faces_seen
    # Recognised on good shots, not on every frame.
    assert 3 <= counters.recognitions < counters.detections / 3
    assert counters.faces_discarded == counters.recognitions - 1 - counters.alerts_suppressed
    assert counters.alerts == 1


def test_only_the_shots_recognised_are_looked_at_again_and_a_new_threshold_is_used(
    frames: list[Any], watchlist: Path, model_store: ModelStore
) -> None:
    built, alerts = one_camera(frames, watchlist, model_store)
    counting = CountingRefiner(built.components.detector)
    built.pipeline.components.detector = counting
    built.pipeline.set_threshold(0.999)  # as when the watchlist grows past what obama scores
    counters = built.pipeline.run(timeout=120)
    # Every recognition was of a refined face; a face refined but not recognised was one the
    # closer look did not confirm, and is counted as rejected.
    assert counters.recognitions <= counting.refined
    assert counting.refined - counters.recognitions <= counters.faces_rejected_quality
    assert 0 < counting.refined < counting.detected / 3  # best shots only, not every frame
    assert alerts == [] and counters.recognitions >= 3  # nothing reaches 0.999


def test_a_plugin_raising_skips_that_frame_counts_it_and_logs_once(
    frames: list[Any], watchlist: Path, model_store: ModelStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    cam = MemoryCamera("cam-1", frames)
    alerts: list[Alert] = []
    built = build_deployment(deployment(watchlist, ["cam-1"]), host_with({"cam-1": cam}),
                             model_store, on_alert=alerts.append)
    comps = built.components
    flaky = FlakyDetector(comps.detector, every=4)
    comps.detector = flaky
    comps.detector_ref = ComponentRef("detector", "flaky", "test-vendor-plugin")
    with caplog.at_level(logging.ERROR, logger="lfr_framework.pipeline"):
        counters = built.pipeline.run(timeout=120)
    assert counters.frames_failed == len(frames) // 4
    assert counters.frames_processed == len(frames) - len(frames) // 4
    messages = [r.getMessage() for r in caplog.records if "simulated detector crash" in
                r.getMessage()]
    assert len(messages) == 1
    assert "'test-vendor-plugin'" in messages[0] and "'flaky'" in messages[0]
    assert [a.entry_id for a in alerts] == ["WL-obama"]


def test_camera_outage_is_reported_and_reopened_while_other_cameras_go_on(
    watchlist: Path, model_store: ModelStore, caplog: pytest.LogCaptureFixture
) -> None:
    flaky = MemoryCamera("door", blank_frames(40), fail_after=10)
    steady = MemoryCamera("gate", blank_frames(40))
    built = build_deployment(deployment(watchlist, ["door", "gate"]),
                             host_with({"door": flaky, "gate": steady}), model_store)
    pipeline = built.pipeline
    pipeline.settings.reconnect = ReconnectPolicy(initial_s=0.05, max_s=0.2)
    with caplog.at_level(logging.WARNING, logger="lfr_framework.pipeline"):
        counters = pipeline.run(timeout=60)
    assert flaky.opens == 2
    assert pipeline.status["door"].outages == 1
    assert pipeline.status["door"].state == "finished"
    assert "connection reset" in (pipeline.status["door"].last_error or "")
    assert pipeline.status["gate"].outages == 0
    assert pipeline.camera_counters("gate").frames_processed == 40
    assert pipeline.camera_counters("door").frames_processed == 40
    assert counters.camera_outages == 1
    assert any("camera door is down" in r.getMessage() for r in caplog.records)
    assert any("camera door is back" in r.getMessage() for r in caplog.records)


def test_overload_drops_oldest_frames_and_counts_them(
    watchlist: Path, model_store: ModelStore, default_host: PluginHost
) -> None:
    recogniser = default_host.recognisers.create("arcface_onnx", {}, "r", models=model_store)
    matcher = default_host.matchers.create("usearch", {}, "m", dimension=recogniser.dimension)
    components = SharedComponents.build(
        (SlowDetector(0.02), ComponentRef("detector", "slow", "test")),
        (recogniser, ComponentRef("recogniser", "arcface_onnx", "arcface_onnx")),
        (matcher, ComponentRef("matcher", "usearch", "usearch")),
    )
    camera = MemoryCamera("busy", blank_frames(200))
    settings = PipelineSettings(deployment_id="d", threshold=0.4, queue_size=2, realtime=True)
    counters = Pipeline(settings, components, [camera]).run(timeout=60)
    assert counters.frames_read == 200
    assert counters.frames_dropped > 0
    assert counters.frames_processed + counters.frames_dropped == 200


def test_stop_is_graceful_with_a_never_ending_camera(
    watchlist: Path, model_store: ModelStore
) -> None:
    live = MemoryCamera("live", blank_frames(5), loop=True, delay_s=0.01)
    built = build_deployment(deployment(watchlist, ["live"]), host_with({"live": live}),
                             model_store)
    built.pipeline.start()
    assert not built.pipeline.wait(timeout=0.5)
    built.pipeline.stop(timeout=5)
    assert built.pipeline.wait(timeout=0)
    assert not live.is_open
    assert built.pipeline.status["live"].state == "stopped"
    built.pipeline.stop()  # idempotent


def test_a_broken_file_source_is_not_reopened_and_others_go_on(
    watchlist: Path, model_store: ModelStore
) -> None:
    broken = MemoryCamera("file-cam", blank_frames(30), fail_after=10)
    broken.live = False  # type: ignore[attr-defined]
    steady = MemoryCamera("gate", blank_frames(30))
    built = build_deployment(deployment(watchlist, ["file-cam", "gate"]),
                             host_with({"file-cam": broken, "gate": steady}), model_store)
    built.pipeline.run(timeout=60)
    assert broken.opens == 1
    assert built.pipeline.status["file-cam"].state == "failed"
    assert built.pipeline.camera_counters("file-cam").frames_processed == 10
    assert built.pipeline.camera_counters("gate").frames_processed == 30


class BlockingSink:
    """A sink that cannot deliver until released, like a push service that is retrying."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.delivered: list[str] = []

    def emit(self, alert: Alert) -> None:
        self.release.wait(30)
        self.delivered.append(alert.entry_id)

    def close(self) -> None:
        pass


def test_a_slow_sink_does_not_hold_up_recognition_and_still_delivers(
    frames: list[Any], watchlist: Path, model_store: ModelStore
) -> None:
    cam = MemoryCamera("cam-1", frames)
    sink = BlockingSink()
    built = build_deployment(deployment(watchlist, ["cam-1"]), host_with({"cam-1": cam}),
                             model_store,
                             extra_sinks=[SinkRef(sink, ComponentRef("alert sink", "slow", "t"))])
    built.pipeline.start()
    assert built.pipeline.wait(timeout=120)
    assert built.pipeline.snapshot_counters().frames_processed == len(frames)
    assert built.pipeline.snapshot_counters().alerts == 1
    assert sink.delivered == []
    sink.release.set()
    built.pipeline.stop()
    assert sink.delivered == ["WL-obama"]
