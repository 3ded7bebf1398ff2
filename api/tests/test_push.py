"""FCM push from the service: firebase-admin's real send path against a fake FCM v1 server
on loopback (``lfr_fcm.testing.FakeFcm``): success, UNREGISTERED (the device registration
is removed), 429/5xx retried with back-off then recorded as undelivered."""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from lfr_api.alerts.service import feed_backlog
from lfr_api.contract.schemas import validator
from lfr_api.contract.version import CONTRACT_VERSION
from lfr_api.feed.push import FcmSettings
from lfr_api.security.roles import Role
from lfr_api.testing.api import Api, build_api, enrol, now
from lfr_fcm.testing import FakeFcm, throttled, unavailable, unregistered, write_service_account

from lfr_framework.plugins import PluginHost


@pytest.fixture(scope="module")
def fake_fcm() -> Iterator[FakeFcm]:
    fake = FakeFcm(_KEY.public_key())
    yield fake
    fake.stop()


_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def push_api(plugin_host: PluginHost, database_url: str, fake_fcm: FakeFcm,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    key_file = write_service_account(tmp_path_factory.mktemp("fcm") / "sa.json", _KEY,
                                     fake_fcm.token_uri)
    settings = FcmSettings(credentials_file=key_file, endpoint=fake_fcm.url, max_attempts=3,
                           initial_backoff_s=0.1, max_backoff_s=0.4, timeout_s=5,
                           resend_every_s=3600)  # re-sends are run by hand here
    yield from build_api(plugin_host, database_url, fcm=settings)


@pytest.fixture
def deployment(push_api: Api, photo_bytes: dict[str, bytes]) -> dict[str, Any]:
    """A live deployment with one entry, a fresh officer assigned to it, and a node key."""
    api = push_api
    dep = api.deployment(live=True)
    entry = enrol(api, dep, [("obama.jpg", photo_bytes["obama"])], reference="WR-77",
                  category="outstanding_warrant").json()
    officer_id, headers = api.add_user(Role.officer)
    r = api.client.post(f"/deployments/{dep}/assignments", headers=api.headers[Role.admin],
                        json={"user_id": officer_id})
    assert r.status_code == 201, r.text
    return {"dep": dep, "entry": entry, "officer": officer_id, "headers": headers,
            "key": api.service_key(dep)}


def _device(api: Api, headers: dict[str, str], name: str) -> str:
    token = f"{name}-{uuid.uuid4().hex}"
    r = api.client.post("/devices", json={"token": token, "platform": "android"},
                        headers=headers)
    assert r.status_code == 201, r.text
    return token


def _raise(api: Api, d: dict[str, Any]) -> str:
    t = now().isoformat()
    key = {**d["key"], "Idempotency-Key": str(uuid.uuid4())}
    r = api.client.post("/ingest/alerts", headers=key,
                        json={"camera_id": "cam-1", "entry_id": d["entry"]["id"], "score": 0.61234,
                              **api.operating(d["dep"]), "raised_at": t,
                              "frame_timestamp": t})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _deliveries(api: Api, alert_id: str, timeout_s: float = 15.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        r = api.client.get(f"/alerts/{alert_id}/deliveries", headers=api.headers[Role.supervisor])
        assert r.status_code == 200, r.text
        if r.json():
            return list(r.json())
        time.sleep(0.05)
    raise AssertionError(f"no push delivery recorded for alert {alert_id}")


def test_alert_is_pushed_with_the_contract_payload(push_api: Api, deployment: dict[str, Any],
                                                   fake_fcm: FakeFcm) -> None:
    token = _device(push_api, deployment["headers"], "phone")
    alert_id = _raise(push_api, deployment)
    [record] = _deliveries(push_api, alert_id)
    assert record["status"] == "delivered" and record["delivered"] == 1
    assert record["devices"][0]["officer_id"] == deployment["officer"]
    assert record["devices"][0]["token"] == "…" + token[-6:]  # never the whole token
    [sent] = fake_fcm.sends_to(token)
    data = sent.body["message"]["data"]
    validator("fcm_payload").validate(data)
    assert data == {"type": "alert", "contract_version": CONTRACT_VERSION, "alert_id": alert_id,
                    "deployment_id": deployment["dep"], "camera_id": "cam-1",
                    "score": "0.6123", "raised_at": data["raised_at"],
                    "entry_reference": "WR-77", "entry_category": "outstanding_warrant"}
    assert sent.body["message"]["notification"]["body"] == "Open the app to review it."
    # Push records stay off the officers' feed.
    kinds = {m["type"] for m in feed_backlog(push_api.ctx, deployment["dep"], 0)}
    assert kinds == {"alert.raised"}
    # Decisions are not pushed.
    r = push_api.client.post(f"/alerts/{alert_id}/decision", headers=deployment["headers"],
                             json={"decision": "no_engage", "outcome": "not_located"})
    assert r.status_code == 200
    time.sleep(0.3)
    assert len(fake_fcm.sends_to(token)) == 1


def test_unregistered_token_is_removed_from_the_devices(
        push_api: Api, deployment: dict[str, Any], fake_fcm: FakeFcm) -> None:
    live = _device(push_api, deployment["headers"], "live")
    stale = _device(push_api, deployment["headers"], "stale")
    fake_fcm.script[stale] = [unregistered()]
    alert_id = _raise(push_api, deployment)
    [record] = _deliveries(push_api, alert_id)
    assert (record["status"], record["delivered"], record["unregistered"]) == ("delivered", 1, 1)
    outcomes = {d["token"]: d["outcome"] for d in record["devices"]}
    assert outcomes == {"…" + live[-6:]: "delivered", "…" + stale[-6:]: "unregistered"}
    assert len(fake_fcm.sends_to(stale)) == 1  # never retried
    listed = push_api.client.get("/devices", headers=deployment["headers"]).json()
    assert len(listed) == 1  # the stale registration is gone
    from lfr_api.devices.service import tokens_for_deployment
    assert tokens_for_deployment(push_api.ctx.db, deployment["dep"]) == [live]


def test_429_and_5xx_are_retried_with_back_off_then_recorded_undelivered(
        push_api: Api, deployment: dict[str, Any], fake_fcm: FakeFcm) -> None:
    token = _device(push_api, deployment["headers"], "busy")
    fake_fcm.script[token] = [throttled(), unavailable(503), unavailable(500)]
    alert_id = _raise(push_api, deployment)
    [record] = _deliveries(push_api, alert_id)
    assert (record["status"], record["delivered"], record["failed"]) == ("undelivered", 0, 1)
    [device] = record["devices"]
    assert device["attempts"] == 3 and "500" in device["error"]
    sends = fake_fcm.sends_to(token)
    assert len(sends) == 3
    gaps = [b.at - a.at for a, b in itertools.pairwise(sends)]
    assert gaps[0] >= 0.09 and gaps[1] >= 0.19  # 0.1 s, then doubled
    deadline = time.monotonic() + 10  # counted just after the record is written
    while push_api.ctx.delivery.failures < 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert push_api.ctx.delivery.failures >= 1
    # The device is kept: a throttled push says nothing about the phone.
    assert len(push_api.client.get("/devices", headers=deployment["headers"]).json()) == 1


def test_a_retried_push_that_gets_through_is_delivered(
        push_api: Api, deployment: dict[str, Any], fake_fcm: FakeFcm) -> None:
    token = _device(push_api, deployment["headers"], "flaky")
    fake_fcm.script[token] = [unavailable(503), throttled()]
    alert_id = _raise(push_api, deployment)
    [record] = _deliveries(push_api, alert_id)
    assert record["status"] == "delivered" and record["devices"][0]["attempts"] == 3
    assert len(fake_fcm.sends_to(token)) == 3


def test_no_device_is_recorded_as_undelivered(push_api: Api, deployment: dict[str, Any]) -> None:
    alert_id = _raise(push_api, deployment)
    [record] = _deliveries(push_api, alert_id)
    assert record["status"] == "no_devices" and record["devices"] == []


def test_deliveries_are_not_for_officers(push_api: Api, deployment: dict[str, Any]) -> None:
    alert_id = _raise(push_api, deployment)
    r = push_api.client.get(f"/alerts/{alert_id}/deliveries", headers=deployment["headers"])
    assert r.status_code == 403


def test_bad_fcm_settings_fail_at_start(tmp_path: Path) -> None:
    from lfr_api.feed.push import fcm_publisher

    from lfr_framework.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="does not exist"):
        fcm_publisher(FcmSettings(credentials_file=tmp_path / "missing.json"),
                      None)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="LFR_FCM_CREDENTIALS"):
        FcmSettings.from_env({"LFR_FCM_ENDPOINT": "http://127.0.0.1:1"})
    with pytest.raises(ConfigurationError, match="LFR_FCM_MAX_ATTEMPTS"):
        FcmSettings.from_env({"LFR_FCM_CREDENTIALS": "x.json", "LFR_FCM_MAX_ATTEMPTS": "many"})
    assert FcmSettings.from_env({}) is None
    parsed = FcmSettings.from_env({"LFR_FCM_CREDENTIALS": "~/sa.json",
                                   "LFR_FCM_MAX_ATTEMPTS": "2"})
    assert parsed is not None and parsed.max_attempts == 2
    assert "~" not in str(parsed.credentials_file)


def test_a_push_that_failed_is_sent_again_once_to_the_devices_that_missed_it(
        push_api: Api, deployment: dict[str, Any], fake_fcm: FakeFcm) -> None:
    from lfr_api.feed.push import FcmPublisher, resend_missed

    reached = _device(push_api, deployment["headers"], "reached")
    missed = _device(push_api, deployment["headers"], "missed")
    fake_fcm.script[missed] = [unavailable(503)] * 3  # every attempt of the first push fails
    alert_id = _raise(push_api, deployment)
    [record] = _deliveries(push_api, alert_id)
    assert (record["status"], record["failed"]) == ("partial", 1)
    [publisher] = [p for p in push_api.ctx.delivery.publishers if isinstance(p, FcmPublisher)]
    for _ in range(2):  # the re-send job runs twice: the missed phone gets it once
        assert resend_missed(publisher, publisher.ttl_s) >= 1
    assert len(fake_fcm.sends_to(reached)) == 1
    assert len(fake_fcm.sends_to(missed)) == 4  # 3 failed attempts, then the re-send
    records = push_api.client.get(f"/alerts/{alert_id}/deliveries",
                                  headers=push_api.headers[Role.supervisor]).json()
    assert [r["status"] for r in records] == ["partial", "delivered"]


@pytest.mark.parametrize("value", ["soon", "0", "-5"])
def test_a_bad_resend_interval_fails_at_start(value: str) -> None:
    from lfr_framework.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="LFR_FCM_RESEND_S"):
        FcmSettings.from_env({"LFR_FCM_CREDENTIALS": "/nowhere.json", "LFR_FCM_RESEND_S": value})
