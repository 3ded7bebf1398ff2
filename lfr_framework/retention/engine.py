"""The retention sweep: ask the policy what is due, delete it, log it, tell the plugins."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lfr_framework.errors import LFRError
from lfr_framework.events import BiometricDataDeleted
from lfr_framework.interfaces import RetentionPolicy
from lfr_framework.retention.errors import RetentionError
from lfr_framework.retention.items import (
    Deadline,
    DeletionEntry,
    Hold,
    RetentionItem,
    require_aware,
)
from lfr_framework.retention.kinds import BIOMETRIC_KINDS, RecordKind
from lfr_framework.retention.policies import validate_policy
from lfr_framework.retention.rules import ceiling, earliest
from lfr_framework.retention.store import RetentionStore

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
#: What the engine calls once per deleted biometric item (the service passes
#: ``PluginHost.biometric_data_deleted``).
DeletionListener = Callable[[BiometricDataDeleted], None]


def utc_now() -> datetime:
    """The current time in UTC (the default clock)."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the engine decided about one item at one moment."""

    item: RetentionItem
    deadline: Deadline | None
    policy: str
    held_by: tuple[Hold, ...]
    due: bool


@dataclass(slots=True)
class SweepReport:
    """What one sweep did (or, with ``dry_run``, would do). Holds no biometric content."""

    started_at: datetime
    dry_run: bool
    deleted: list[DeletionEntry] = field(default_factory=list)
    would_delete: list[DeletionEntry] = field(default_factory=list)
    held: list[Verdict] = field(default_factory=list)
    kept: int = 0
    already_gone: int = 0
    non_match_items_found: int = 0
    events_delivered: int = 0
    next_due: datetime | None = None

    def counts(self) -> dict[str, int]:
        """Deleted (or, dry run, due) items per record kind."""
        entries = self.would_delete if self.dry_run else self.deleted
        return dict(Counter(e.kind.value for e in entries))

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready summary (the CLI and the API print it)."""
        entries = self.would_delete if self.dry_run else self.deleted
        return {
            "started_at": self.started_at.isoformat(),
            "dry_run": self.dry_run,
            "deleted" if not self.dry_run else "would_delete": [
                {"kind": e.kind.value, "item_id": e.item_id, "part": e.part,
                 "deployment_id": e.deployment_id, "rule": e.rule,
                 "due_at": e.due_at.isoformat()}
                for e in entries
            ],
            "counts": self.counts(),
            "held": [
                {"kind": v.item.kind.value, "item_id": v.item.item_id,
                 "holds": [h.reference for h in v.held_by]}
                for v in self.held
            ],
            "kept": self.kept,
            "already_gone": self.already_gone,
            "non_match_items_found": self.non_match_items_found,
            "events_delivered": self.events_delivered,
            "next_due": self.next_due.isoformat() if self.next_due else None,
        }


class RetentionEngine:
    """Runs sweeps over a :class:`RetentionStore` under a policy, with an injected clock.

    ``deployment_policies`` maps deployment ids to the policy each deployment chose (already
    shortened with :class:`ShortenedPolicy` where it set shorter periods); other items use
    ``policy``. Every policy is checked against the core's limits here, at start-up.
    """

    def __init__(
        self,
        store: RetentionStore,
        policy: RetentionPolicy,
        *,
        clock: Clock = utc_now,
        actor: str = "retention-sweep",
        deployment_policies: Mapping[str, RetentionPolicy] | None = None,
        on_deleted: DeletionListener | None = None,
    ) -> None:
        self._store = store
        self._policy = policy
        self._policies = dict(deployment_policies or {})
        for p in (policy, *self._policies.values()):
            validate_policy(p)
        self._clock = clock
        self._actor = actor
        self._on_deleted = on_deleted

    def _now(self) -> datetime:
        now = self._clock()
        try:
            require_aware(now, "the retention clock's time")
        except ValueError as exc:
            raise RetentionError(str(exc)) from None
        return now

    def policy_for(self, item: RetentionItem) -> RetentionPolicy:
        """The policy that governs ``item``."""
        deployment = item.deployment_id
        if deployment is not None and deployment in self._policies:
            return self._policies[deployment]
        return self._policy

    def judge(self, item: RetentionItem, now: datetime) -> Verdict:
        """Whether ``item`` is due at ``now``: the earlier of policy and core deadline,
        unless a hold is in force (then it waits for the last release). On a tie the
        policy's rule is the one logged."""
        policy = self.policy_for(item)
        deadline = earliest(policy.deadline(item), ceiling(item))
        held = item.active_holds
        due = not held and deadline is not None and deadline.at <= now
        return Verdict(item, deadline, policy.name, held, due)

    def sweep(self, *, dry_run: bool = False) -> SweepReport:
        """Delete everything due now, each item with its log entry in one transaction.

        Safe to run again after a crash: deleted items are no longer candidates, and the
        store refuses to log one twice. With ``dry_run`` nothing is deleted or delivered.
        """
        now = self._now()
        report = SweepReport(started_at=now, dry_run=dry_run)
        try:
            self._sweep(report, now, dry_run)
        except LFRError:
            raise
        except Exception as exc:
            raise RetentionError(
                f"retention sweep failed after {len(report.deleted)} deletion(s), each "
                f"committed with its log entry; nothing was deleted half-way. Run the sweep "
                f"again once storage is back. Cause: {type(exc).__name__}: {exc}"
            ) from exc
        log.info("retention sweep%s: %s", " (dry run)" if dry_run else "", report.counts())
        return report

    def _sweep(self, report: SweepReport, now: datetime, dry_run: bool) -> None:
        if not dry_run:
            report.events_delivered += self.deliver_pending()
        for item in self._store.candidates():
            if item.kind is RecordKind.NON_MATCH_DATA:
                report.non_match_items_found += 1
                log.error("non-match data %s was stored; deleting it now (invariant 2)",
                          item.item_id)
            verdict = self.judge(item, now)
            if verdict.held_by:
                report.held.append(verdict)
                continue
            if not verdict.due or verdict.deadline is None:
                report.kept += 1
                if verdict.deadline is not None and (
                        report.next_due is None or verdict.deadline.at < report.next_due):
                    report.next_due = verdict.deadline.at
                continue
            entry = self._entry(item, verdict.deadline, verdict.policy, now)
            if dry_run:
                report.would_delete.append(entry)
            elif self._store.delete(item, entry):
                report.deleted.append(entry)
            else:
                report.already_gone += 1
        if not dry_run:
            report.events_delivered += self.deliver_pending()

    def deliver_pending(self) -> int:
        """Send ``biometric_data_deleted`` for every logged deletion not yet delivered.

        Delivery is at least once (an event is marked delivered after the listeners ran);
        listeners key their records on ``(kind, item_id)`` so a repeat changes nothing.
        """
        if self._on_deleted is None:
            return 0
        delivered = 0
        for entry in self._store.undelivered():
            if entry.kind in BIOMETRIC_KINDS:
                self._on_deleted(deletion_event(entry))
                delivered += 1
            self._store.mark_delivered(entry.entry_id)
        return delivered

    def _entry(self, item: RetentionItem, deadline: Deadline, policy: str,
               now: datetime) -> DeletionEntry:
        return DeletionEntry(
            entry_id=DeletionEntry.key(item.kind, item.item_id),
            kind=item.kind,
            item_id=item.item_id,
            part=item.part,
            parent_id=item.parent_id,
            deployment_id=item.deployment_id,
            rule=deadline.rule,
            policy=policy,
            due_at=deadline.at,
            deleted_at=now,
            deleted_by=self._actor,
        )


def deletion_event(entry: DeletionEntry) -> BiometricDataDeleted:
    """The ``biometric_data_deleted`` event of a deletion log entry."""
    return BiometricDataDeleted(
        kind=entry.kind.value if entry.part is None else f"{entry.kind.value}.{entry.part}",
        item_id=entry.item_id,
        deployment_id=entry.deployment_id,
        rule=entry.rule,
        deleted_at=entry.deleted_at,
        deleted_by=entry.deleted_by,
    )
