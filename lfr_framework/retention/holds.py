"""Placing and releasing holds: the checks, and the events the plugins hear about."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime

from lfr_framework.events import HoldChanged
from lfr_framework.retention.errors import HoldAlreadyReleasedError, HoldError, HoldTargetError
from lfr_framework.retention.items import Hold, HoldType, require_aware
from lfr_framework.retention.kinds import RecordKind


def _text(value: str, what: str) -> str:
    value = value.strip()
    if not value:
        raise HoldError(f"a hold needs a non-empty {what}")
    return value


def place_hold(
    *,
    hold_type: str,
    item_kind: str,
    item_id: str,
    reference: str,
    placed_by: str,
    at: datetime,
    item_exists: bool,
    item_deleted: bool = False,
    hold_id: str | None = None,
) -> Hold:
    """A new hold after checking it; the caller says whether the item exists or was deleted.

    Raises ``HoldTargetError`` for an unknown or deleted item and ``HoldError`` for an
    unknown hold type, an empty reference or actor, or a naive time.
    """
    try:
        kind = HoldType(hold_type)
    except ValueError:
        known = ", ".join(t.value for t in HoldType)
        raise HoldError(f"unknown hold type {hold_type!r}; known: {known}") from None
    try:
        record_kind = RecordKind(item_kind)
    except ValueError:
        raise HoldError(f"unknown record kind {item_kind!r}") from None
    if item_deleted:
        raise HoldTargetError(
            f"{record_kind.value} {item_id!r} was already deleted; a hold cannot bring it back")
    if not item_exists:
        raise HoldTargetError(f"no {record_kind.value} {item_id!r} to hold")
    try:
        require_aware(at, "the hold's time")
    except ValueError as exc:
        raise HoldError(str(exc)) from None
    return Hold(
        hold_id=hold_id or str(uuid.uuid4()),
        hold_type=kind,
        item_kind=record_kind,
        item_id=_text(item_id, "item id"),
        reference=_text(reference, "reference"),
        placed_by=_text(placed_by, "actor (placed_by)"),
        placed_at=at,
    )


def release_hold(hold: Hold, *, released_by: str, at: datetime) -> Hold:
    """The hold, released by ``released_by`` at ``at``.

    Raises ``HoldAlreadyReleasedError`` if it was already released (the service answers
    409), ``HoldError`` if ``at`` is before the hold was placed.
    """
    if not hold.active:
        raise HoldAlreadyReleasedError(
            f"hold {hold.hold_id} (reference {hold.reference!r}) was already released by "
            f"{hold.released_by} at {hold.released_at.isoformat() if hold.released_at else '?'}"
        )
    try:
        require_aware(at, "the release time")
    except ValueError as exc:
        raise HoldError(str(exc)) from None
    if at < hold.placed_at:
        raise HoldError(f"hold {hold.hold_id} cannot be released before it was placed")
    return dataclasses.replace(hold, released_by=_text(released_by, "actor (released_by)"),
                               released_at=at)


def hold_event(hold: Hold) -> HoldChanged:
    """The ``hold_changed`` event for a hold just placed (active) or just released."""
    released = not hold.active
    return HoldChanged(
        hold_id=hold.hold_id,
        hold_type=hold.hold_type.value,
        item_kind=hold.item_kind.value,
        item_id=hold.item_id,
        reference=hold.reference,
        action="released" if released else "placed",
        actor=(hold.released_by or "") if released else hold.placed_by,
        at=(hold.released_at or hold.placed_at) if released else hold.placed_at,
    )
