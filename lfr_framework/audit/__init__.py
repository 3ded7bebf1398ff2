"""The tamper-evident (hash-chained) audit trail: pure chain logic and checkpoints.

The SQL storage is :mod:`lfr_framework.audit.sql` (needs SQLAlchemy). See
docs/privacy-and-retention.md for what verification does and does not detect.
"""

from __future__ import annotations

from lfr_framework.audit.anchors import audit_key_from_env, read_checkpoint, write_checkpoint
from lfr_framework.audit.chain import (
    GENESIS_HASH,
    Anchor,
    AuditEntry,
    VerifyResult,
    canonical_json,
    entry_hash,
    format_time,
    next_entry,
    verify,
)
from lfr_framework.audit.errors import AuditTrailError

__all__ = [
    "GENESIS_HASH",
    "Anchor",
    "AuditEntry",
    "AuditTrailError",
    "VerifyResult",
    "audit_key_from_env",
    "canonical_json",
    "entry_hash",
    "format_time",
    "next_entry",
    "read_checkpoint",
    "verify",
    "write_checkpoint",
]
