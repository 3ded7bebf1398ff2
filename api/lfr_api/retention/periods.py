"""A deployment's own, shorter retention periods: checking them and the policy they make.

A deployment stores ``retention_periods`` as ``{"alert_biometrics_days": 7,
"watchlist_hours_after_end": 2}`` (the option names and units of the default policy,
``plugins/lfr-retention-default``); a key left out keeps the service policy's period. Each
may only shorten: a longer value is a ``ConfigurationError`` naming
``retention_periods.<key>`` (the service answers 400 with that field).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from lfr_framework.errors import ConfigurationError
from lfr_framework.interfaces import RetentionPolicy
from lfr_framework.retention import (
    ALERT_BIOMETRICS_MAX_AGE,
    WATCHLIST_GRACE_AFTER_END,
    WATCHLIST_KINDS,
    Deadline,
    RecordKind,
    RetentionItem,
    ShortenedPolicy,
    earliest,
    watchlist_deadline,
)

WHERE = "retention_periods"
ALERT_DAYS = "alert_biometrics_days"
WATCHLIST_HOURS = "watchlist_hours_after_end"
#: Each key a deployment may set, and its unit.
UNITS: dict[str, timedelta] = {ALERT_DAYS: timedelta(days=1), WATCHLIST_HOURS: timedelta(hours=1)}


@dataclass(frozen=True, slots=True)
class EffectivePeriods:
    """The periods that govern one deployment: the policy's, or the deployment's shorter
    ones. ``watchlist_grace`` is the latest the watchlist may outlive the authorised end."""

    policy: str
    alert_biometrics: timedelta
    watchlist_grace: timedelta
    shortened: tuple[str, ...]

    @property
    def alert_biometrics_days(self) -> float:
        """``alert_biometrics`` in days."""
        return self.alert_biometrics / timedelta(days=1)

    @property
    def watchlist_hours_after_end(self) -> float:
        """``watchlist_grace`` in hours."""
        return self.watchlist_grace / timedelta(hours=1)


class ShorterWatchlistGrace:
    """A policy whose watchlist goes at close, at the latest ``grace`` after the authorised
    end (earlier than the base policy's deadline where that is later)."""

    def __init__(self, base: RetentionPolicy, grace: timedelta) -> None:
        self._base = base
        self.grace = grace
        self.name = base.name if base.name.endswith("+shortened") else f"{base.name}+shortened"

    def max_age(self, record_kind: str) -> timedelta | None:
        """The base policy's period."""
        return self._base.max_age(record_kind)

    def deadline(self, item: RetentionItem) -> Deadline | None:
        """For watchlist items, the earlier of the shorter grace and the base deadline."""
        base = self._base.deadline(item)
        if item.kind not in WATCHLIST_KINDS:
            return base
        hours = f"{self.grace / timedelta(hours=1):g}"
        short = watchlist_deadline(item, self.grace, f"{self.name}:watchlist_deployment_closed",
                                   f"{self.name}:watchlist_{hours}h_after_end")
        return earliest(short, base)


def _period(periods: Mapping[str, float], key: str) -> timedelta | None:
    value = periods.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigurationError(f"{WHERE}.{key}: must be a number, not {value!r}")
    if value < 0:
        raise ConfigurationError(f"{WHERE}.{key}: a period cannot be negative")
    return value * UNITS[key]


def deployment_policy(base: RetentionPolicy, periods: Mapping[str, float], *,
                      strict: bool = True) -> RetentionPolicy:
    """``base`` with the deployment's shorter periods (``base`` itself if none is set).

    ``strict``: a longer period than ``base`` allows, an unknown key or a negative value
    is a ``ConfigurationError`` naming ``retention_periods.<key>`` (checked when an admin
    sets them). Not strict (the sweep): a stored period longer than ``base`` now allows
    (the service's policy was shortened since) is cut to ``base``'s, the shorter one.
    """
    unknown = sorted(set(periods) - set(UNITS))
    if unknown:
        raise ConfigurationError(f"{WHERE}.{unknown[0]}: unknown retention period; known: "
                                 f"{', '.join(UNITS)}")
    policy = base
    alert = _period(periods, ALERT_DAYS)
    if alert is not None:
        limit = base.max_age(RecordKind.ALERT_BIOMETRICS.value)
        if not strict and limit is not None:
            alert = min(alert, limit)
        try:
            policy = ShortenedPolicy(base, {RecordKind.ALERT_BIOMETRICS.value: alert},
                                     where=WHERE)
        except ConfigurationError as exc:
            # ShortenedPolicy names the record kind; the deployment's field is the key.
            reason = str(exc).split(": ", 1)[-1]
            raise ConfigurationError(f"{WHERE}.{ALERT_DAYS}: {reason}") from None
    grace = _period(periods, WATCHLIST_HOURS)
    if grace is not None:
        if grace > WATCHLIST_GRACE_AFTER_END:
            if strict:
                raise ConfigurationError(
                    f"{WHERE}.{WATCHLIST_HOURS}: a deployment may only shorten retention "
                    f"periods; {grace / timedelta(hours=1):g} hours is longer than the "
                    f"{WATCHLIST_GRACE_AFTER_END / timedelta(hours=1):g} hours the core allows")
            grace = WATCHLIST_GRACE_AFTER_END
        policy = ShorterWatchlistGrace(policy, grace)
    return policy


def effective_periods(base: RetentionPolicy | None,
                      periods: Mapping[str, float]) -> EffectivePeriods:
    """What governs a deployment with ``periods`` under ``base`` (``None``: only the core's
    ceilings are known, as in the offline report). Never longer than the core allows."""
    alert = ALERT_BIOMETRICS_MAX_AGE
    limit = None if base is None else base.max_age(RecordKind.ALERT_BIOMETRICS.value)
    if limit is not None:
        alert = min(alert, limit)
    grace = WATCHLIST_GRACE_AFTER_END
    shortened = []
    own = _period(periods, ALERT_DAYS)
    if own is not None and own < alert:
        alert = own
        shortened.append(ALERT_DAYS)
    own = _period(periods, WATCHLIST_HOURS)
    if own is not None and own < grace:
        grace = own
        shortened.append(WATCHLIST_HOURS)
    name = "core limits" if base is None else base.name
    return EffectivePeriods(name + ("+shortened" if shortened else ""), alert, grace,
                            tuple(shortened))
