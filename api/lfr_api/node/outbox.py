"""The node's outbox: every alert is posted until the service acknowledges it, and waits on
the node's disk meanwhile, so a killed node re-sends it when it starts again.

An alert is written to the :class:`~lfr_api.node.store.NodeStore` (crop encrypted) before
anything is sent, then posted in order to ``POST /ingest/alerts`` under an
``Idempotency-Key`` derived from what the alert *is* (:func:`alert_key`: deployment,
camera, track, entry, first-seen time), so a retry after a lost acknowledgement, or a
re-send after a crash, gives back the stored alert instead of a second one; it is removed
from the disk only once acknowledged. The store also keeps the pipeline's cool-down across
restarts: an alert for an entry already alerted on that camera within ``cooldown_s`` (of
frame time) is the same pass seen again after a restart, and is not raised twice.

Connection errors, timeouts, 408, 425, 429 and 5xx (a database outage is a 503) are retried
with exponential back-off for as long as the node runs; any other refusal (400, 401, 403,
404, 409 — the deployment closed —, 413, 422) is permanent: the alert is removed and
counted. Nothing biometric is logged.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from lfr_api.biometrics.storage import encode_jpeg
from lfr_api.node.store import NodeStore
from lfr_framework.types import Alert

log = logging.getLogger(__name__)
RETRYABLE = frozenset({408, 425, 429})
#: The pipeline's default cool-down (``RecognitionSettings.cooldown_s``).
DEFAULT_COOLDOWN_S = 60.0


@dataclass(slots=True)
class OutboxStats:
    """Counts only: what was acknowledged, retried, refused and left for the next start."""

    acknowledged: int = 0
    duplicates: int = 0
    attempts: int = 0
    rejected: int = 0
    #: Alerts of a pass already alerted before a restart (not raised again).
    suppressed: int = 0
    #: Alerts still on disk when the node stopped (sent at its next start).
    left_pending: int = 0
    last_error: str | None = None
    rejections: list[str] = field(default_factory=list)


def alert_key(alert: Alert) -> str:
    """The idempotency key of an alert: a digest of what it is (deployment, camera, track,
    entry, first-seen time), never of when or how often it was sent."""
    facts = "\x1f".join([alert.deployment_id, alert.camera_id, str(alert.track_id),
                         alert.entry_id, alert.first_seen_at.isoformat()])
    return "pass-" + hashlib.sha256(b"lfr-alert-key-v1\x1f" + facts.encode()).hexdigest()[:40]


def ingest_body(alert: Alert) -> dict[str, Any]:
    """The ``POST /ingest/alerts`` body of a core alert, without its probe crop."""
    return {
        "camera_id": alert.camera_id, "entry_id": alert.entry_id, "score": alert.score,
        "threshold": alert.threshold, "model_id": alert.model_id, "track_id": alert.track_id,
        "raised_at": alert.raised_at.isoformat(),
        "frame_timestamp": alert.frame_timestamp.isoformat(),
    }


class AlertOutbox:
    """Posts queued alerts on a background thread, in order, until each is acknowledged."""

    def __init__(self, http: httpx.Client, store: NodeStore, *, initial_backoff_s: float = 0.5,
                 max_backoff_s: float = 30.0, max_pending: int = 10_000,
                 cooldown_s: float = DEFAULT_COOLDOWN_S) -> None:
        self._http = http
        self.store = store
        self.initial_backoff_s = initial_backoff_s
        self.max_backoff_s = max_backoff_s
        self.max_pending = max_pending
        self.cooldown_s = cooldown_s
        self._cond = threading.Condition()
        self._closing = False
        self._give_up = False
        self._closed = threading.Event()
        self.stats = OutboxStats()
        self._thread = threading.Thread(target=self._run, name="lfr-node-outbox", daemon=True)
        self._thread.start()

    def __call__(self, alert: Alert) -> None:
        """Write an alert to disk and queue it (a ``Pipeline(on_alert=...)`` callback);
        never blocks on the API."""
        last = self.store.last_alert(alert.deployment_id, alert.camera_id, alert.entry_id)
        if last is not None and abs((alert.frame_timestamp - last).total_seconds()) < \
                self.cooldown_s:
            self.stats.suppressed += 1
            log.info("camera %s: an alert for a pass already alerted before a restart was "
                     "not raised again", alert.camera_id)
            return
        self._check_room()
        crop = encode_jpeg(alert.probe_crop) if alert.probe_crop is not None else None
        self.store.put_alert(alert_key(alert), ingest_body(alert), crop, alert.deployment_id)
        self._wake()

    def put(self, idempotency_key: str, body: dict[str, Any]) -> None:
        """Queue one ingest body under its idempotency key (its crop, if any, is encrypted)."""
        self._check_room()
        body = dict(body)
        crop_b64 = body.pop("probe_crop_jpeg_base64", None)
        crop = base64.b64decode(crop_b64) if crop_b64 else None
        self.store.put(idempotency_key, body, crop)
        self._wake()

    def _check_room(self) -> None:
        if self.store.pending() >= self.max_pending:
            raise OverflowError(f"the outbox holds {self.max_pending} unacknowledged "
                                "alerts: the service has been unreachable too long")

    def _wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    @property
    def pending(self) -> int:
        """Alerts not yet acknowledged (on disk)."""
        return self.store.pending()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self.store.pending() and not self._closing:
                    self._cond.wait(1.0)
            item = self.store.oldest()
            if item is None:
                break  # closing, and nothing left
            if self._deliver(item.key, item.body):
                self.store.remove(item.key)
            elif self._closing:
                break
        self._closed.set()

    def _deliver(self, key: str, body: dict[str, Any]) -> bool:
        """Post until acknowledged or refused for good; False only when closing."""
        delay = self.initial_backoff_s
        while True:
            self.stats.attempts += 1
            try:
                r = self._http.post("/ingest/alerts", json=body,
                                    headers={"Idempotency-Key": key})
                status: int | None = r.status_code
                why = f"HTTP {r.status_code}"
            except httpx.HTTPError as exc:
                status, why = None, f"{type(exc).__name__}: {exc}"
            if status in (200, 201):
                self.stats.acknowledged += 1
                self.stats.duplicates += status == 200
                return True
            if status is not None and status < 500 and status not in RETRYABLE:
                self.stats.rejected += 1
                self.stats.rejections.append(f"{key}: {why} {r.text[:200]}")
                log.error("alert %s refused by the service for good (%s): dropped", key, why)
                return True
            self.stats.last_error = why
            log.warning("alert %s not acknowledged (%s); retrying in %.1f s", key, why, delay)
            with self._cond:
                if self._cond.wait_for(lambda: self._give_up, delay):
                    return False
            delay = min(delay * 2, self.max_backoff_s)

    def close(self, flush_timeout_s: float = 10.0) -> None:
        """Keep posting for up to ``flush_timeout_s``; what is left stays on disk and is
        sent at the next start."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        deadline = time.monotonic() + flush_timeout_s
        while not self._closed.is_set() and time.monotonic() < deadline:
            self._closed.wait(0.05)
        with self._cond:
            self._give_up = True
            self._cond.notify_all()
        self._thread.join(timeout=max(self._http.timeout.read or 10.0, 1.0) + 1.0)
        self.stats.left_pending = self.store.pending()
        if self.stats.left_pending:
            log.warning("%d alert(s) not yet acknowledged by the service stay in %s and are "
                        "sent at the next start", self.stats.left_pending, self.store.path)
