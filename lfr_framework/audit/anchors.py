"""Checkpoints of the trail kept outside the database, and the audit key from configuration."""

from __future__ import annotations

import json
import os
from pathlib import Path

from lfr_framework.audit.chain import Anchor
from lfr_framework.audit.errors import AuditTrailError


def write_checkpoint(path: Path, anchor: Anchor) -> None:
    """Write ``anchor`` as JSON (publish it, mail it, print it: anywhere the DB is not)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"seq": anchor.seq, "hash": anchor.hash}) + "\n",
                    encoding="utf-8")


def read_checkpoint(path: Path) -> Anchor:
    """Read a checkpoint written by :func:`write_checkpoint`; a bad file names itself."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        seq, digest = data["seq"], data["hash"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AuditTrailError(f"{path}: not an audit checkpoint ({exc})") from None
    if not isinstance(seq, int) or seq < 1 or not isinstance(digest, str) or len(digest) != 64:
        raise AuditTrailError(f"{path}: not an audit checkpoint (needs seq >= 1 and a "
                              f"64-character hash)")
    return Anchor(seq, digest)


def audit_key_from_env() -> bytes | None:
    """``LFR_AUDIT_KEY`` (text) or the bytes of ``LFR_AUDIT_KEY_FILE``; ``None`` if neither."""
    value = os.environ.get("LFR_AUDIT_KEY")
    if value:
        return value.encode("utf-8")
    path = os.environ.get("LFR_AUDIT_KEY_FILE")
    if path:
        try:
            data = Path(path).expanduser().read_bytes().strip()
        except OSError as exc:
            raise AuditTrailError(f"LFR_AUDIT_KEY_FILE {path}: {exc.strerror}") from None
        if not data:
            raise AuditTrailError(f"LFR_AUDIT_KEY_FILE {path} is empty")
        return data
    return None
