"""The node's disk state: a private file, crops only as ciphertext under the node's key,
an idempotency key that depends on what the alert is and nothing else."""

from __future__ import annotations

import stat
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lfr_api.biometrics.crypto import DataKeyError
from lfr_api.node.outbox import alert_key
from lfr_api.node.store import NodeStore, Position, node_keyring

from lfr_framework.types import Alert

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _alert(**changes: object) -> Alert:
    alert = Alert(alert_id="a", deployment_id="d", camera_id="cam-1", track_id=3,
                  entry_id="e", score=0.7, threshold=0.5, model_id="sface", raised_at=T0,
                  frame_timestamp=T0, first_seen_at=T0 - timedelta(seconds=1))
    return replace(alert, **changes)  # type: ignore[arg-type]


def test_the_idempotency_key_is_what_the_alert_is() -> None:
    key = alert_key(_alert())
    # Raised again (a new random id, a later raise time, another score): the same pass.
    assert alert_key(_alert(alert_id="b", raised_at=T0 + timedelta(seconds=9),
                            score=0.8)) == key
    for other in (dict(deployment_id="d2"), dict(camera_id="cam-2"), dict(track_id=4),
                  dict(entry_id="e2"), dict(first_seen_at=T0)):
        assert alert_key(_alert(**other)) != key, other


def test_the_file_is_private_and_crops_are_ciphertext(tmp_path: Path) -> None:
    path = tmp_path / "state" / "outbox.db"
    store = NodeStore(path, node_keyring("lfrk_one", env={}))
    crop = b"\xff\xd8\xff" + b"face-bytes" * 50
    assert store.put_alert("k1", {"camera_id": "cam-1", "entry_id": "e",
                                  "frame_timestamp": T0.isoformat()}, crop, "d")
    assert not store.put_alert("k1", {"camera_id": "cam-1", "entry_id": "e",
                                      "frame_timestamp": T0.isoformat()}, crop, "d")
    assert store.pending() == 1 and store.last_alert("d", "cam-1", "e") == T0
    store.set_position("d", "cam-1", Position("file:///v.mp4", T0, 42))
    assert store.position("d", "cam-1") == Position("file:///v.mp4", T0, 42)
    store.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert b"face-bytes" not in b"".join(p.read_bytes() for p in path.parent.iterdir())

    reopened = NodeStore(path, node_keyring("lfrk_one", env={}))
    item = reopened.oldest()
    assert item is not None and item.key == "k1"
    import base64
    assert base64.b64decode(item.body["probe_crop_jpeg_base64"]) == crop
    reopened.remove("k1")
    assert reopened.pending() == 0 and reopened.oldest() is None
    reopened.close()


def test_another_key_cannot_read_a_queued_crop(tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    store = NodeStore(path, node_keyring("lfrk_one", env={}))
    store.put("k1", {"camera_id": "cam-1"}, b"jpeg bytes")
    store.close()
    thief = NodeStore(path, node_keyring("lfrk_other", env={}))
    with pytest.raises(DataKeyError):
        thief.oldest(strict=True)
    item = thief.oldest()  # the alert still goes, without the crop
    assert item is not None and "probe_crop_jpeg_base64" not in item.body
    thief.close()


def test_a_node_data_key_from_the_environment_is_used_and_checked(tmp_path: Path) -> None:
    from lfr_api.biometrics.crypto import DataKey

    from lfr_framework.errors import ConfigurationError

    key = DataKey.generate()
    given = node_keyring("lfrk_one", env={"LFR_NODE_DATA_KEY": key.base64()})
    assert given.current.key_id == key.key_id
    assert node_keyring("lfrk_one", env={}).current.key_id != key.key_id
    for bad in ("not base64!", "c2hvcnQ="):
        with pytest.raises(ConfigurationError, match="LFR_NODE_DATA_KEY"):
            node_keyring("lfrk_one", env={"LFR_NODE_DATA_KEY": bad})
    with pytest.raises(ConfigurationError, match="not both"):
        node_keyring("lfrk_one", env={"LFR_NODE_DATA_KEY": key.base64(),
                                      "LFR_NODE_DATA_KEY_FILE": str(tmp_path / "k")})
