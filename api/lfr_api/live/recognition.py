"""Detectors, recognisers and live matchers built from the plugins, kept for the app's life.

Enrolment uses a deployment's configured detector and recogniser; each live deployment has
one matcher per replica, kept equal to the stored watchlist (``lfr_api.live.watchlist_follow``).
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


@dataclass(slots=True)
class _Held:
    """A live matcher and what it holds: each entry's template image ids (``None``: not
    known, re-read at the next reconcile) and the watchlist version it was brought up to
    date at (``None``: not known)."""

    matcher: Matcher
    version: int | None
    images: dict[str, tuple[str, ...] | None]


class LiveMatchers:
    """One matcher per live deployment, updated in place as the watchlist changes (a running
    pipeline keeps the matcher it was built with, so it is never swapped under it)."""

    def __init__(self, host: PluginHost) -> None:
        self.host = host
        self._held: dict[str, _Held] = {}
        self._lock = threading.Lock()
        # One reconcile at a time: each reads the stored watchlist and applies it whole, so
        # a later reconcile (reading a later state) always has the last word.
        self._reconcile = threading.Lock()
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

    def start(self, deployment: Deployment, dimension: int, entries: dict[str, Templates],
              version: int | None = None,
              images: dict[str, tuple[str, ...]] | None = None) -> Matcher:
        """Build the deployment's matcher over ``entries`` (replacing any it had), read at
        watchlist ``version`` with each entry's template image ``images`` (if known)."""
        matcher = self.host.matchers.create(deployment.matcher, deployment.matcher_options,
                                            "matcher_options", dimension=dimension)
        for entry_id, templates in entries.items():
            matcher.add(entry_id, templates)
        known = images or {}
        held = _Held(matcher, version, {e: known.get(e) for e in entries})
        with self._lock:
            old = self._held.pop(deployment.id, None)
            self._held[deployment.id] = held
        if old is not None:
            old.matcher.destroy()
        log.info("live matcher for deployment %s holds %d entries", deployment.id, len(matcher))
        return matcher

    def get(self, deployment_id: str) -> Matcher | None:
        """The live matcher of a deployment, if it is live here."""
        with self._lock:
            held = self._held.get(deployment_id)
        return None if held is None else held.matcher

    def versions(self) -> dict[str, int | None]:
        """The watchlist version each live matcher here was last brought up to date at."""
        with self._lock:
            return {d: h.version for d, h in self._held.items()}

    def add(self, deployment_id: str, entry_id: str, templates: Templates) -> None:
        """Add an entry to the deployment's live matcher, if it has one."""
        with self._reconcile:
            with self._lock:
                held = self._held.get(deployment_id)
            if held is not None:
                held.matcher.add(entry_id, np.ascontiguousarray(templates, dtype=np.float32))
                held.images[entry_id] = None

    def remove(self, deployment_id: str, entry_id: str) -> None:
        """Remove an entry from the deployment's live matcher, if it has one."""
        with self._reconcile:
            with self._lock:
                held = self._held.get(deployment_id)
            if held is not None:
                held.matcher.remove(entry_id)
                held.images.pop(entry_id, None)

    def reconcile(self, deployment_id: str,
                  read: Callable[[], tuple[int, dict[str, tuple[str, ...]]]],
                  load: Callable[[str], tuple[tuple[str, ...], Templates]]
                  ) -> tuple[int, int] | None:
        """Make the deployment's matcher hold the stored watchlist: ``read()`` gives its
        version and each entry's template image ids, ``load(entry_id)`` an entry's image ids
        and templates. Entries gone are removed first; new or changed ones are (re)loaded.
        Returns ``(added or replaced, removed)``; ``None`` when it has no matcher here."""
        with self._reconcile:
            with self._lock:
                held = self._held.get(deployment_id)
            if held is None:
                return None
            version, wanted = read()
            gone = [e for e in held.images if e not in wanted]
            for entry_id in gone:
                held.matcher.remove(entry_id)
                del held.images[entry_id]
            changed = [e for e, ids in wanted.items() if held.images.get(e) != ids]
            for entry_id in changed:
                ids, templates = load(entry_id)
                if templates.size:
                    held.matcher.add(entry_id, np.ascontiguousarray(templates, dtype=np.float32))
                    held.images[entry_id] = ids
                else:  # deleted since it was read
                    held.matcher.remove(entry_id)
                    held.images.pop(entry_id, None)
                templates.fill(0.0)
            held.version = version
            return len(changed), len(gone)

    def stop(self, deployment_id: str) -> None:
        """Destroy the deployment's matcher (its templates are erased from memory)."""
        with self._reconcile:
            with self._lock:
                held = self._held.pop(deployment_id, None)
            if held is not None:
                held.matcher.destroy()

    def stop_all(self) -> None:
        """Destroy every matcher."""
        with self._lock:
            ids = list(self._held)
        for deployment_id in ids:
            self.stop(deployment_id)

    def __contains__(self, deployment_id: Any) -> bool:
        with self._lock:
            return deployment_id in self._held
