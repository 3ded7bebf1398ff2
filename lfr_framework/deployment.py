"""Builds a running pipeline from a validated deployment file and the loaded plugins."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lfr_framework.config import DeploymentConfig
from lfr_framework.enrolment import enrol_directory
from lfr_framework.errors import ModelNotAvailableError
from lfr_framework.interfaces import CameraSource, Detector, Matcher, Recogniser
from lfr_framework.models.store import ModelStore
from lfr_framework.pipeline.faults import ComponentRef
from lfr_framework.pipeline.processor import SharedComponents
from lfr_framework.pipeline.quality import QualityGate
from lfr_framework.pipeline.runner import Pipeline, PipelineSettings, SinkRef
from lfr_framework.plugins import PluginHost
from lfr_framework.thresholds.lookup import find_calibration
from lfr_framework.thresholds.policy import OperatingPoint, operating_point
from lfr_framework.types import Alert


@dataclass(slots=True)
class BuiltDeployment:
    """A pipeline ready to start, and what it was built from."""

    config: DeploymentConfig
    pipeline: Pipeline
    components: SharedComponents
    watchlist_size: int
    operating_point: OperatingPoint


def validate_plugin_options(config: DeploymentConfig, host: PluginHost) -> None:
    """Check every component name and option against its plugin before building anything."""
    host.detectors.validate_options(config.detector.name, config.detector.options,
                                    "detector.options")
    host.recognisers.validate_options(config.recogniser.name, config.recogniser.options,
                                      "recogniser.options")
    host.matchers.validate_options(config.matcher.name, config.matcher.options, "matcher.options")
    for i, cam in enumerate(config.cameras):
        host.camera_sources.validate_options(cam.source, cam.options, f"cameras[{i}].options")
    for i, sink in enumerate(config.sinks):
        host.alert_sinks.validate_options(sink.name, sink.options, f"sinks[{i}].options")


def build_models(
    config: DeploymentConfig, host: PluginHost, store: ModelStore
) -> tuple[tuple[Detector, ComponentRef], tuple[Recogniser, ComponentRef]]:
    """Build the deployment's detector and recogniser."""
    det = host.detectors.get(config.detector.name)
    rec = host.recognisers.get(config.recogniser.name)
    detector = host.detectors.create(det.name, config.detector.options, "detector.options",
                                     models=store)
    recogniser = host.recognisers.create(rec.name, config.recogniser.options,
                                         "recogniser.options", models=store)
    return (
        (detector, ComponentRef("detector", det.name, det.plugin)),
        (recogniser, ComponentRef("recogniser", rec.name, rec.plugin)),
    )


def build_matcher(
    config: DeploymentConfig, host: PluginHost, dimension: int
) -> tuple[Matcher, ComponentRef]:
    """Build an empty matcher for templates of ``dimension``."""
    reg = host.matchers.get(config.matcher.name)
    matcher = host.matchers.create(reg.name, config.matcher.options, "matcher.options",
                                   dimension=dimension)
    return matcher, ComponentRef("matcher", reg.name, reg.plugin)


def build_deployment(
    config: DeploymentConfig,
    host: PluginHost,
    store: ModelStore,
    on_alert: Callable[[Alert], None] | None = None,
    extra_sinks: Sequence[SinkRef] = (),
) -> BuiltDeployment:
    """Validate, load models, enrol the watchlist, open nothing yet; return the pipeline."""
    validate_plugin_options(config, host)
    detector, recogniser = build_models(config, host, store)
    matcher = build_matcher(config, host, recogniser[0].dimension)
    gate = QualityGate(config.quality)
    entries = enrol_directory(config.watchlist.directory, detector[0], recogniser[0], gate,
                              config.watchlist.largest_face)
    for entry in entries:
        matcher[0].add(entry.entry_id, entry.templates)
    point = deployment_operating_point(config, host, store, recogniser[0], len(entries),
                                       sum(len(e.templates) for e in entries))
    components = SharedComponents.build(detector, recogniser, matcher)
    if config.pipeline.detector_per_camera:
        components.give_cameras_own_detectors(
            lambda: host.detectors.create(detector[1].name, config.detector.options,
                                          "detector.options", models=store),
            len(config.cameras))
    cameras: list[CameraSource] = [
        host.camera_sources.create(cam.source, cam.options, f"cameras[{i}].options",
                                   camera_id=cam.id, uri=cam.uri)
        for i, cam in enumerate(config.cameras)
    ]
    sinks = [
        SinkRef(host.alert_sinks.create(s.name, s.options, f"sinks[{i}].options"),
                ComponentRef("alert sink", s.name, host.alert_sinks.get(s.name).plugin))
        for i, s in enumerate(config.sinks)
    ]
    sinks.extend(extra_sinks)

    def raised(alert: Alert) -> None:
        if on_alert is not None:
            on_alert(alert)
        host.alert_raised(alert)

    settings = PipelineSettings(
        deployment_id=config.deployment.id,
        threshold=point.threshold,
        queue_size=config.pipeline.queue_size,
        realtime=config.pipeline.realtime,
        quality=config.quality,
        tracker=config.tracker,
        recognition=config.recognition,
        detection=config.detection,
    )
    pipeline = Pipeline(settings, components, cameras, sinks, on_alert=raised)
    return BuiltDeployment(config, pipeline, components, len(entries), point)


def deployment_operating_point(config: DeploymentConfig, host: PluginHost, store: ModelStore,
                               recogniser: Recogniser, entries: int, templates: int
                               ) -> OperatingPoint:
    """The threshold the deployment's policy gives for its watchlist, and its prediction."""
    found = find_calibration(host, store, recogniser.model_id, config.deployment.calibration)
    return operating_point(config.deployment.policy(),
                           found.calibration if found else None, model_id=recogniser.model_id,
                           entries=entries, templates=templates,
                           expected_faces=config.deployment.expected_faces)


def build_with_models(
    config: DeploymentConfig, host: PluginHost, store: ModelStore,
    on_alert: Callable[[Alert], None], announce: Callable[[str], None],
) -> BuiltDeployment:
    """Build the deployment, fetching any model it needs into the store first."""
    fetched: set[str] = set()
    while True:
        try:
            return build_deployment(config, host, store, on_alert=on_alert)
        except ModelNotAvailableError as exc:
            if not exc.model_id or exc.model_id in fetched:
                raise
            announce(f"fetching model {exc.model_id} into {store.root} …")
            store.fetch(exc.model_id)
            fetched.add(exc.model_id)
