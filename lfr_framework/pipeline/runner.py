"""Runs one deployment's cameras: a reader and a processor thread per camera."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lfr_framework.errors import CameraError, PipelineError
from lfr_framework.interfaces import AlertSink, CameraSource
from lfr_framework.pipeline.faults import ComponentRef, FaultLog
from lfr_framework.pipeline.frame_queue import FrameQueue
from lfr_framework.pipeline.policy import RecognitionSettings
from lfr_framework.pipeline.processor import FrameProcessor, SharedComponents
from lfr_framework.pipeline.quality import QualityGate, QualitySettings
from lfr_framework.pipeline.schedule import DetectionSettings
from lfr_framework.pipeline.timing import StageTimer
from lfr_framework.pipeline.tracker import TrackerSettings
from lfr_framework.types import Alert, PipelineCounters

log = logging.getLogger("lfr_framework.pipeline")


@dataclass(frozen=True, slots=True)
class ReconnectPolicy:
    """Exponential back-off for reopening a camera that dropped out."""

    initial_s: float = 0.5
    factor: float = 2.0
    max_s: float = 30.0

    def delays(self) -> Callable[[], float]:
        """A function returning the next delay each time it is called."""
        state = {"next": self.initial_s}

        def next_delay() -> float:
            delay = state["next"]
            state["next"] = min(delay * self.factor, self.max_s)
            return delay

        return next_delay


@dataclass(slots=True)
class CameraStatus:
    """What an operator sees about one camera."""

    camera_id: str
    state: str = "starting"  # starting, running, reconnecting, finished, failed, stopped
    outages: int = 0
    last_error: str | None = None
    outage_started: datetime | None = None
    outage_seconds: float = 0.0


@dataclass(slots=True)
class SinkRef:
    """An alert sink and where it comes from."""

    sink: AlertSink
    ref: ComponentRef


@dataclass(slots=True)
class PipelineSettings:
    """Everything the runner needs besides the components."""

    deployment_id: str
    threshold: float
    queue_size: int = 8
    realtime: bool = True
    quality: QualitySettings = field(default_factory=QualitySettings)
    tracker: TrackerSettings = field(default_factory=TrackerSettings)
    recognition: RecognitionSettings = field(default_factory=RecognitionSettings)
    detection: DetectionSettings = field(default_factory=DetectionSettings)
    reconnect: ReconnectPolicy = field(default_factory=ReconnectPolicy)


class Pipeline:
    """A deployment's running pipeline. ``start`` → (``wait``) → ``stop``.

    ``on_alert`` is called for each alert before the sinks (the service persists the
    alert there, so it is stored before it is delivered).
    """

    def __init__(
        self,
        settings: PipelineSettings,
        components: SharedComponents,
        cameras: Sequence[CameraSource],
        sinks: Sequence[SinkRef] = (),
        on_alert: Callable[[Alert], None] | None = None,
    ) -> None:
        if not cameras:
            raise PipelineError("a pipeline needs at least one camera")
        self.settings = settings
        self.components = components
        self.cameras = list(cameras)
        self.sinks = list(sinks)
        self.on_alert = on_alert
        self.counters = PipelineCounters()
        self.timer = StageTimer()
        self.faults = FaultLog()
        self.status = {cam.camera_id: CameraStatus(cam.camera_id) for cam in self.cameras}
        self._per_camera = {cam.camera_id: PipelineCounters() for cam in self.cameras}
        self._queues = {
            cam.camera_id: FrameQueue(settings.queue_size, block_when_full=not settings.realtime)
            for cam in self.cameras
        }
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._processors: list[FrameProcessor] = []
        self._alert_lock = threading.Lock()
        # Sinks (a phone push may take seconds to retry) run on their own thread, so a
        # slow delivery never holds up recognition; None tells the thread to finish.
        self._deliveries: queue.Queue[Alert | None] = queue.Queue()
        self._delivery_thread = threading.Thread(
            target=self._delivery_loop, name="lfr-delivery", daemon=True)
        self._started = False
        self._stopped = False

    # -- lifecycle ------------------------------------------------------------

    def start(self) -> None:
        """Start a reader and a processor thread per camera."""
        if self._started:
            raise PipelineError("the pipeline was already started")
        self._started = True
        gate = QualityGate(self.settings.quality)
        for index, cam in enumerate(self.cameras):
            processor = FrameProcessor(
                deployment_id=self.settings.deployment_id,
                camera_id=cam.camera_id,
                components=self.components.for_camera(index),
                quality=gate,
                tracker_settings=self.settings.tracker,
                recognition=self.settings.recognition,
                threshold=self.settings.threshold,
                counters=self._per_camera[cam.camera_id],
                timer=self.timer,
                faults=self.faults,
                detection=self.settings.detection,
            )
            self._processors.append(processor)
            for target, role in ((self._read_loop, "reader"), (self._process_loop, "worker")):
                thread = threading.Thread(
                    target=target,
                    args=(cam, processor) if role == "worker" else (cam,),
                    name=f"lfr-{role}-{cam.camera_id}",
                    daemon=True,
                )
                self._threads.append(thread)
        for thread in self._threads:
            thread.start()
        self._delivery_thread.start()
        log.info("pipeline for deployment %s started with %d camera(s)",
                 self.settings.deployment_id, len(self.cameras))

    def set_threshold(self, threshold: float) -> None:
        """Match at ``threshold`` from the next recognition on (the watchlist changed)."""
        self.settings.threshold = threshold
        for processor in self._processors:
            processor.threshold = threshold

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until every finite source is exhausted and processed; True if all finished."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in self._threads:
            remaining = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            thread.join(remaining)
        return not any(t.is_alive() for t in self._threads)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop reading, finish the frame in hand, close cameras and sinks. Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        self._stop.set()
        for frame_queue in self._queues.values():
            frame_queue.close()
        self.wait(timeout)
        if self._delivery_thread.is_alive():
            self._deliveries.put(None)
            self._delivery_thread.join(timeout)
        for cam in self.cameras:
            try:
                cam.close()
            except Exception as exc:
                log.warning("closing camera %s failed: %s", cam.camera_id, exc)
        for sink in self.sinks:
            try:
                sink.sink.close()
            except Exception as exc:
                self.faults.record(sink.ref, exc, "sink not closed cleanly")
        log.info("pipeline for deployment %s stopped: %s",
                 self.settings.deployment_id, self.snapshot_counters().as_dict())

    def run(self, timeout: float | None = None) -> PipelineCounters:
        """Start, wait for finite sources to finish, stop; return the counters."""
        self.start()
        try:
            self.wait(timeout)
        finally:
            self.stop()
        return self.snapshot_counters()

    def snapshot_counters(self) -> PipelineCounters:
        """The sum of every camera's counters, plus frames dropped by the queues."""
        total = PipelineCounters()
        total.add(self.counters)
        for counters in self._per_camera.values():
            total.add(counters)
        total.frames_dropped = sum(q.dropped for q in self._queues.values())
        total.camera_outages = sum(s.outages for s in self.status.values())
        return total

    def camera_counters(self, camera_id: str) -> PipelineCounters:
        """One camera's counters."""
        return self._per_camera[camera_id]

    # -- threads --------------------------------------------------------------

    def _read_loop(self, cam: CameraSource) -> None:
        queue = self._queues[cam.camera_id]
        status = self.status[cam.camera_id]
        counters = self._per_camera[cam.camera_id]
        next_delay = self.settings.reconnect.delays()
        opened = False
        try:
            while not self._stop.is_set():
                try:
                    if not opened:
                        cam.open()
                        opened = True
                        if status.state == "reconnecting":
                            self._end_outage(status)
                            next_delay = self.settings.reconnect.delays()
                        status.state = "running"
                    start = time.perf_counter()
                    frame = cam.read()
                    self.timer.add("decode", time.perf_counter() - start)
                except CameraError as exc:
                    opened = False
                    if not getattr(cam, "live", True):
                        # A file that is corrupt or cut short would only fail the same way
                        # again: report it once and end this camera, others carry on.
                        status.state = "failed"
                        status.last_error = str(exc)
                        log.error("camera %s failed and is not live, so it is not reopened: %s",
                                  cam.camera_id, exc)
                        return
                    self._begin_outage(cam, status, exc)
                    try:
                        cam.close()
                    except Exception as close_exc:
                        log.debug("closing %s after an outage failed: %s", cam.camera_id,
                                  close_exc)
                    self._stop.wait(next_delay())
                    continue
                if frame is None:
                    status.state = "finished"
                    return
                counters.frames_read += 1
                queue.put(frame)
        finally:
            if status.state not in ("finished", "failed"):
                status.state = "stopped"
            queue.close()

    def _begin_outage(self, cam: CameraSource, status: CameraStatus, exc: CameraError) -> None:
        if status.state != "reconnecting":
            status.outages += 1
            status.outage_started = datetime.now(UTC)
            log.warning("camera %s is down (%s); reconnecting with back-off, other cameras "
                        "carry on", cam.camera_id, exc)
        status.state = "reconnecting"
        status.last_error = str(exc)

    @staticmethod
    def _end_outage(status: CameraStatus) -> None:
        if status.outage_started is not None:
            lasted = (datetime.now(UTC) - status.outage_started).total_seconds()
            status.outage_seconds += lasted
            log.warning("camera %s is back after an outage of %.1f s", status.camera_id, lasted)
        status.outage_started = None

    def _process_loop(self, cam: CameraSource, processor: FrameProcessor) -> None:
        queue = self._queues[cam.camera_id]
        while True:
            frame = queue.get(timeout=0.5)
            if frame is None:
                if queue.closed and len(queue) == 0:
                    return
                continue
            for alert in processor.process(frame):
                self._dispatch(alert)

    def _dispatch(self, alert: Alert) -> None:
        with self._alert_lock:
            if self.on_alert is not None:
                try:
                    self.on_alert(alert)
                except Exception as exc:
                    # Persisted first, then delivered: an alert that could not be stored is
                    # not sent, so no officer acts on a record that does not exist.
                    self.counters.alerts_undelivered += 1
                    self.faults.record(ComponentRef("alert store", "on_alert", "core"), exc,
                                       "alert not stored and not delivered")
                    return
        log.info("alert %s: camera %s, entry %s, score %.3f", alert.alert_id, alert.camera_id,
                 alert.entry_id, alert.score)
        self._deliveries.put(alert)

    def _delivery_loop(self) -> None:
        while (alert := self._deliveries.get()) is not None:
            for sink in self.sinks:
                try:
                    sink.sink.emit(alert)
                except Exception as exc:
                    self.faults.record(sink.ref, exc, "alert not delivered by this sink")
