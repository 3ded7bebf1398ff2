"""What the retention engine reasons about: items, their holds and their deployment's times.

None of these types carries biometric content: an item is named by kind and id only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from lfr_framework.retention.kinds import RecordKind


def require_aware(value: datetime, what: str) -> None:
    """Raise ``ValueError`` naming ``what`` if ``value`` has no time zone."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime, got {value.isoformat()}")


class HoldType(StrEnum):
    """Why data is kept beyond its normal period."""

    EVIDENTIAL = "evidential"  # an arrest or an investigation
    COMPLAINT = "complaint"
    JUDICIAL_INVESTIGATION = "judicial_investigation"


@dataclass(frozen=True, slots=True)
class Hold:
    """A hold on one item: while it is not released, the item is never deleted."""

    hold_id: str
    hold_type: HoldType
    item_kind: RecordKind
    item_id: str
    reference: str
    placed_by: str
    placed_at: datetime
    released_by: str | None = None
    released_at: datetime | None = None

    @property
    def active(self) -> bool:
        """Whether the hold is still in force."""
        return self.released_at is None


@dataclass(frozen=True, slots=True)
class DeploymentTimes:
    """The times of a deployment that the watchlist rule depends on."""

    deployment_id: str
    authorised_start: datetime
    authorised_end: datetime
    closed_at: datetime | None = None

    def __post_init__(self) -> None:
        require_aware(self.authorised_start, "authorised_start")
        require_aware(self.authorised_end, "authorised_end")
        if self.closed_at is not None:
            require_aware(self.closed_at, "closed_at")
        if self.authorised_end < self.authorised_start:
            raise ValueError(f"deployment {self.deployment_id!r}: authorised_end is before "
                             f"authorised_start")


@dataclass(frozen=True, slots=True)
class RetentionItem:
    """One deletable item as the store lists it.

    ``created_at`` is when the record came to be (for alert biometrics: the alert's
    ``raised_at``). ``part`` names the piece of a composite record (``probe_crop``,
    ``probe_template``, ``clip``). ``deployment`` is required for watchlist kinds.
    """

    kind: RecordKind
    item_id: str
    created_at: datetime
    deployment: DeploymentTimes | None = None
    holds: tuple[Hold, ...] = ()
    part: str | None = None
    parent_id: str | None = None

    def __post_init__(self) -> None:
        require_aware(self.created_at, f"{self.kind.value} {self.item_id!r} created_at")
        if not self.item_id:
            raise ValueError(f"a {self.kind.value} item has an empty id")

    @property
    def deployment_id(self) -> str | None:
        """The deployment the item belongs to, if the store said."""
        return None if self.deployment is None else self.deployment.deployment_id

    @property
    def active_holds(self) -> tuple[Hold, ...]:
        """The holds still in force."""
        return tuple(h for h in self.holds if h.active)


@dataclass(frozen=True, slots=True, order=True)
class Deadline:
    """When an item must be gone, and the rule that says so (recorded in the deletion log)."""

    at: datetime
    rule: str = field(compare=False)


@dataclass(frozen=True, slots=True)
class DeletionEntry:
    """One line of the deletion log: what went, under which rule, when and by whom.

    ``entry_id`` is ``"<kind>:<item_id>"``: one item can be deleted, and logged, only once.
    """

    entry_id: str
    kind: RecordKind
    item_id: str
    part: str | None
    parent_id: str | None
    deployment_id: str | None
    rule: str
    policy: str
    due_at: datetime
    deleted_at: datetime
    deleted_by: str

    @staticmethod
    def key(kind: RecordKind, item_id: str) -> str:
        """The deletion log key of an item."""
        return f"{kind.value}:{item_id}"
