"""The limits the core enforces whatever a retention policy says (invariant 4).

A policy can only bring a deadline forward: the engine deletes an item at the earlier of
the policy's deadline and the ceiling here.
"""

from __future__ import annotations

from datetime import timedelta

from lfr_framework.retention.errors import RetentionError
from lfr_framework.retention.items import Deadline, RetentionItem
from lfr_framework.retention.kinds import WATCHLIST_KINDS, RecordKind

#: Alert biometrics are deleted at most this long after the alert, unless held.
ALERT_BIOMETRICS_MAX_AGE = timedelta(days=31)
#: The watchlist is destroyed at the latest this long after the authorised end.
WATCHLIST_GRACE_AFTER_END = timedelta(hours=24)

#: Rule names written to the deletion log when a ceiling applies.
RULE_NON_MATCH = "core:non_match_never_kept"
RULE_ALERT_BIOMETRICS = "core:alert_biometrics_31_days"
RULE_WATCHLIST_CLOSED = "core:watchlist_deployment_closed"
RULE_WATCHLIST_END = "core:watchlist_24h_after_authorised_end"

#: Ceilings on ``RetentionPolicy.max_age`` by kind (``None``: the core sets no age limit).
MAX_AGE_CEILINGS: dict[RecordKind, timedelta] = {
    RecordKind.NON_MATCH_DATA: timedelta(0),
    RecordKind.ALERT_BIOMETRICS: ALERT_BIOMETRICS_MAX_AGE,
}


def watchlist_deadline(item: RetentionItem, grace: timedelta, rule_closed: str,
                       rule_end: str) -> Deadline:
    """The deployment's close time, or ``authorised_end + grace`` if that comes first."""
    deployment = item.deployment
    if deployment is None:
        raise RetentionError(
            f"{item.kind.value} {item.item_id!r} has no deployment times: the store must "
            f"list watchlist items with their deployment's authorised end and close time"
        )
    latest = Deadline(deployment.authorised_end + grace, rule_end)
    if deployment.closed_at is not None and deployment.closed_at <= latest.at:
        return Deadline(deployment.closed_at, rule_closed)
    return latest


def ceiling(item: RetentionItem) -> Deadline | None:
    """The latest moment the core allows ``item`` to exist (holds aside); ``None``: no limit."""
    if item.kind is RecordKind.NON_MATCH_DATA:
        return Deadline(item.created_at, RULE_NON_MATCH)
    if item.kind is RecordKind.ALERT_BIOMETRICS:
        return Deadline(item.created_at + ALERT_BIOMETRICS_MAX_AGE, RULE_ALERT_BIOMETRICS)
    if item.kind in WATCHLIST_KINDS:
        return watchlist_deadline(item, WATCHLIST_GRACE_AFTER_END, RULE_WATCHLIST_CLOSED,
                                  RULE_WATCHLIST_END)
    return None


def earliest(*deadlines: Deadline | None) -> Deadline | None:
    """The earliest of the deadlines given (the first one on a tie); ``None`` if none is set."""
    present = [d for d in deadlines if d is not None]
    return min(present, key=lambda d: d.at) if present else None
