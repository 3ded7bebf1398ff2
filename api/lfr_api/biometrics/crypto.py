"""Encryption at rest of biometric data: AES-256-GCM under a configured data key.

Every stored item (a watchlist image or template, an alert's probe crop or template) is
``version ‖ key_id ‖ nonce ‖ ciphertext ‖ tag``: a fresh random 96-bit nonce per item, the
id of the key that encrypted it, and the item's table, id and part as associated data, so a
ciphertext moved to another item fails to decrypt. Only
:mod:`lfr_api.biometrics.storage` calls this.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from lfr_framework.errors import ConfigurationError, LFRError

log = logging.getLogger(__name__)

KEY_BYTES = 32
NONCE_BYTES = 12
KEY_ID_BYTES = 8
VERSION = b"\x01"
HEADER_BYTES = len(VERSION) + KEY_ID_BYTES + NONCE_BYTES
#: The development key (``LFR_DEV=1`` without a data key). It is public: data under it is
#: not protected, which the service announces at start-up and in ``/health``.
DEV_KEY = hashlib.sha256(b"lfr development data key: PUBLIC, protects nothing").digest()


class DataKeyError(LFRError):
    """An item cannot be decrypted with the keys given; nothing was changed."""


def key_id_of_key(key: bytes) -> str:
    """The short public id of a key (16 hex digits of a domain-separated SHA-256)."""
    return hashlib.sha256(b"lfr-data-key-id\x00" + key).hexdigest()[:2 * KEY_ID_BYTES]


@dataclass(frozen=True, slots=True)
class DataKey:
    """One 256-bit data key and its id."""

    key: bytes
    key_id: str

    @classmethod
    def from_bytes(cls, key: bytes, where: str = "data key") -> DataKey:
        """A key from its 32 raw bytes (``ConfigurationError`` naming ``where`` otherwise)."""
        if len(key) != KEY_BYTES:
            raise ConfigurationError(f"{where} must be {KEY_BYTES} bytes (base64 of 32 random "
                                     f"bytes), got {len(key)}")
        return cls(key, key_id_of_key(key))

    @classmethod
    def from_base64(cls, text: str, where: str = "data key") -> DataKey:
        """A key from base64 text (what ``lfr keys generate`` writes)."""
        try:
            raw = base64.b64decode(text.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise ConfigurationError(f"{where} is not valid base64") from None
        return cls.from_bytes(raw, where)

    @classmethod
    def from_file(cls, path: Path, where: str) -> DataKey:
        """A key from a file holding its base64 text."""
        try:
            text = path.expanduser().read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigurationError(f"{where} {path}: cannot read the key ({exc})") from None
        return cls.from_base64(text, f"{where} {path}")

    @classmethod
    def generate(cls) -> DataKey:
        """A new random key."""
        return cls.from_bytes(secrets.token_bytes(KEY_BYTES))

    def base64(self) -> str:
        """The key as base64 text."""
        return base64.b64encode(self.key).decode("ascii")

    def __repr__(self) -> str:
        return f"DataKey(key_id={self.key_id!r})"


def blob_key_id(blob: bytes) -> str:
    """The id of the key a stored item was encrypted under."""
    if len(blob) < HEADER_BYTES + 16 or blob[:1] != VERSION:
        raise DataKeyError("not an encrypted item (unknown format or truncated)")
    return blob[1:1 + KEY_ID_BYTES].hex()


class Keyring:
    """The key new items are encrypted under, plus older keys still accepted for reading
    (during a rotation). ``development`` marks the public development key."""

    def __init__(self, current: DataKey, previous: Iterable[DataKey] = (),
                 development: bool = False) -> None:
        self.current = current
        self.development = development
        self._keys: dict[str, DataKey] = {current.key_id: current}
        for key in previous:
            self._keys.setdefault(key.key_id, key)

    @property
    def key_ids(self) -> list[str]:
        """Ids of every key held, the current one first."""
        return list(self._keys)

    def encrypt(self, plaintext: bytes, aad: bytes) -> bytes:
        """``plaintext`` encrypted under the current key, bound to ``aad``."""
        nonce = os.urandom(NONCE_BYTES)
        header = VERSION + bytes.fromhex(self.current.key_id) + nonce
        return header + AESGCM(self.current.key).encrypt(nonce, plaintext, header + aad)

    def decrypt(self, blob: bytes, aad: bytes, what: str) -> bytes:
        """The plaintext of ``blob``; ``DataKeyError`` naming ``what`` and the key id it
        needs when no key held fits or the item was altered or moved."""
        key_id = blob_key_id(blob)
        key = self._keys.get(key_id)
        if key is None:
            raise DataKeyError(
                f"cannot decrypt {what}: it is encrypted under data key {key_id}, and this "
                f"service holds key(s) {', '.join(self.key_ids)}. Set LFR_DATA_KEY to the "
                f"right key (or give the old one as LFR_OLD_DATA_KEY during a rotation); "
                f"nothing was changed")
        header, body = blob[:HEADER_BYTES], blob[HEADER_BYTES:]
        try:
            return AESGCM(key.key).decrypt(header[1 + KEY_ID_BYTES:], body, header + aad)
        except InvalidTag:
            raise DataKeyError(
                f"cannot decrypt {what}: authentication failed under key {key_id} (the "
                f"stored bytes were altered or belong to another item); nothing was "
                f"changed") from None


def key_from_env(env: Mapping[str, str], name: str) -> DataKey | None:
    """The key in ``name`` (base64) or the file ``name_FILE`` names; ``None`` if neither."""
    value = env.get(name, "").strip()
    path = env.get(f"{name}_FILE", "").strip()
    if value and path:
        raise ConfigurationError(f"set {name} or {name}_FILE, not both")
    if value:
        return DataKey.from_base64(value, name)
    if path:
        return DataKey.from_file(Path(path), f"{name}_FILE")
    return None


def keyring_from_env(env: Mapping[str, str], dev_mode: bool) -> Keyring:
    """The service's keyring: ``LFR_DATA_KEY`` or ``LFR_DATA_KEY_FILE`` (base64 of 32 bytes),
    plus ``LFR_OLD_DATA_KEY[_FILE]`` during a rotation. Without a key the service refuses to
    start, unless ``dev_mode`` (``LFR_DEV=1``), which uses the public development key."""
    current = key_from_env(env, "LFR_DATA_KEY")
    old = key_from_env(env, "LFR_OLD_DATA_KEY")
    if current is None:
        if not dev_mode:
            raise ConfigurationError(
                "LFR_DATA_KEY is not set: biometric data is stored encrypted and the service "
                "will not start without a data key. Create one with 'lfr keys generate --out "
                "FILE' and set LFR_DATA_KEY_FILE=FILE (or LFR_DEV=1 for development only)")
        return Keyring(DataKey.from_bytes(DEV_KEY), [old] if old else [], development=True)
    return Keyring(current, [old] if old else [])


def dev_mode_banner(keyring: Keyring) -> str:
    """The warning logged at start-up in development mode."""
    return (f"DEVELOPMENT MODE (LFR_DEV=1): NOT FOR REAL DEPLOYMENTS. Biometric data is "
            f"encrypted under the PUBLIC development key {keyring.current.key_id}, which "
            f"protects nothing; tokens may use a development secret. Set LFR_DATA_KEY and "
            f"LFR_JWT_SECRET and unset LFR_DEV for real use.")
