"""Push alerts to officers' phones through Firebase Cloud Messaging, after they are stored.

:class:`FcmPublisher` is an :class:`lfr_api.feed.delivery.AlertPublisher`: for each committed
``alert.raised`` message it sends the FCM data payload of the mobile contract (no biometric
data, no image: the app fetches those over the API) to every registered phone of the
officers and supervisors assigned to the deployment, through ``lfr_fcm.FcmSender``
(firebase-admin). 429 and 5xx are retried with back-off; a token FCM reports
``UNREGISTERED`` is removed from ``devices``. The outcome per alert is appended to the
``alert_events`` outbox as a ``delivery.fcm`` event (never sent on the feed) and read back
by ``GET /alerts/{id}/deliveries``.

Each alert reaches each device once, however many replicas publish it: the push runs under
the alert's lease (``lfr_api.db.leases``, ``push:<alert id>``), and the devices already
pushed (``push_sends``, a digest of the token) are left out. A push that did not reach a
device (FCM failing, or the replica killed between storing the alert and pushing it) is
sent again by :func:`resend_missed` (one replica at a time, every ``LFR_FCM_RESEND_S``) while
the alert is pending and younger than the push's time to live.

Configured by ``LFR_FCM_CREDENTIALS`` (a Firebase service-account key file). The
``lfr-fcm`` distribution is imported only then.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import col, select

from lfr_api.contract.version import CONTRACT_VERSION
from lfr_api.db.engine import Database
from lfr_api.db.leases import Leases
from lfr_api.db.models import AlertEvent, Assignment, Device, PushSend, User
from lfr_api.db.types import utcnow
from lfr_api.devices.service import remove_token
from lfr_api.security.roles import Role
from lfr_framework.errors import ConfigurationError

if TYPE_CHECKING:
    from lfr_fcm import DeliveryReport, DeviceToken, FcmSender

    from lfr_api.health.metrics import AppMetrics

log = logging.getLogger(__name__)

#: The ``alert_events.kind`` of a push delivery record (not a feed message).
DELIVERY_KIND = "delivery.fcm"
#: Outcomes after which a device is not pushed the same alert again.
FINAL_OUTCOMES = ("delivered", "unregistered")
#: The longest a replica waits for another one pushing the same alert.
PUSH_LEASE_WAIT_S = 120.0
#: How often missed pushes are sent again by default, and the lease of that job.
RESEND_EVERY_S = 30.0
RESEND_LEASE = "push-resend"


def device_digest(token: str) -> str:
    """What ``push_sends`` keeps of a device: a digest of its token, never the token."""
    return hashlib.sha256(b"lfr-push-device\x00" + token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class FcmSettings:
    """FCM delivery settings, from ``LFR_FCM_*`` (see :meth:`from_env`)."""

    credentials_file: Path
    project_id: str | None = None
    #: TEST SEAM ONLY: replaces ``https://fcm.googleapis.com`` (a fake FCM on loopback).
    endpoint: str | None = None
    max_attempts: int = 5
    initial_backoff_s: float = 0.5
    max_backoff_s: float = 8.0
    timeout_s: float = 10.0
    ttl_s: int = 900
    #: How often pushes that missed a device are sent again (``LFR_FCM_RESEND_S``).
    resend_every_s: float = 30.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> FcmSettings | None:
        """``None`` unless ``LFR_FCM_CREDENTIALS`` names the service-account key file."""
        path = env.get("LFR_FCM_CREDENTIALS", "")
        if not path:
            if env.get("LFR_FCM_ENDPOINT"):
                raise ConfigurationError("LFR_FCM_ENDPOINT is set but LFR_FCM_CREDENTIALS "
                                         "is not: FCM needs a service-account key file")
            return None
        return cls(
            credentials_file=Path(path).expanduser(),
            project_id=env.get("LFR_FCM_PROJECT_ID") or None,
            endpoint=env.get("LFR_FCM_ENDPOINT") or None,
            max_attempts=int(_number(env, "LFR_FCM_MAX_ATTEMPTS", 5)),
            initial_backoff_s=_number(env, "LFR_FCM_INITIAL_BACKOFF_S", 0.5),
            max_backoff_s=_number(env, "LFR_FCM_MAX_BACKOFF_S", 8.0),
            timeout_s=_number(env, "LFR_FCM_TIMEOUT_S", 10.0),
            ttl_s=int(_number(env, "LFR_FCM_TTL_S", 900)),
            resend_every_s=_positive(env, "LFR_FCM_RESEND_S", 30.0),
        )


def _positive(env: Mapping[str, str], name: str, default: float) -> float:
    value = _number(env, name, default)
    if not value > 0:
        raise ConfigurationError(f"{name} must be a positive number of seconds, got {value}")
    return value


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "")
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number, got {raw!r}") from None


class DeviceDirectory:
    """``lfr_fcm.TokenDirectory`` over the ``devices`` table."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def tokens_for(self, deployment_id: str) -> list[DeviceToken]:
        """The phones of the active officers and supervisors assigned to the deployment."""
        from lfr_fcm import DeviceToken

        with self.db.session() as session:
            rows = session.exec(
                select(Device.token, Device.user_id)
                .join(User, col(User.id) == col(Device.user_id))
                .join(Assignment, col(Assignment.user_id) == col(User.id))
                .where(Assignment.deployment_id == deployment_id, col(User.active).is_(True),
                       col(User.role).in_([Role.officer.value, Role.supervisor.value]))
                .order_by(col(Device.created_at))).all()
        return [DeviceToken(token, user_id) for token, user_id in rows]

    def remove(self, token: str) -> None:
        """FCM said UNREGISTERED: forget the device registration."""
        remove_token(self.db, token)


def fcm_payload(alert: Mapping[str, Any]) -> dict[str, str]:
    """The FCM data payload (mobile contract) of a feed message's ``alert``."""
    from lfr_fcm import EntryFacts, build_payload

    from lfr_framework.types import Alert

    entry = alert["watchlist_entry"]
    raised = datetime.fromisoformat(alert["raised_at"])
    seen = datetime.fromisoformat(alert["frame_timestamp"])
    core = Alert(alert_id=alert["id"], deployment_id=alert["deployment_id"],
                 camera_id=alert["camera"]["id"], track_id=0, entry_id=entry["id"] or "",
                 score=float(alert["score"]), threshold=float(alert["threshold"]),
                 model_id=alert["model_id"], raised_at=raised, frame_timestamp=seen,
                 first_seen_at=seen)
    return build_payload(core, EntryFacts(entry["reference"], entry["category"]),
                         CONTRACT_VERSION)


def delivery_record(report: DeliveryReport | None) -> dict[str, Any]:
    """What is kept about one push: counts and, per device, a shortened token, the
    officer, the outcome, the attempts and the last error (no payload, no biometrics)."""
    from lfr_fcm.tokens import redact

    results = list(report.results) if report is not None else []
    delivered = sum(r.outcome.value == "delivered" for r in results)
    failed = sum(r.outcome.value == "failed" for r in results)
    if not results:
        status = "no_devices"
    elif delivered == 0:
        status = "undelivered"
    else:
        status = "partial" if failed else "delivered"
    return {
        "channel": "fcm", "status": status, "at": utcnow().isoformat(),
        "delivered": delivered, "failed": failed,
        "unregistered": sum(r.outcome.value == "unregistered" for r in results),
        "devices": [{"token": redact(r.device.token), "officer_id": r.device.officer_id,
                     "outcome": r.outcome.value, "attempts": r.attempts, "error": r.error}
                    for r in results],
    }


class FcmPublisher:
    """Pushes each new alert to the deployment's phones and records what happened."""

    name = "fcm"

    def __init__(self, sender: FcmSender, directory: DeviceDirectory, db: Database,
                 leases: Leases | None = None) -> None:
        self.sender = sender
        self.directory = directory
        self.db = db
        self.leases = leases or Leases(db.engine)
        self.metrics: AppMetrics | None = None
        #: How long a push is worth sending (FCM's time to live), and how often one that
        #: missed a device is sent again.
        self.ttl_s = 900.0
        self.resend_every_s = RESEND_EVERY_S

    def publish(self, message: dict[str, Any], only_missing: bool = False) -> None:
        """Push an ``alert.raised`` message (others are not pushed); raise when it reached
        no device or left one undelivered, after recording the outcome. ``only_missing``:
        a re-send, which records nothing when every device has it (or there is none)."""
        from lfr_fcm import FcmDeliveryError

        if message.get("type") != "alert.raised":
            return
        alert = message["alert"]
        lease = self.leases.acquire(f"push:{alert['id']}", timeout_s=PUSH_LEASE_WAIT_S)
        if lease is None:
            raise TimeoutError(f"alert {alert['id']}: another replica has been pushing it "
                               f"for {PUSH_LEASE_WAIT_S:.0f} s; not pushed from here")
        try:
            devices = self.directory.tokens_for(alert["deployment_id"])
            done = self._pushed(alert["id"])
            todo = [d for d in devices if device_digest(d.token) not in done]
            if (devices or only_missing) and not todo:
                log.debug("alert %s: every device has it already", alert["id"])
                return
            report = self.sender.send(fcm_payload(alert), todo) if todo else None
            record = delivery_record(report)
            if self.metrics is not None:
                self.metrics.delivered("push", int(record["delivered"]))
            with self.db.session() as session:
                session.add(AlertEvent(deployment_id=alert["deployment_id"],
                                       alert_id=alert["id"], kind=DELIVERY_KIND,
                                       payload=record))
                for result in report.results if report is not None else ():
                    if result.outcome.value in FINAL_OUTCOMES:
                        session.add(PushSend(alert_id=alert["id"],
                                             device=device_digest(result.device.token),
                                             outcome=result.outcome.value))
        finally:
            lease.release()
        if record["status"] != "delivered":
            summary = report.summary() if report is not None else (
                f"alert {alert['id']}: no device registered for its officers")
            raise FcmDeliveryError(summary, report)

    def _pushed(self, alert_id: str) -> set[str]:
        with self.db.session() as session:
            return set(session.exec(select(PushSend.device)
                                    .where(PushSend.alert_id == alert_id)).all())

    def close(self) -> None:
        """Release the firebase-admin app. It closes its HTTP client with ``asyncio.run``,
        which cannot run on the app's event loop: so on a thread of its own."""
        worker = threading.Thread(target=self.sender.close, name="lfr-fcm-close")
        worker.start()
        worker.join(timeout=30)




def resend_missed(publisher: FcmPublisher, within_s: float) -> int:
    """Push again every pending alert raised in the last ``within_s`` seconds to the
    devices that have not had it; returns how many alerts were tried."""
    from datetime import timedelta

    from lfr_api.db.models import Alert

    since = utcnow() - timedelta(seconds=within_s)
    with publisher.db.session() as session:
        events = session.exec(
            select(AlertEvent).join(Alert, col(Alert.id) == col(AlertEvent.alert_id))
            .where(AlertEvent.kind == "alert.raised", col(AlertEvent.created_at) >= since,
                   Alert.state == "pending").order_by(col(AlertEvent.id))).all()
        messages: list[dict[str, Any]] = [
            {"type": e.kind, "cursor": e.id, "alert": e.payload} for e in events]
    for message in messages:
        try:
            publisher.publish(message, only_missing=True)
        except Exception as exc:
            log.warning("push of alert %s not delivered again yet: %s",
                        message["alert"]["id"], exc)
    return len(messages)


def resend_once(publisher: FcmPublisher) -> None:
    """One round of :func:`resend_missed` by the replica holding ``push-resend``."""
    with publisher.leases.hold(RESEND_LEASE) as lease:
        if lease is not None:
            resend_missed(publisher, publisher.ttl_s)


async def resend_loop(publisher: FcmPublisher, every_s: float = RESEND_EVERY_S) -> None:
    """Send missed pushes again every ``every_s`` (on a worker thread)."""
    import asyncio

    import anyio.to_thread

    while True:
        await asyncio.sleep(every_s)
        try:
            await anyio.to_thread.run_sync(resend_once, publisher)
        except Exception:
            log.exception("sending missed pushes again failed; next try in %.0f s", every_s)


def fcm_publisher(settings: FcmSettings, db: Database,
                  leases: Leases | None = None) -> FcmPublisher:
    """A publisher over ``devices``; the key file is checked now (``ConfigurationError``)."""
    try:
        from lfr_fcm import FcmSender
        from lfr_fcm.options import FcmOptions
    except ImportError:
        raise ConfigurationError("LFR_FCM_CREDENTIALS is set but the FCM plugin is not "
                                 "installed: pip install 'lfr-api[fcm]'") from None
    import pydantic

    try:
        options = FcmOptions(
            credentials_file=settings.credentials_file, project_id=settings.project_id,
            endpoint=settings.endpoint, max_attempts=settings.max_attempts,
            initial_backoff_s=settings.initial_backoff_s, max_backoff_s=settings.max_backoff_s,
            timeout_s=settings.timeout_s, ttl_s=settings.ttl_s)
    except pydantic.ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'options'}: {e['msg']}"
                             for e in exc.errors())
        raise ConfigurationError(f"LFR_FCM_* settings are not valid: {problems}") from None
    directory = DeviceDirectory(db)
    publisher = FcmPublisher(FcmSender.from_options(options, directory), directory, db, leases)
    publisher.ttl_s = float(settings.ttl_s)
    publisher.resend_every_s = settings.resend_every_s
    return publisher


def deliveries(db: Database, alert_id: str) -> list[dict[str, Any]]:
    """The push delivery records of an alert, oldest first."""
    with db.session() as session:
        rows = session.exec(select(AlertEvent).where(AlertEvent.alert_id == alert_id,
                                                     AlertEvent.kind == DELIVERY_KIND)
                            .order_by(col(AlertEvent.id))).all()
        return [dict(r.payload) for r in rows]
