"""``lfr serve`` runs the pipelines of this host's live deployments in the API process.

:class:`LivePipelines` looks at the database every ``pipeline_poll_seconds``: a deployment
that went live gets a pipeline (its cameras from the database, its own detector and
recogniser, and the deployment's *live matcher*, which follows watchlist additions and
removals made on any replica, :mod:`lfr_api.live.watchlist_follow`); at each look a running
pipeline takes the deployment's recorded threshold (re-derived with each watchlist change,
on whichever replica made it); a deployment that closed, or whose authorised window ended,
has its pipeline stopped (and is closed). Alerts go through
:class:`lfr_api.live.inprocess.InProcessAlerts`: persisted first, then delivered. A
pipeline whose sources ended (a video file) is not started again. Counts (faces seen,
discarded, alerts — never a face) are stored every ``report_every_s`` and when a pipeline
stops (``lfr_api.counters``).

Across replicas, a deployment's cameras are run by one replica at a time: the one that
holds the lease ``pipeline:<deployment id>`` (``lfr_api.db.leases``). The others look again
at each poll, and take over when the owner stops or dies (its lock goes with its
connection); an owner that lost its lease (the database restarted) stops its pipeline.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from datetime import datetime

from sqlmodel import col, select

from lfr_api.context import AppContext, leases_of
from lfr_api.counters.service import CounterReporter, in_process_sender
from lfr_api.db.leases import Lease
from lfr_api.db.models import Camera, Deployment
from lfr_api.db.types import utcnow
from lfr_api.deployments import service as deployments
from lfr_api.deployments.operating_point import operating_threshold
from lfr_api.live.inprocess import InProcessAlerts
from lfr_api.live.watchlist_follow import build_matcher
from lfr_framework.errors import PipelineError
from lfr_framework.interfaces import CameraSource
from lfr_framework.pipeline.faults import ComponentRef
from lfr_framework.pipeline.processor import SharedComponents
from lfr_framework.pipeline.runner import CameraStatus, Pipeline, PipelineSettings
from lfr_framework.types import Alert, PipelineCounters

log = logging.getLogger(__name__)


def release(*components: object) -> None:
    """Close models that can be closed (a detector's runtime, say), now rather than at GC."""
    for component in components:
        close = getattr(component, "close", None)
        if callable(close):
            try:
                close()
            except Exception as exc:
                log.warning("closing %r failed: %s", component, exc)


def build_pipeline(ctx: AppContext, deployment: Deployment, cameras: list[Camera]) -> Pipeline:
    """A pipeline (not started) for a live deployment, over its live matcher."""
    host, store = ctx.host, ctx.recognition.store
    matcher = ctx.matchers.get(deployment.id)
    if matcher is None:
        # Started on another replica (or before this one started): build it here.
        with ctx.db.session() as session:
            build_matcher(ctx, session, deployment)
        matcher = ctx.matchers.get(deployment.id)
    if matcher is None:
        raise PipelineError(f"deployment {deployment.id} has no live matcher")
    if not cameras:
        raise PipelineError(f"deployment {deployment.id} has no camera")
    det = host.detectors.get(deployment.detector)
    rec = host.recognisers.get(deployment.recogniser)
    mat = host.matchers.get(deployment.matcher)
    detector = host.detectors.create(det.name, deployment.detector_options,
                                     "detector_options", models=store)
    recogniser = host.recognisers.create(rec.name, deployment.recogniser_options,
                                         "recogniser_options", models=store)
    components = SharedComponents.build(
        (detector, ComponentRef("detector", det.name, det.plugin)),
        (recogniser, ComponentRef("recogniser", rec.name, rec.plugin)),
        (matcher, ComponentRef("matcher", mat.name, mat.plugin)))
    # BlazeFace runs on one core: each camera detects with its own (docs/performance.md §1).
    components.give_cameras_own_detectors(
        lambda: host.detectors.create(det.name, deployment.detector_options,
                                      "detector_options", models=store), len(cameras))
    sources: list[CameraSource] = [
        host.camera_sources.create(c.source, c.options, f"cameras.{c.camera_id}.options",
                                   camera_id=c.camera_id, uri=c.uri)
        for c in cameras]
    settings = PipelineSettings(
        deployment_id=deployment.id,
        threshold=operating_threshold(ctx, deployment),
        # Live cameras drop the oldest frames under overload; files are read in full.
        realtime=any(getattr(s, "live", True) for s in sources))
    store_alert = InProcessAlerts(ctx)

    def on_alert(alert: Alert) -> None:
        store_alert(alert)
        host.alert_raised(alert)

    return Pipeline(settings, components, sources, on_alert=on_alert)


def _camera_view(pipeline: Pipeline) -> dict[str, tuple[CameraStatus, PipelineCounters]]:
    return {cam.camera_id: (dataclasses.replace(pipeline.status[cam.camera_id]),
                            dataclasses.replace(pipeline.camera_counters(cam.camera_id)))
            for cam in pipeline.cameras}


class LivePipelines:
    """Starts and stops the pipelines of live deployments (see the module docstring)."""

    def __init__(self, ctx: AppContext, report_every_s: float = 60.0) -> None:
        self.ctx = ctx
        self.report_every_s = report_every_s
        self.running: dict[str, Pipeline] = {}
        self._reporters: dict[str, CounterReporter] = {}
        #: Deployments whose pipeline ended or could not be built: not retried.
        self.done: dict[str, str] = {}
        #: Each ended pipeline's last camera status and counters (numbers only), for health.
        self._ended: dict[str, dict[str, tuple[CameraStatus, PipelineCounters]]] = {}
        #: The lease of each running deployment's pipeline.
        self.leases: dict[str, Lease] = {}
        #: Deployments live here but run by another replica (their lease is taken).
        self.elsewhere: set[str] = set()
        self._lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        ctx.matchers.on_threshold(self._new_threshold)

    def _new_threshold(self, deployment_id: str, threshold: float) -> None:
        with self._lock:
            pipeline = self.running.get(deployment_id)
        if pipeline is not None:
            pipeline.set_threshold(threshold)

    def start(self) -> None:
        """Watch the database on a background thread."""
        self._thread = threading.Thread(target=self._loop, name="lfr-live-pipelines",
                                        daemon=True)
        self._thread.start()

    def alive(self) -> bool:
        """Whether the watcher thread runs (readiness reports it)."""
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        reported = time.monotonic()
        while not self._stop.is_set():
            try:
                self.sync()
            except Exception:
                log.exception("syncing live pipelines failed")
            if time.monotonic() - reported >= self.report_every_s:
                reported = time.monotonic()
                with self._lock:
                    running = list(self.running.items())
                for dep_id, pipeline in running:
                    self._report(dep_id, pipeline)
            self._stop.wait(self.ctx.settings.pipeline_poll_seconds)

    def _report(self, deployment_id: str, pipeline: Pipeline) -> None:
        """Store each camera's counts since the last report (a failed one is resent)."""
        reporter = self._reporters.get(deployment_id)
        if reporter is None:
            return
        for camera in pipeline.cameras:
            try:
                reporter.report(camera.camera_id, pipeline.camera_counters(camera.camera_id))
            except Exception as exc:
                log.warning("deployment %s camera %s: counts not stored yet: %s",
                            deployment_id, camera.camera_id, exc)

    def sync(self, now: datetime | None = None) -> None:
        """Start pipelines of deployments that are live, stop the others (one sync at a
        time; ``now`` lets a test move the clock)."""
        with self._sync_lock:
            self._sync(now or utcnow())

    def _sync(self, now: datetime) -> None:
        with self.ctx.db.session() as session:
            live = {d.id: d for d in session.exec(
                select(Deployment).where(Deployment.state == deployments.LIVE)).all()}
            expired = [d for d in live.values()
                       if d.authorised_end is not None and d.authorised_end <= now]
            cameras = {dep_id: list(session.exec(select(Camera)
                                                 .where(Camera.deployment_id == dep_id)
                                                 .order_by(col(Camera.camera_id))).all())
                       for dep_id in live}
        for deployment in expired:
            live.pop(deployment.id)
        ended = {d.id for d in expired}
        with self._lock:
            gone = [dep_id for dep_id in {*self.running, *self.leases} if dep_id not in live]
        for dep_id in gone:
            self._stop_one(dep_id, "the authorised window ended" if dep_id in ended
                           else "the deployment is no longer live")
        if expired:
            deployments.close_expired(self.ctx, now)
        for dep_id, deployment in live.items():
            with self._lock:
                known = dep_id in self.running or dep_id in self.done
            if not known:
                self._start_one(deployment, cameras[dep_id])
        with self._lock:
            finished = [d for d, p in self.running.items() if p.wait(timeout=0)]
            held = list(self.leases.items())
            running = [(live[d], p) for d, p in self.running.items() if d in live]
        for deployment, pipeline in running:
            self._follow_threshold(deployment, pipeline)
        for dep_id in finished:
            # The lease stays held while the deployment is live: another replica must not
            # take the cameras over and read the same files again.
            self._stop_one(dep_id, "its sources ended", keep_lease=True)
        for dep_id, lease in held:
            if dep_id not in finished and not lease.alive():
                log.error("deployment %s: the pipeline's lease was lost (database restart?); "
                          "stopping it here, the lease holder runs it", dep_id)
                self._stop_one(dep_id, "its lease was lost", final=False)

    def _follow_threshold(self, deployment: Deployment, pipeline: Pipeline) -> None:
        """Run at the recorded threshold: it is re-derived with each watchlist change, on
        whichever replica made it."""
        if not deployment.operating_point:
            return  # none recorded: the pipeline keeps the one it was built with
        threshold = operating_threshold(self.ctx, deployment)
        if pipeline.settings.threshold != threshold:
            log.info("deployment %s: pipeline threshold %s -> %s (the watchlist changed)",
                     deployment.id, pipeline.settings.threshold, threshold)
            pipeline.set_threshold(threshold)

    def _start_one(self, deployment: Deployment, cameras: list[Camera]) -> None:
        lease = leases_of(self.ctx).try_acquire(f"pipeline:{deployment.id}")
        if lease is None:
            if deployment.id not in self.elsewhere:
                log.info("deployment %s: its cameras run on another replica", deployment.id)
                self.elsewhere.add(deployment.id)
            return
        self.elsewhere.discard(deployment.id)
        try:
            pipeline = build_pipeline(self.ctx, deployment, cameras)
            pipeline.start()
        except Exception as exc:
            lease.release()
            log.error("deployment %s: pipeline not started: %s", deployment.id, exc)
            with self._lock:
                self.done[deployment.id] = f"not started: {exc}"
            return
        with self._lock:
            self.running[deployment.id] = pipeline
            self.leases[deployment.id] = lease
            self._reporters[deployment.id] = CounterReporter(
                in_process_sender(self.ctx, deployment.id))
        log.info("deployment %s: pipeline started with %d camera(s)", deployment.id,
                 len(cameras))

    def _stop_one(self, deployment_id: str, why: str, final: bool = True,
                  keep_lease: bool = False) -> None:
        with self._lock:
            pipeline = self.running.pop(deployment_id, None)
            lease = None if keep_lease else self.leases.pop(deployment_id, None)
            if final:
                self.done[deployment_id] = why
        if pipeline is not None:
            pipeline.stop()
            with self._lock:
                self._ended[deployment_id] = _camera_view(pipeline)
            self._report(deployment_id, pipeline)
        if lease is not None:
            lease.release()
        if pipeline is not None:
            # The matcher is the deployment's live matcher (LiveMatchers owns it).
            release(*pipeline.components.detectors(), pipeline.components.recogniser)
            log.info("deployment %s: pipeline stopped (%s): %s", deployment_id, why,
                     pipeline.snapshot_counters().as_dict())

    def cameras(self, deployment_id: str) -> dict[str, tuple[CameraStatus, PipelineCounters]]:
        """Each camera's status and counters in this replica's pipeline of the deployment
        (running, or as it ended); empty when it runs none."""
        with self._lock:
            pipeline = self.running.get(deployment_id)
            if pipeline is None:
                return dict(self._ended.get(deployment_id, {}))
        return _camera_view(pipeline)

    def stop_all(self) -> None:
        """Stop watching and stop every pipeline (their leases go with them)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        with self._lock:
            ids = list({*self.running, *self.leases})
        for dep_id in ids:
            self._stop_one(dep_id, "the service is stopping")
