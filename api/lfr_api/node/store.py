"""The node's durable state on its own disk: one SQLite file (mode 0600 in a 0700 folder).

It holds what must survive a crash (SIGKILL, power loss) of the node:

* the **outbox**: alerts not yet acknowledged by the service, in the order they were
  raised, each under its idempotency key; the probe crop only as AES-256-GCM ciphertext
  under the node's key (:func:`node_keyring`), bound to the alert's key;
* the **last alert per camera and watchlist entry** (its frame time), so that a restarted
  node keeps the pipeline's cool-down and does not raise a second alert for a pass whose
  alert it already raised;
* the **position of each finite source** (a video file): its start time and the frames
  already read, so a restarted node resumes there instead of replaying the file.

Nothing else about faces is kept: no template, no frame, no face that did not match.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from lfr_api.biometrics.crypto import DataKey, DataKeyError, Keyring, key_from_env

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    crop BLOB,
    queued_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS passes (
    deployment_id TEXT NOT NULL,
    camera_id TEXT NOT NULL,
    entry_id TEXT NOT NULL,
    frame_timestamp TEXT NOT NULL,
    PRIMARY KEY (deployment_id, camera_id, entry_id)
);
CREATE TABLE IF NOT EXISTS positions (
    deployment_id TEXT NOT NULL,
    camera_id TEXT NOT NULL,
    uri TEXT NOT NULL,
    start_time TEXT NOT NULL,
    frames INTEGER NOT NULL,
    PRIMARY KEY (deployment_id, camera_id)
);
"""
#: The associated data of a crop's ciphertext (with the alert's key appended).
CROP_AAD = b"lfr-node-outbox-crop\x00"


def node_keyring(api_key: str, env: Mapping[str, str] | None = None) -> Keyring:
    """The node's key for crops at rest: ``LFR_NODE_DATA_KEY`` or ``LFR_NODE_DATA_KEY_FILE``
    (base64 of 32 bytes), else one derived (HKDF-SHA256) from the node's API key, which
    lives in the environment, never on the node's disk."""
    given = key_from_env(os.environ if env is None else env, "LFR_NODE_DATA_KEY")
    if given is not None:
        return Keyring(given)
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"lfr-node-outbox-v1",
                   info=b"probe crops at rest").derive(api_key.encode())
    return Keyring(DataKey.from_bytes(derived))


def default_state_dir(home: Path, api_key: str) -> Path:
    """Where a node keeps its state by default: one folder per API key under ``home``."""
    return home / "node" / hashlib.sha256(api_key.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Pending:
    """One unacknowledged alert: its key, its ingest body (crop included) and its order."""

    seq: int
    key: str
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Position:
    """Where a finite source was: its first frame's time and the frames already read."""

    uri: str
    start_time: datetime
    frames: int


def _private_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path.parent, 0o700)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


class NodeStore:
    """The node's SQLite file (see the module docstring); safe to share between threads."""

    def __init__(self, path: Path, keyring: Keyring) -> None:
        self.path = path
        self.keyring = keyring
        _private_file(path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # An acknowledged write is on disk: a crash or power cut loses no queued alert.
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA secure_delete=ON")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()

    # -- the outbox ----------------------------------------------------------------------

    def _seal(self, key: str, crop_jpeg: bytes | None) -> bytes | None:
        return None if crop_jpeg is None else self.keyring.encrypt(crop_jpeg,
                                                                   CROP_AAD + key.encode())

    def put(self, key: str, body: dict[str, Any], crop_jpeg: bytes | None) -> bool:
        """Queue an alert (its crop encrypted); False when ``key`` is already queued."""
        crop = self._seal(key, crop_jpeg)
        with self._lock:
            cur = self._db.execute(
                "INSERT OR IGNORE INTO outbox (key, body, crop, queued_at) VALUES (?, ?, ?, ?)",
                (key, json.dumps(body), crop, time.time()))
            return cur.rowcount == 1

    def oldest(self, *, strict: bool = False) -> Pending | None:
        """The oldest unacknowledged alert, its crop decrypted into the body. A crop the
        node's key cannot decrypt (the key changed) is left out, so the alert still goes;
        ``strict`` raises ``DataKeyError`` instead."""
        with self._lock:
            row = self._db.execute(
                "SELECT seq, key, body, crop FROM outbox ORDER BY seq LIMIT 1").fetchone()
        if row is None:
            return None
        seq, key, body_text, crop = row
        body: dict[str, Any] = json.loads(body_text)
        if crop is not None:
            try:
                jpeg = self.keyring.decrypt(crop, CROP_AAD + key.encode(),
                                            f"the crop of queued alert {key}")
            except DataKeyError as exc:
                if strict:
                    raise
                log.error("%s: the alert is sent without it", exc)
            else:
                body["probe_crop_jpeg_base64"] = base64.b64encode(jpeg).decode("ascii")
        return Pending(int(seq), str(key), body)

    def remove(self, key: str) -> None:
        """Forget an alert (acknowledged, or refused for good)."""
        with self._lock:
            self._db.execute("DELETE FROM outbox WHERE key = ?", (key,))

    def pending(self) -> int:
        """How many alerts wait for an acknowledgement."""
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM outbox").fetchone()[0])

    # -- passes already alerted ----------------------------------------------------------

    def last_alert(self, deployment_id: str, camera_id: str, entry_id: str) -> datetime | None:
        """The frame time of the last alert for this entry on this camera, if any."""
        with self._lock:
            row = self._db.execute(
                "SELECT frame_timestamp FROM passes WHERE deployment_id = ? AND camera_id = ? "
                "AND entry_id = ?", (deployment_id, camera_id, entry_id)).fetchone()
        return None if row is None else datetime.fromisoformat(row[0])

    def put_alert(self, key: str, body: dict[str, Any], crop_jpeg: bytes | None,
                  deployment_id: str) -> bool:
        """Queue an alert and note its pass in one transaction; False if already queued."""
        crop = self._seal(key, crop_jpeg)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                cur = self._db.execute(
                    "INSERT OR IGNORE INTO outbox (key, body, crop, queued_at) "
                    "VALUES (?, ?, ?, ?)", (key, json.dumps(body), crop, time.time()))
                self._db.execute(
                    "INSERT INTO passes VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
                    "frame_timestamp = excluded.frame_timestamp",
                    (deployment_id, body["camera_id"], body["entry_id"],
                     body["frame_timestamp"]))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            return cur.rowcount == 1

    # -- positions of finite sources -----------------------------------------------------

    def position(self, deployment_id: str, camera_id: str) -> Position | None:
        """Where this camera's finite source was, if it was read before."""
        with self._lock:
            row = self._db.execute(
                "SELECT uri, start_time, frames FROM positions WHERE deployment_id = ? AND "
                "camera_id = ?", (deployment_id, camera_id)).fetchone()
        return None if row is None else Position(row[0], datetime.fromisoformat(row[1]),
                                                 int(row[2]))

    def set_position(self, deployment_id: str, camera_id: str, position: Position) -> None:
        """Remember how far this camera's finite source has been read."""
        with self._lock:
            self._db.execute(
                "INSERT INTO positions VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
                "uri = excluded.uri, start_time = excluded.start_time, "
                "frames = excluded.frames",
                (deployment_id, camera_id, position.uri, position.start_time.isoformat(),
                 position.frames))
