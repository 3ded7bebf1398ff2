"""The retention engine: which records must go when, holds, and the sweep that deletes them.

Storage-agnostic: the service implements :class:`RetentionStore` over its tables (with the
helpers of :mod:`lfr_framework.retention.sql`). See docs/privacy-and-retention.md.
"""

from __future__ import annotations

from lfr_framework.retention.engine import (
    Clock,
    DeletionListener,
    RetentionEngine,
    SweepReport,
    Verdict,
    deletion_event,
    utc_now,
)
from lfr_framework.retention.errors import (
    HoldAlreadyReleasedError,
    HoldError,
    HoldTargetError,
    RetentionError,
)
from lfr_framework.retention.holds import hold_event, place_hold, release_hold
from lfr_framework.retention.items import (
    Deadline,
    DeletionEntry,
    DeploymentTimes,
    Hold,
    HoldType,
    RetentionItem,
)
from lfr_framework.retention.kinds import BIOMETRIC_KINDS, WATCHLIST_KINDS, RecordKind
from lfr_framework.retention.policies import ShortenedPolicy, validate_policy
from lfr_framework.retention.rules import (
    ALERT_BIOMETRICS_MAX_AGE,
    WATCHLIST_GRACE_AFTER_END,
    ceiling,
    earliest,
    watchlist_deadline,
)
from lfr_framework.retention.store import RetentionStore

__all__ = [
    "ALERT_BIOMETRICS_MAX_AGE",
    "BIOMETRIC_KINDS",
    "WATCHLIST_GRACE_AFTER_END",
    "WATCHLIST_KINDS",
    "Clock",
    "Deadline",
    "DeletionEntry",
    "DeletionListener",
    "DeploymentTimes",
    "Hold",
    "HoldAlreadyReleasedError",
    "HoldError",
    "HoldTargetError",
    "HoldType",
    "RecordKind",
    "RetentionEngine",
    "RetentionError",
    "RetentionItem",
    "RetentionStore",
    "ShortenedPolicy",
    "SweepReport",
    "Verdict",
    "ceiling",
    "deletion_event",
    "earliest",
    "hold_event",
    "place_hold",
    "release_hold",
    "utc_now",
    "validate_policy",
    "watchlist_deadline",
]
