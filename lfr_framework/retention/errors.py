"""Errors of the retention engine and of holds.

They derive from :class:`~lfr_framework.errors.LFRError`, so the CLI prints them as one
line and the service maps them to HTTP responses (``HoldTargetError`` → 404,
``HoldAlreadyReleasedError`` → 409).
"""

from __future__ import annotations

from lfr_framework.errors import LFRError


class RetentionError(LFRError):
    """The retention engine cannot decide or delete; nothing was deleted half-way."""


class HoldError(RetentionError):
    """A hold cannot be placed or released; the message says why."""


class HoldTargetError(HoldError):
    """A hold names an item that does not exist or was already deleted."""


class HoldAlreadyReleasedError(HoldError):
    """A hold that was already released was released again."""
