"""Checking a retention policy against the core's limits, and shortening it per deployment."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from lfr_framework.errors import ConfigurationError
from lfr_framework.interfaces import RetentionPolicy
from lfr_framework.retention.items import Deadline, RetentionItem
from lfr_framework.retention.kinds import RecordKind
from lfr_framework.retention.rules import MAX_AGE_CEILINGS, earliest


def _days(period: timedelta | None) -> str:
    return "not limited" if period is None else f"{period / timedelta(days=1):g} days"


def validate_policy(policy: RetentionPolicy) -> None:
    """Raise ``ConfigurationError`` naming the kind if ``policy`` keeps anything longer than
    the core allows (alert biometrics 31 days, non-match data not at all)."""
    for kind, limit in MAX_AGE_CEILINGS.items():
        period = policy.max_age(kind.value)
        if period is None or period > limit:
            raise ConfigurationError(
                f"retention policy {policy.name!r}: {kind.value} may be kept at most "
                f"{_days(limit)}, the policy says {_days(period)}"
            )


class ShortenedPolicy:
    """A policy with shorter periods for some kinds, set by one deployment.

    ``overrides`` maps record kind names to periods counted from each item's
    ``created_at``; each must be no longer than the base policy's ``max_age`` for the kind
    (a ``ConfigurationError`` naming ``where.<kind>`` otherwise).
    """

    def __init__(self, base: RetentionPolicy, overrides: Mapping[str, timedelta],
                 where: str = "retention.periods") -> None:
        self._base = base
        self._overrides: dict[RecordKind, timedelta] = {}
        for key, period in overrides.items():
            try:
                kind = RecordKind(key)
            except ValueError:
                known = ", ".join(k.value for k in RecordKind)
                raise ConfigurationError(
                    f"{where}.{key}: unknown record kind; known: {known}") from None
            if period < timedelta(0):
                raise ConfigurationError(f"{where}.{key}: a period cannot be negative")
            limit = base.max_age(kind.value)
            if limit is not None and period > limit:
                raise ConfigurationError(
                    f"{where}.{key}: a deployment may only shorten retention periods; "
                    f"{_days(period)} is longer than the {_days(limit)} of policy "
                    f"{base.name!r}"
                )
            self._overrides[kind] = period
        self.name = f"{base.name}+shortened"

    def max_age(self, record_kind: str) -> timedelta | None:
        """The shorter of the override and the base policy's period."""
        base = self._base.max_age(record_kind)
        override = self._overrides.get(RecordKind(record_kind))
        if override is None:
            return base
        return override if base is None else min(base, override)

    def deadline(self, item: RetentionItem) -> Deadline | None:
        """The earlier of the base policy's deadline and ``created_at + override``."""
        base = self._base.deadline(item)
        override = self._overrides.get(item.kind)
        if override is None:
            return base
        short = Deadline(item.created_at + override, f"{self.name}:{item.kind.value}")
        return earliest(short, base)
