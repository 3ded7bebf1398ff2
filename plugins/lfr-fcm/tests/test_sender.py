"""FcmSender against a fake FCM v1 server on loopback, through firebase-admin's real path."""

from __future__ import annotations

import email.utils
import itertools
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lfr_fcm.options import FcmOptions
from lfr_fcm.report import FcmDeliveryError, Outcome
from lfr_fcm.sender import FcmSender
from lfr_fcm.testing import (
    PROJECT,
    FakeFcm,
    invalid_argument,
    throttled,
    unavailable,
    unregistered,
)
from lfr_fcm.tokens import DeviceToken, StaticTokenDirectory

PHONE_A = "phone-a-" + "a" * 140
PHONE_B = "phone-b-" + "b" * 140
PAYLOAD = {"type": "alert", "contract_version": "1", "alert_id": "al-1",
           "deployment_id": "dep-1", "camera_id": "cam-1", "score": "0.7100",
           "raised_at": "2024-05-01T09:30:02+00:00", "entry_reference": "W-1",
           "entry_category": "outstanding warrant"}
BACKOFF = 0.05


def _options(credentials_file: Path, fake: FakeFcm, **changes: object) -> FcmOptions:
    values: dict[str, object] = {
        "credentials_file": credentials_file, "endpoint": fake.url, "max_attempts": 3,
        "initial_backoff_s": BACKOFF, "max_backoff_s": 0.5, "timeout_s": 5}
    values.update(changes)
    return FcmOptions.model_validate(values)


@pytest.fixture
def directory() -> StaticTokenDirectory:
    return StaticTokenDirectory([PHONE_A, PHONE_B])


@pytest.fixture
def sender(credentials_file: Path, fake_fcm: FakeFcm,
           directory: StaticTokenDirectory) -> Iterator[FcmSender]:
    sender = FcmSender.from_options(_options(credentials_file, fake_fcm), directory)
    yield sender
    sender.close()


def test_success_sends_the_exact_message(sender: FcmSender, fake_fcm: FakeFcm) -> None:
    report = sender.send(PAYLOAD, [DeviceToken(PHONE_A, "officer-7")])
    assert [r.outcome for r in report.results] == [Outcome.DELIVERED]
    assert report.results[0].attempts == 1
    assert report.results[0].message_id == f"projects/{PROJECT}/messages/1"
    [sent] = fake_fcm.sends
    assert sent.project == PROJECT
    assert sent.headers["authorization"] == "Bearer fake-access-1"
    message = sent.body["message"]
    assert message["token"] == PHONE_A
    assert message["data"] == PAYLOAD
    assert message["android"] == {"priority": "high", "ttl": "900s"}
    assert message["apns"]["headers"]["apns-priority"] == "10"
    assert message["apns"]["headers"]["apns-push-type"] == "alert"
    assert message["notification"] == {"title": "LFR alert", "body": "Open the app to review it."}
    assert "validate_only" not in sent.body
    # The OAuth assertion was really signed with the key file's RSA key and checked.
    [claims] = fake_fcm.token_claims
    assert claims["iss"].startswith("firebase-adminsdk@")
    assert "https://www.googleapis.com/auth/firebase" in claims["scope"].split()


def test_unregistered_token_is_removed_and_reported(
    sender: FcmSender, fake_fcm: FakeFcm, directory: StaticTokenDirectory
) -> None:
    fake_fcm.script[PHONE_B] = [unregistered()]
    report = sender.send(PAYLOAD, directory.tokens_for("dep-1"))
    assert [r.outcome for r in report.results] == [Outcome.DELIVERED, Outcome.UNREGISTERED]
    assert "UnregisteredError (HTTP 404)" in (report.unregistered[0].error or "")
    assert [d.token for d in directory.tokens_for("dep-1")] == [PHONE_A]
    assert len(fake_fcm.sends_to(PHONE_B)) == 1  # never retried


def test_throttling_is_retried_after_retry_after(sender: FcmSender, fake_fcm: FakeFcm) -> None:
    fake_fcm.script[PHONE_A] = [throttled(retry_after="0.3")]
    report = sender.send(PAYLOAD, [PHONE_A])
    assert report.results[0].outcome is Outcome.DELIVERED
    assert report.results[0].attempts == 2
    first, second = fake_fcm.sends_to(PHONE_A)
    assert second.at - first.at >= 0.3  # Retry-After (0.3 s) beats the back-off (0.05 s)


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_retried_then_succeed(
    sender: FcmSender, fake_fcm: FakeFcm, status: int
) -> None:
    fake_fcm.script[PHONE_A] = [unavailable(status)]
    report = sender.send(PAYLOAD, [PHONE_A])
    assert report.results[0].outcome is Outcome.DELIVERED
    assert report.results[0].attempts == 2
    assert len(fake_fcm.sends_to(PHONE_A)) == 2  # firebase-admin's own retries are off


def test_persistent_failure_is_undelivered_after_max_attempts(
    sender: FcmSender, fake_fcm: FakeFcm
) -> None:
    fake_fcm.script[PHONE_B] = [unavailable(503), throttled(), unavailable(502)]
    start = time.monotonic()
    report = sender.send(PAYLOAD, [PHONE_A, PHONE_B])
    took = time.monotonic() - start
    assert [r.outcome for r in report.results] == [Outcome.DELIVERED, Outcome.FAILED]
    failed = report.failed[0]
    assert failed.attempts == 3
    assert failed.error is not None and "(HTTP 502)" in failed.error  # the last error
    sends = fake_fcm.sends_to(PHONE_B)
    assert len(sends) == 3 and len(fake_fcm.sends_to(PHONE_A)) == 1
    gaps = [b.at - a.at for a, b in itertools.pairwise(sends)]
    assert gaps[0] >= BACKOFF and gaps[1] >= 2 * BACKOFF  # exponential back-off
    assert took < 5
    assert "delivered to 1 of 2 device(s), 0 unregistered, 1 failed" in report.summary()
    assert PHONE_B not in report.summary()  # tokens are redacted in logs and errors


def test_retry_after_beyond_max_backoff_stops_at_once(
    sender: FcmSender, fake_fcm: FakeFcm
) -> None:
    fake_fcm.script[PHONE_A] = [throttled(retry_after="3600")]
    start = time.monotonic()
    report = sender.send(PAYLOAD, [PHONE_A])
    assert time.monotonic() - start < 2
    assert report.results[0].outcome is Outcome.FAILED
    assert report.results[0].attempts == 1
    assert "retry after 3600 s, beyond max_backoff_s 0.5" in (report.results[0].error or "")


def test_invalid_argument_is_not_retried(sender: FcmSender, fake_fcm: FakeFcm) -> None:
    fake_fcm.script[PHONE_A] = [invalid_argument()]
    report = sender.send(PAYLOAD, [PHONE_A])
    assert report.results[0].outcome is Outcome.FAILED
    assert report.results[0].attempts == 1
    assert "InvalidArgumentError (HTTP 400)" in (report.results[0].error or "")


def test_network_down_fails_after_retries_without_raising(
    credentials_file: Path, fake_fcm: FakeFcm
) -> None:
    fake_fcm.stop()  # neither the token endpoint nor FCM is listening
    sender = FcmSender.from_options(_options(credentials_file, fake_fcm))
    try:
        start = time.monotonic()
        report = sender.send(PAYLOAD, [PHONE_A, PHONE_B])
        assert time.monotonic() - start < 5
    finally:
        sender.close()
    assert [r.outcome for r in report.results] == [Outcome.FAILED, Outcome.FAILED]
    assert all(r.attempts == 3 for r in report.results)
    error = report.results[0].error or ""
    assert "/token" in error and "Connection refused" in error  # the OAuth exchange failed


def test_fcm_down_after_the_token_was_issued(sender: FcmSender, fake_fcm: FakeFcm) -> None:
    assert sender.send(PAYLOAD, [PHONE_A]).results[0].outcome is Outcome.DELIVERED
    fake_fcm.stop()
    report = sender.send(PAYLOAD, [PHONE_A])
    assert report.results[0].outcome is Outcome.FAILED
    assert report.results[0].attempts == 3
    assert "UnavailableError" in (report.results[0].error or "")


def test_dry_run_asks_fcm_to_validate_only(
    credentials_file: Path, fake_fcm: FakeFcm
) -> None:
    sender = FcmSender.from_options(_options(credentials_file, fake_fcm, dry_run=True))
    try:
        assert sender.send(PAYLOAD, [PHONE_A]).delivered
    finally:
        sender.close()
    assert fake_fcm.sends[0].body["validate_only"] is True


def test_bad_payloads_and_tokens_are_refused(sender: FcmSender, fake_fcm: FakeFcm) -> None:
    with pytest.raises(ValueError, match=r"must be strings; not so for \['score'\]"):
        sender.send({**PAYLOAD, "score": 0.71}, [PHONE_A])  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="a device token is empty"):
        sender.send(PAYLOAD, [""])
    assert fake_fcm.sends == []


def test_duplicate_tokens_are_sent_once(sender: FcmSender, fake_fcm: FakeFcm) -> None:
    report = sender.send(PAYLOAD, [PHONE_A, DeviceToken(PHONE_A, "officer-1")])
    assert len(report.results) == 1 and len(fake_fcm.sends) == 1


def test_closed_sender_refuses_to_send(sender: FcmSender) -> None:
    sender.close()
    sender.close()
    with pytest.raises(FcmDeliveryError, match="closed"):
        sender.send(PAYLOAD, [PHONE_A])


def test_retry_after_as_an_http_date_is_understood(sender: FcmSender, fake_fcm: FakeFcm) -> None:
    later = email.utils.format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
    fake_fcm.script[PHONE_A] = [throttled(retry_after=later)]
    report = sender.send(PAYLOAD, [PHONE_A])
    assert report.results[0].outcome is Outcome.FAILED
    assert "beyond max_backoff_s" in (report.results[0].error or "")
