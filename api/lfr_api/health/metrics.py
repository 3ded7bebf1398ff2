"""Prometheus metrics of a replica (``/metrics``) and of a camera node (``--metrics-port``).

What is measured: alerts ingested (by path: ``node`` or ``in_process``), delivered (by
channel: ``feed`` messages sent to officers, ``push`` devices reached), pending (awaiting a
decision, per deployment), open feed connections, the delivery latency (alert stored →
message sent on a feed), each dependency's state (1 up, 0 down), per camera the frames read
(their rate is the camera's fps) and dropped, per deployment the seconds spent in each
pipeline stage (``detect`` is the detector, ``align`` + ``embed`` the recogniser), and on a
node the alerts waiting in its outbox.

Labels are deployment ids, camera ids, stage and channel names only: nothing identifies a
person, a watchlist entry, an officer or a device. Each app has its own registry.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from lfr_framework.pipeline.runner import Pipeline

#: Delivery latency buckets (seconds): the target is p95 within 0.25 s.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
PipelinesOf = Callable[[], Iterable[tuple[str, Pipeline]]]


class FpsMeter:
    """Frames per second per camera, from the frame counts between two scrapes."""

    def __init__(self) -> None:
        self._last: dict[tuple[str, str], tuple[float, int]] = {}
        self._lock = threading.Lock()

    def rate(self, key: tuple[str, str], frames: int) -> float:
        """Frames per second since the previous call for ``key`` (0 at the first)."""
        now = time.monotonic()
        with self._lock:
            before = self._last.get(key)
            self._last[key] = (now, frames)
        if before is None or now <= before[0] or frames < before[1]:
            return 0.0
        return (frames - before[1]) / (now - before[0])


def pipeline_families(pipelines: Iterable[tuple[str, Pipeline]], fps: FpsMeter
                      ) -> Iterator[Metric]:
    """Per camera frames read, dropped and fps; per deployment seconds and calls by stage."""
    read = CounterMetricFamily("lfr_pipeline_frames_read", "Frames read from the camera",
                               labels=["deployment", "camera"])
    dropped = CounterMetricFamily("lfr_pipeline_frames_dropped",
                                  "Frames dropped (the pipeline was behind the camera)",
                                  labels=["deployment", "camera"])
    rate = GaugeMetricFamily("lfr_pipeline_fps", "Frames read per second since the last "
                             "scrape", labels=["deployment", "camera"])
    seconds = CounterMetricFamily("lfr_pipeline_stage_seconds", "Seconds spent in a stage "
                                  "(detect: the detector; align, embed: the recogniser)",
                                  labels=["deployment", "stage"])
    calls = CounterMetricFamily("lfr_pipeline_stage_calls", "Calls of a stage",
                                labels=["deployment", "stage"])
    running = 0
    for deployment_id, pipeline in pipelines:
        running += 1
        for camera in pipeline.cameras:
            counts = pipeline.camera_counters(camera.camera_id)
            labels = [deployment_id, camera.camera_id]
            read.add_metric(labels, counts.frames_read)
            dropped.add_metric(labels, counts.frames_dropped)
            rate.add_metric(labels, fps.rate((deployment_id, camera.camera_id),
                                             counts.frames_read))
        for stage, spent in pipeline.timer.as_dict().items():
            seconds.add_metric([deployment_id, stage], spent["seconds"])
            calls.add_metric([deployment_id, stage], spent["calls"])
    yield GaugeMetricFamily("lfr_pipelines_running", "Deployments whose pipeline runs here",
                            value=running)
    yield from (read, dropped, rate, seconds, calls)


class _StateCollector(Collector):
    """Read at scrape time: dependencies, pending alerts, the pipelines."""

    def __init__(self, metrics: AppMetrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        m = self.metrics
        up = GaugeMetricFamily("lfr_dependency_up", "1 when the dependency is up, 0 when down",
                               labels=["dependency"])
        for name, ok in sorted(m.dependencies.items()):
            up.add_metric([name], 1.0 if ok else 0.0)
        yield up
        if m.engine is not None and m.dependencies.get("database", False):
            pending = GaugeMetricFamily("lfr_alerts_pending", "Alerts awaiting an officer's "
                                        "decision", labels=["deployment"])
            try:
                with m.engine.connect() as conn:
                    rows = conn.execute(sa.text(
                        "SELECT deployment_id, count(*) FROM alerts WHERE state = 'pending' "
                        "GROUP BY deployment_id")).all()
            except sa.exc.SQLAlchemyError:
                rows = []
            for deployment_id, count in rows:
                pending.add_metric([str(deployment_id)], float(count))
            yield pending
        if m.pipelines_of is not None:
            yield from pipeline_families(m.pipelines_of(), m.fps)


class AppMetrics:
    """The replica's metrics (see the module docstring)."""

    def __init__(self, engine: sa.Engine | None = None) -> None:
        self.registry = CollectorRegistry()
        self.engine = engine
        self.fps = FpsMeter()
        #: Set before each scrape from the readiness checks (name → up).
        self.dependencies: dict[str, bool] = {}
        self.pipelines_of: PipelinesOf | None = None
        r = self.registry
        self.alerts_ingested = Counter("lfr_alerts_ingested", "Alerts stored (a retried "
                                       "ingest of a stored alert is not counted again)",
                                       ["path"], registry=r)
        self.alerts_delivered = Counter("lfr_alerts_delivered", "Alert messages delivered: "
                                        "feed messages sent, push devices reached",
                                        ["channel"], registry=r)
        self.feed_connections = Gauge("lfr_feed_connections", "Officers' feeds open on this "
                                      "replica", registry=r)
        self.delivery_latency = Histogram("lfr_alert_delivery_latency_seconds",
                                          "From an alert's storage to its message sent on an "
                                          "officer's feed", buckets=LATENCY_BUCKETS,
                                          registry=r)
        r.register(_StateCollector(self))

    def ingested(self, in_process: bool) -> None:
        """Count a new stored alert."""
        self.alerts_ingested.labels(path="in_process" if in_process else "node").inc()

    def delivered(self, channel: str, count: int = 1, stored_at: str | None = None) -> None:
        """Count delivered messages; a live feed message also gives its latency."""
        if count:
            self.alerts_delivered.labels(channel=channel).inc(count)
        if stored_at is not None:
            from datetime import UTC, datetime

            at = datetime.fromisoformat(stored_at)
            if at.tzinfo is None:
                at = at.replace(tzinfo=UTC)
            self.delivery_latency.observe(max(0.0, (datetime.now(UTC) - at).total_seconds()))


def node_registry(pending: Callable[[], int], stats: Any,
                  pipelines_of: PipelinesOf) -> CollectorRegistry:
    """A camera node's registry: its outbox depth and counts, and its pipeline."""
    registry = CollectorRegistry()
    fps = FpsMeter()

    class NodeCollector(Collector):
        def collect(self) -> Iterator[Metric]:
            yield GaugeMetricFamily("lfr_node_outbox_pending", "Alerts on the node's disk "
                                    "not yet acknowledged by the service", value=pending())
            yield CounterMetricFamily("lfr_node_alerts_acknowledged", "Alerts acknowledged",
                                      value=stats.acknowledged)
            yield CounterMetricFamily("lfr_node_alerts_refused", "Alerts refused for good",
                                      value=stats.rejected)
            yield CounterMetricFamily("lfr_node_ingest_attempts", "Ingest requests made",
                                      value=stats.attempts)
            yield from pipeline_families(pipelines_of(), fps)

    registry.register(NodeCollector())
    return registry
