"""Detectors, recognisers and live matchers built from the plugins, kept for the app's life.

Enrolment uses a deployment's configured detector and recogniser; each live deployment has
one matcher that sees watchlist additions and removals at once.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from lfr_api.db.models import Deployment
from lfr_framework.enrolment import template_from_image
from lfr_framework.imaging import decode_image
from lfr_framework.interfaces import Detector, Matcher, Recogniser
from lfr_framework.models.store import ModelStore
from lfr_framework.pipeline.quality import QualityGate, QualitySettings
from lfr_framework.plugins import PluginHost
from lfr_framework.types import Templates

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Models:
    """A detector and recogniser pair, used under one lock (plugins need not be thread-safe)."""

    detector: Detector
    recogniser: Recogniser
    lock: threading.Lock


class Recognition:
    """Builds each (detector, recogniser) configuration once and enrols images with it."""

    def __init__(self, host: PluginHost, store: ModelStore) -> None:
        self.host = host
        self.store = store
        self._models: dict[str, Models] = {}
        self._lock = threading.Lock()
        self.gate = QualityGate(QualitySettings())

    def validate(self, deployment: Deployment) -> None:
        """Check the deployment's component names and options (``ConfigurationError``)."""
        self.host.detectors.validate_options(deployment.detector, deployment.detector_options,
                                             "detector_options")
        self.host.recognisers.validate_options(deployment.recogniser,
                                               deployment.recogniser_options,
                                               "recogniser_options")
        self.host.matchers.validate_options(deployment.matcher, deployment.matcher_options,
                                            "matcher_options")

    def models(self, deployment: Deployment) -> Models:
        """The deployment's detector and recogniser (built on first use)."""
        key = json.dumps([deployment.detector, deployment.detector_options,
                          deployment.recogniser, deployment.recogniser_options], sort_keys=True)
        with self._lock:
            found = self._models.get(key)
            if found is None:
                detector = self.host.detectors.create(
                    deployment.detector, deployment.detector_options, "detector_options",
                    models=self.store)
                recogniser = self.host.recognisers.create(
                    deployment.recogniser, deployment.recogniser_options,
                    "recogniser_options", models=self.store)
                found = Models(detector, recogniser, threading.Lock())
                self._models[key] = found
            return found

    def enrol(self, deployment: Deployment, images: list[tuple[str, bytes]]) -> list[Templates]:
        """One template per image, in order; ``ImageDecodeError`` or ``EnrolmentError``
        naming the first image that fails. Nothing is kept about failed images."""
        models = self.models(deployment)
        decoded = [decode_image(data, name) for name, data in images]
        out = []
        with models.lock:
            for (name, _), image in zip(images, decoded, strict=True):
                out.append(template_from_image(image, name, models.detector,
                                               models.recogniser, self.gate))
        return out

    def model_id(self, deployment: Deployment) -> str:
        """The recogniser's model id (templates from different models never mix)."""
        return self.models(deployment).recogniser.model_id


class LiveMatchers:
    """One matcher per live deployment, updated in place as the watchlist changes."""

    def __init__(self, host: PluginHost) -> None:
        self.host = host
        self._matchers: dict[str, Matcher] = {}
        self._lock = threading.Lock()
        self._threshold_listeners: list[Callable[[str, float], None]] = []

    def on_threshold(self, listener: Callable[[str, float], None]) -> None:
        """Call ``listener(deployment_id, threshold)`` whenever a threshold is re-derived."""
        self._threshold_listeners.append(listener)

    def set_threshold(self, deployment_id: str, threshold: float) -> None:
        """A deployment's threshold changed (its watchlist did): tell its pipelines now."""
        for listener in list(self._threshold_listeners):
            try:
                listener(deployment_id, threshold)
            except Exception:
                log.exception("deployment %s: a pipeline did not take the new threshold",
                              deployment_id)

    def start(self, deployment: Deployment, dimension: int,
              entries: dict[str, Templates]) -> Matcher:
        """Build the deployment's matcher over ``entries`` (replacing any it had)."""
        matcher = self.host.matchers.create(deployment.matcher, deployment.matcher_options,
                                            "matcher_options", dimension=dimension)
        for entry_id, templates in entries.items():
            matcher.add(entry_id, templates)
        with self._lock:
            old = self._matchers.pop(deployment.id, None)
            self._matchers[deployment.id] = matcher
        if old is not None:
            old.destroy()
        log.info("live matcher for deployment %s holds %d entries", deployment.id, len(matcher))
        return matcher

    def get(self, deployment_id: str) -> Matcher | None:
        """The live matcher of a deployment, if it is live here."""
        with self._lock:
            return self._matchers.get(deployment_id)

    def add(self, deployment_id: str, entry_id: str, templates: Templates) -> None:
        """Add an entry to the deployment's live matcher, if it has one."""
        matcher = self.get(deployment_id)
        if matcher is not None:
            matcher.add(entry_id, np.ascontiguousarray(templates, dtype=np.float32))

    def remove(self, deployment_id: str, entry_id: str) -> None:
        """Remove an entry from the deployment's live matcher, if it has one."""
        matcher = self.get(deployment_id)
        if matcher is not None:
            matcher.remove(entry_id)

    def stop(self, deployment_id: str) -> None:
        """Destroy the deployment's matcher (its templates are erased from memory)."""
        with self._lock:
            matcher = self._matchers.pop(deployment_id, None)
        if matcher is not None:
            matcher.destroy()

    def stop_all(self) -> None:
        """Destroy every matcher."""
        with self._lock:
            ids = list(self._matchers)
        for deployment_id in ids:
            self.stop(deployment_id)

    def __contains__(self, deployment_id: Any) -> bool:
        with self._lock:
            return deployment_id in self._matchers
