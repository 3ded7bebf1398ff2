"""``FcmSender``: sends one alert payload to many devices with firebase-admin, with retries."""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Mapping, Sequence
from datetime import timedelta

import firebase_admin
from firebase_admin import messaging

from lfr_fcm import transport
from lfr_fcm.credentials import ServiceAccount, load_service_account
from lfr_fcm.options import FcmOptions
from lfr_fcm.payload import NOTIFICATION_BODY, NOTIFICATION_TITLE
from lfr_fcm.report import DeliveryReport, FcmDeliveryError, Outcome, TokenResult
from lfr_fcm.retry import RetryPolicy, classify
from lfr_fcm.tokens import DeviceToken, TokenDirectory, redact

log = logging.getLogger(__name__)

#: FCM's limit on messages in one ``send_each`` call.
_BATCH = 500


class FcmSender:
    """Sends alert payloads to devices through FCM, retrying what is worth retrying.

    A token FCM reports ``UNREGISTERED`` is removed through ``directory`` (when given).
    ``send`` never raises for a delivery problem: the report says what happened per device.
    """

    def __init__(
        self,
        account: ServiceAccount,
        *,
        project_id: str | None = None,
        directory: TokenDirectory | None = None,
        policy: RetryPolicy | None = None,
        timeout_s: float = 10.0,
        ttl_s: int = 900,
        dry_run: bool = False,
        endpoint: str | None = None,
    ) -> None:
        self._directory = directory
        self._policy = policy or RetryPolicy()
        self._ttl_s = ttl_s
        self._dry_run = dry_run
        self._app: firebase_admin.App | None = transport.create_app(
            account, project_id, timeout_s, endpoint)

    @classmethod
    def from_options(cls, options: FcmOptions, directory: TokenDirectory | None = None
                     ) -> FcmSender:
        """A sender configured by the ``fcm`` sink options; the key file is checked now."""
        account = load_service_account(options.credentials_file.expanduser())
        return cls(
            account,
            project_id=options.project_id,
            directory=directory,
            policy=RetryPolicy(options.max_attempts, options.initial_backoff_s,
                               options.max_backoff_s),
            timeout_s=options.timeout_s,
            ttl_s=options.ttl_s,
            dry_run=options.dry_run,
            endpoint=str(options.endpoint) if options.endpoint is not None else None,
        )

    @property
    def project_id(self) -> str:
        """The Firebase project messages are sent through."""
        return str(self._require_app().project_id)

    def send(self, alert_payload: Mapping[str, str],
             tokens: Sequence[DeviceToken | str]) -> DeliveryReport:
        """Send ``alert_payload`` (FCM data: flat strings) to each device; report per device."""
        _check_payload(alert_payload)
        devices = [t if isinstance(t, DeviceToken) else DeviceToken(t) for t in tokens]
        devices = list({d.token: d for d in devices}.values())
        if any(not d.token for d in devices):
            raise ValueError("a device token is empty")
        alert_id = alert_payload.get("alert_id", "?")
        results: dict[int, TokenResult] = {}
        pending = list(range(len(devices)))
        last_error: dict[int, str] = {}
        attempt = 0
        while pending and attempt < self._policy.max_attempts:
            attempt += 1
            outcomes = self._send_round([self._message(alert_payload, devices[i].token)
                                         for i in pending])
            retry_now: list[int] = []
            waits: list[float] = []
            for i, outcome in zip(pending, outcomes, strict=True):
                device = devices[i]
                if isinstance(outcome, str):
                    results[i] = TokenResult(device, Outcome.DELIVERED, attempt, message_id=outcome)
                    continue
                verdict = classify(outcome)
                last_error[i] = verdict.reason
                if verdict.action == "unregistered":
                    self._forget(device)
                    results[i] = TokenResult(device, Outcome.UNREGISTERED, attempt,
                                             error=verdict.reason)
                elif verdict.action == "retry" and (
                        verdict.retry_after is None
                        or verdict.retry_after <= self._policy.max_backoff_s):
                    retry_now.append(i)
                    waits.append(verdict.retry_after or 0.0)
                else:
                    if verdict.retry_after is not None:
                        last_error[i] += (
                            f"; server asked to retry after {verdict.retry_after:g} s, "
                            f"beyond max_backoff_s {self._policy.max_backoff_s:g}")
                    results[i] = TokenResult(device, Outcome.FAILED, attempt, error=last_error[i])
            pending = retry_now
            if pending and attempt < self._policy.max_attempts:
                time.sleep(max([self._policy.backoff(attempt), *waits]))
        for i in pending:
            results[i] = TokenResult(devices[i], Outcome.FAILED, attempt, error=last_error[i])
        report = DeliveryReport(alert_id, tuple(results[i] for i in range(len(devices))))
        (log.warning if report.failed else log.info)("%s", report.summary())
        return report

    def _message(self, data: Mapping[str, str], token: str) -> messaging.Message:
        ttl = timedelta(seconds=self._ttl_s)
        with warnings.catch_warnings():
            # firebase-admin 7.x deprecates ``token`` for ``fid`` (installation ids); phones
            # register FCM registration tokens, which FCM v1 still takes as ``token``.
            warnings.filterwarnings("ignore", "Message.token is deprecated",
                                    DeprecationWarning)
            return self._build(data, token, ttl)

    def _build(self, data: Mapping[str, str], token: str, ttl: timedelta) -> messaging.Message:
        return messaging.Message(
            token=token,
            data=dict(data),
            notification=messaging.Notification(title=NOTIFICATION_TITLE, body=NOTIFICATION_BODY),
            android=messaging.AndroidConfig(priority="high", ttl=ttl),
            apns=messaging.APNSConfig(
                headers={
                    "apns-priority": "10",
                    "apns-push-type": "alert",
                    "apns-expiration": str(int(time.time()) + self._ttl_s),
                },
                payload=messaging.APNSPayload(aps=messaging.Aps(sound="default")),
            ),
        )

    def _send_round(self, messages: list[messaging.Message]) -> list[str | Exception]:
        """One attempt for each message: its message id or the error it met."""
        app = self._require_app()
        out: list[str | Exception] = []
        for start in range(0, len(messages), _BATCH):
            chunk = messages[start:start + _BATCH]
            try:
                batch = messaging.send_each(chunk, dry_run=self._dry_run, app=app)
            except Exception as exc:  # e.g. the OAuth token could not be fetched
                out.extend(exc for _ in chunk)
                continue
            for response in batch.responses:
                if response.success:
                    out.append(str(response.message_id))
                else:
                    out.append(response.exception)
        return out

    def _forget(self, device: DeviceToken) -> None:
        log.info("FCM token %s (officer %s) is unregistered; removing it",
                 redact(device.token), device.officer_id)
        if self._directory is None:
            return
        try:
            self._directory.remove(device.token)
        except Exception as exc:
            log.error("could not remove unregistered FCM token %s: %s: %s",
                      redact(device.token), type(exc).__name__, exc)

    def _require_app(self) -> firebase_admin.App:
        if self._app is None:
            raise FcmDeliveryError("the FCM sender is closed")
        return self._app

    def close(self) -> None:
        """Release the firebase-admin app. Safe to call twice."""
        if self._app is not None:
            transport.delete_app(self._app)
            self._app = None


def _check_payload(payload: Mapping[str, str]) -> None:
    bad = [k for k, v in payload.items() if not isinstance(k, str) or not k
           or not isinstance(v, str)]
    if bad:
        raise ValueError(f"FCM data payload values must be strings; not so for {bad}")
