"""Runs a camera node: its deployment's pipeline, fed by the service, posting alerts back.

The node waits until its deployment is live, builds the detector, recogniser and matcher
the deployment names (from the plugins installed here), loads the watchlist templates
(memory only), starts the cameras, and then every ``poll_s``: re-reads the watchlist
(additions and removals reach the matcher), and stops when the deployment is no longer
live, its authorised window has ended, or every (file) source has ended. Alerts go to the
:class:`~lfr_api.node.outbox.AlertOutbox` (on the node's disk until acknowledged); a file
source resumes where an earlier run of this node left it (:mod:`lfr_api.node.resume`);
counts (faces seen, discarded, alerts — never a face) to ``POST /ingest/counters`` every
``report_every_s`` and at the end. The matcher's templates are erased at the end.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from lfr_api.counters.schemas import CountsIn
from lfr_api.counters.service import CounterReporter
from lfr_api.deployments.schemas import CameraOut, DeploymentOut, NodeConfiguration
from lfr_api.live.pipelines import release
from lfr_api.node import client
from lfr_api.node.outbox import AlertOutbox
from lfr_api.node.resume import ResumingSource, resume_plan
from lfr_api.node.store import NodeStore
from lfr_framework.errors import ConfigurationError
from lfr_framework.interfaces import CameraSource, Matcher
from lfr_framework.models.store import ModelStore
from lfr_framework.pipeline.faults import ComponentRef
from lfr_framework.pipeline.processor import SharedComponents
from lfr_framework.pipeline.runner import Pipeline, PipelineSettings
from lfr_framework.plugins import PluginHost
from lfr_framework.types import PipelineCounters, Templates

log = logging.getLogger(__name__)


@dataclass(slots=True)
class NodeResult:
    """How a node run ended (counts only)."""

    deployment_id: str
    reason: str
    counters: PipelineCounters


def _digest(model_id: str, templates: Templates) -> str:
    return hashlib.sha256(model_id.encode() + templates.tobytes()).hexdigest()


class WatchlistSync:
    """Keeps a matcher equal to the service's watchlist (add, replace, remove)."""

    def __init__(self, matcher: Matcher, model_id: str) -> None:
        self.matcher = matcher
        self.model_id = model_id
        self._known: dict[str, str] = {}

    def apply(self, entries: dict[str, tuple[str, Templates]]) -> None:
        """Make the matcher hold exactly ``entries``; templates of another model are refused."""
        for entry_id, (model_id, templates) in entries.items():
            if model_id != self.model_id:
                log.error("watchlist entry %s was templated with %s, not %s: skipped",
                          entry_id, model_id, self.model_id)
                continue
            digest = _digest(model_id, templates)
            if self._known.get(entry_id) != digest:
                self.matcher.add(entry_id, templates)
                self._known[entry_id] = digest
            templates.fill(0.0)
        for entry_id in [e for e in self._known if e not in entries]:
            self.matcher.remove(entry_id)
            del self._known[entry_id]


class NodeRunner:
    """A camera node for the deployment of ``key`` (see the module docstring)."""

    def __init__(self, api_url: str, key: str, *, host: PluginHost, store: ModelStore,
                 state: NodeStore, deployment_id: str | None = None, poll_s: float = 5.0,
                 report_every_s: float = 60.0,
                 outbox_backoff_s: tuple[float, float] = (0.5, 30.0)) -> None:
        self.http = client.node_http(api_url, key)
        self.host = host
        self.store = store
        self.state = state
        self.expected_deployment = deployment_id
        self.poll_s = poll_s
        self.outbox = AlertOutbox(self.http, state, initial_backoff_s=outbox_backoff_s[0],
                                  max_backoff_s=outbox_backoff_s[1])
        self.stop_event = threading.Event()
        self.pipeline: Pipeline | None = None
        self.report_every_s = report_every_s
        self.counts = CounterReporter(self._post_counts)

    def _post_counts(self, counts: CountsIn, key: str) -> None:
        try:
            r = self.http.post("/ingest/counters", json=counts.model_dump(mode="json"),
                               headers={"Idempotency-Key": key})
        except Exception as exc:
            raise client.NodeApiError(f"POST /ingest/counters: {exc}") from None
        if r.status_code not in (200, 201):
            raise client.NodeApiError(f"POST /ingest/counters: HTTP {r.status_code}",
                                      r.status_code)

    def report_counts(self) -> None:
        """Post each camera's counts since the last report (a failed one is resent)."""
        if self.pipeline is None:
            return
        for camera in self.pipeline.cameras:
            try:
                self.counts.report(camera.camera_id,
                                   self.pipeline.camera_counters(camera.camera_id))
            except client.NodeApiError as exc:
                log.warning("camera %s: counts not sent yet: %s", camera.camera_id, exc)

    def _config(self) -> NodeConfiguration:
        config = client.configuration(self.http)
        if self.expected_deployment and config.deployment.id != self.expected_deployment:
            raise ConfigurationError(
                f"this API key belongs to deployment {config.deployment.id}, not "
                f"{self.expected_deployment}")
        return config

    def _wait_live(self) -> NodeConfiguration | None:
        while not self.stop_event.is_set():
            try:
                config = self._config()
            except client.NodeApiError as exc:
                # Unreachable, overloaded or its database down (503): wait; a refusal
                # (bad key, another deployment) is final.
                if exc.status is not None and exc.status < 500 and exc.status != 429:
                    raise
                log.warning("%s; retrying in %.0f s", exc, self.poll_s)
            else:
                if config.deployment.state == "live":
                    return config
                if config.deployment.state == "closed":
                    return None
                log.info("deployment %s is %s; waiting for it to go live",
                         config.deployment.id, config.deployment.state)
            self.stop_event.wait(self.poll_s)
        return None

    def run(self) -> NodeResult:
        """Run until the deployment stops being live, the sources end, or :meth:`stop`."""
        config = self._wait_live()
        if config is None:
            self.outbox.close(0)
            return NodeResult(self.expected_deployment or "", "not live", PipelineCounters())
        deployment = config.deployment
        host = self.host
        det = host.detectors.get(deployment.detector)
        rec = host.recognisers.get(deployment.recogniser)
        mat = host.matchers.get(deployment.matcher)
        detector = host.detectors.create(det.name, deployment.detector_options,
                                         "detector_options", models=self.store)
        recogniser = host.recognisers.create(rec.name, deployment.recogniser_options,
                                             "recogniser_options", models=self.store)
        matcher = host.matchers.create(mat.name, deployment.matcher_options,
                                       "matcher_options", dimension=recogniser.dimension)
        sync = WatchlistSync(matcher, recogniser.model_id)
        reason = "stopped"
        try:
            listed = client.watchlist(self.http)
            sync.apply(listed.entries)
            rewind = PipelineSettings(deployment.id, 0.0).queue_size + 2
            cameras = [self._camera(deployment.id, c, rewind) for c in config.cameras]
            settings = PipelineSettings(
                deployment_id=deployment.id,
                threshold=listed.threshold,
                realtime=any(getattr(c, "live", True) for c in cameras))
            self.outbox.cooldown_s = settings.recognition.cooldown_s
            components = SharedComponents.build(
                (detector, ComponentRef("detector", det.name, det.plugin)),
                (recogniser, ComponentRef("recogniser", rec.name, rec.plugin)),
                (matcher, ComponentRef("matcher", mat.name, mat.plugin)))
            # BlazeFace runs on one core: each camera detects with its own.
            components.give_cameras_own_detectors(
                lambda: host.detectors.create(det.name, deployment.detector_options,
                                              "detector_options", models=self.store),
                len(cameras))
            self.pipeline = Pipeline(settings, components, cameras, on_alert=self.outbox)
            self.pipeline.start()
            log.info("node running deployment %s: %d camera(s), %d watchlist entries",
                     deployment.id, len(cameras), len(matcher))
            reason = self._supervise(deployment, sync)
        finally:
            if self.pipeline is not None:
                self.pipeline.stop()
                self.report_counts()
            matcher.destroy()
            extra = self.pipeline.components.detectors()[1:] if self.pipeline else []
            release(detector, *extra, recogniser)
            self.outbox.close()
        counters = self.pipeline.snapshot_counters() if self.pipeline else PipelineCounters()
        log.info("node stopped (%s): %s", reason, counters.as_dict())
        return NodeResult(deployment.id, reason, counters)

    def _camera(self, deployment_id: str, camera: CameraOut, rewind: int) -> CameraSource:
        """The camera's source; a finite one (a file) resumes where this node left it."""
        create = self.host.camera_sources.create
        where = f"cameras.{camera.camera_id}.options"
        source: CameraSource = create(camera.source, camera.options, where,
                                      camera_id=camera.camera_id, uri=camera.uri)
        if getattr(source, "live", True):
            return source
        start, skip = resume_plan(self.state, deployment_id, camera.camera_id, camera.uri)
        if "start_time" not in camera.options:
            try:
                source = create(camera.source, {**camera.options, "start_time": start}, where,
                                camera_id=camera.camera_id, uri=camera.uri)
            except ConfigurationError:
                log.info("camera %s: its source takes no start_time; frame times differ "
                         "after a restart", camera.camera_id)
        return ResumingSource(source, self.state, deployment_id, camera.uri, start, skip,
                              rewind)

    def _supervise(self, deployment: DeploymentOut, sync: WatchlistSync) -> str:
        assert self.pipeline is not None
        reported = time.monotonic()
        while not self.stop_event.wait(self.poll_s):
            if time.monotonic() - reported >= self.report_every_s:
                reported = time.monotonic()
                self.report_counts()
            ends = deployment.authorised_end
            if ends is not None and datetime.now(UTC) >= ends:
                return "the authorised window ended"
            if self.pipeline.wait(timeout=0):
                return "the sources ended"
            try:
                state = self._config().deployment.state
                if state != "live":
                    return f"the deployment is {state}"
                listed = client.watchlist(self.http)
                sync.apply(listed.entries)
                self.pipeline.set_threshold(listed.threshold)
            except client.NodeApiError as exc:
                if exc.status == 409:
                    return "the deployment is no longer live"
                log.warning("cannot refresh from the service (%s); carrying on", exc)
        return "stopped"

    def stop(self) -> None:
        """Ask :meth:`run` to stop (from another thread or a signal handler)."""
        self.stop_event.set()

    def close(self) -> None:
        """Stop the outbox (what it holds stays on disk) and release the HTTP client."""
        self.outbox.close(0)
        self.http.close()
