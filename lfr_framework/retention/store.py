"""What the retention engine needs from storage (the service implements it over its tables)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from lfr_framework.retention.items import DeletionEntry, RetentionItem


@runtime_checkable
class RetentionStore(Protocol):
    """Lists what may be deleted, and deletes one item and logs it in one transaction."""

    def candidates(self) -> Sequence[RetentionItem]:
        """Every item not yet deleted that a rule may apply to, with its holds and its
        deployment's times. Raise if storage is unavailable; the sweep then deletes nothing."""

    def delete(self, item: RetentionItem, entry: DeletionEntry) -> bool:
        """In ONE transaction: erase the item's data and append ``entry`` to the deletion log.

        Return ``True`` when both were committed. Return ``False``, committing nothing, when
        the item is already gone or ``entry.entry_id`` is already logged (a sweep run twice,
        or two sweeps at once). Raise, committing nothing, on any other failure.
        """

    def undelivered(self) -> Sequence[DeletionEntry]:
        """Deletion log entries whose ``biometric_data_deleted`` event has not been
        delivered yet (the outbox), oldest first."""

    def mark_delivered(self, entry_id: str) -> None:
        """Record that the event of ``entry_id`` was delivered to the plugins."""
