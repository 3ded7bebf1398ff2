"""Errors of the audit trail."""

from __future__ import annotations

from lfr_framework.errors import LFRError


class AuditTrailError(LFRError):
    """The audit trail cannot be written or read; the message says what to run."""
