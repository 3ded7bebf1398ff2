"""Helpers the commands share: the plugin host, the model store, progress bars."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import click

from lfr_framework.config import ComponentConfig, DeploymentConfig
from lfr_framework.errors import ModelNotAvailableError
from lfr_framework.interfaces import Detector, Recogniser
from lfr_framework.models.store import ModelStore
from lfr_framework.plugins import PluginHost

T = TypeVar("T")


def load_host() -> PluginHost:
    """Load the installed plugins; print each plugin that failed, once, and go on."""
    host = PluginHost()
    for failure in host.failures:
        click.echo(
            f"warning: plugin {failure.name!r} from {failure.distribution!r} not loaded: "
            f"{failure.message}", err=True,
        )
    return host


def load_store(host: PluginHost) -> ModelStore:
    """The model store over the loaded plugins' declarations, at ``$LFR_HOME/models``."""
    return host.model_store()


def with_models(store: ModelStore, build: Callable[[], T]) -> T:
    """Run ``build``, fetching into the store (with a notice) each model it finds missing."""
    fetched: set[str] = set()
    while True:
        try:
            return build()
        except ModelNotAvailableError as exc:
            if not exc.model_id or exc.model_id in fetched:
                raise
            click.echo(f"fetching model {exc.model_id} into {store.root} …", err=True)
            store.fetch(exc.model_id)
            fetched.add(exc.model_id)


def component_choice(config: DeploymentConfig | None, detector: str | None,
                     recogniser: str | None, model: str | None
                     ) -> tuple[ComponentConfig, ComponentConfig]:
    """The detector and recogniser to use: a deployment file's, else the defaults, with the
    command line's names and recogniser model on top."""
    det = config.detector if config else ComponentConfig(name="mediapipe")
    rec = config.recogniser if config else ComponentConfig(name="arcface_onnx")
    if detector:
        det = ComponentConfig(name=detector)
    if recogniser:
        rec = ComponentConfig(name=recogniser)
    if model:
        rec = ComponentConfig(name=rec.name, options={**rec.options, "model": model})
    return det, rec


def build_detector_recogniser(host: PluginHost, store: ModelStore, det: ComponentConfig,
                              rec: ComponentConfig) -> tuple[Detector, Recogniser]:
    """Build a detector and a recogniser, fetching their models when missing."""
    def build() -> tuple[Detector, Recogniser]:
        return (host.detectors.create(det.name, det.options, "detector.options", models=store),
                host.recognisers.create(rec.name, rec.options, "recogniser.options",
                                        models=store))
    return with_models(store, build)
