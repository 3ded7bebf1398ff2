"""The node's outbox: every alert is posted until the service acknowledges it.

Alerts wait in memory (never on disk: they carry the probe crop) and are posted in order
to ``POST /ingest/alerts`` with the core alert id as the ``Idempotency-Key``, so a retry
after a lost acknowledgement never makes a duplicate. Connection errors, timeouts, 408,
429 and 5xx are retried with exponential back-off for as long as the node runs; any other
refusal (400, 401, 403, 404, 409 — the deployment closed —, 413, 422) is permanent: the
alert is dropped and counted. Nothing biometric is logged.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import httpx

from lfr_api.biometrics.storage import encode_jpeg
from lfr_framework.types import Alert

log = logging.getLogger(__name__)
RETRYABLE = frozenset({408, 425, 429})


@dataclass(slots=True)
class OutboxStats:
    """Counts only: what was acknowledged, retried, refused and left behind."""

    acknowledged: int = 0
    duplicates: int = 0
    attempts: int = 0
    rejected: int = 0
    dropped_at_close: int = 0
    last_error: str | None = None
    rejections: list[str] = field(default_factory=list)


def ingest_body(alert: Alert) -> dict[str, Any]:
    """The ``POST /ingest/alerts`` body of a core alert (probe crop as base64 JPEG)."""
    body: dict[str, Any] = {
        "camera_id": alert.camera_id, "entry_id": alert.entry_id, "score": alert.score,
        "threshold": alert.threshold, "model_id": alert.model_id, "track_id": alert.track_id,
        "raised_at": alert.raised_at.isoformat(),
        "frame_timestamp": alert.frame_timestamp.isoformat(),
    }
    if alert.probe_crop is not None:
        body["probe_crop_jpeg_base64"] = base64.b64encode(
            encode_jpeg(alert.probe_crop)).decode("ascii")
    return body


class AlertOutbox:
    """Posts queued alerts on a background thread, in order, until each is acknowledged."""

    def __init__(self, http: httpx.Client, *, initial_backoff_s: float = 0.5,
                 max_backoff_s: float = 30.0, max_pending: int = 10_000) -> None:
        self._http = http
        self.initial_backoff_s = initial_backoff_s
        self.max_backoff_s = max_backoff_s
        self.max_pending = max_pending
        self._queue: deque[tuple[str, dict[str, Any]]] = deque()
        self._cond = threading.Condition()
        self._closing = False
        self._give_up = False
        self._closed = threading.Event()
        self.stats = OutboxStats()
        self._thread = threading.Thread(target=self._run, name="lfr-node-outbox", daemon=True)
        self._thread.start()

    def __call__(self, alert: Alert) -> None:
        """Queue an alert (a ``Pipeline(on_alert=...)`` callback); never blocks on the API."""
        self.put(alert.alert_id, ingest_body(alert))

    def put(self, idempotency_key: str, body: dict[str, Any]) -> None:
        """Queue one ingest body under its idempotency key."""
        with self._cond:
            if len(self._queue) >= self.max_pending:
                raise OverflowError(f"the outbox holds {self.max_pending} unacknowledged "
                                    "alerts: the service has been unreachable too long")
            self._queue.append((idempotency_key, body))
            self._cond.notify()

    @property
    def pending(self) -> int:
        """Alerts not yet acknowledged."""
        with self._cond:
            return len(self._queue)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closing:
                    self._cond.wait()
                if not self._queue:
                    break
                key, body = self._queue[0]
            done = self._deliver(key, body)
            with self._cond:
                if done and self._queue and self._queue[0][0] == key:
                    self._queue.popleft()
                if not done and self._closing:
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
        """Keep posting for up to ``flush_timeout_s``, then drop what is left (counted)."""
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
        with self._cond:
            self.stats.dropped_at_close = len(self._queue)
            self._queue.clear()
        if self.stats.dropped_at_close:
            log.error("%d alert(s) never acknowledged by the service were dropped at exit",
                      self.stats.dropped_at_close)
