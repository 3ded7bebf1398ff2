"""The service's retention: the sweep (scheduled and ``lfr retention sweep``), destroying a
watchlist when its deployment closes, and removing a watchlist entry by hand."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from lfr_api.db.audit import record_on
from lfr_api.db.engine import Database
from lfr_api.errors import Conflict, InvalidRequest
from lfr_api.retention.periods import EffectivePeriods, deployment_policy, effective_periods
from lfr_api.retention.store import (
    DEPLOYMENTS,
    ServiceRetentionStore,
    deployment_times,
    erase_and_log,
    watchlist_items,
)
from lfr_framework.errors import ConfigurationError
from lfr_framework.interfaces import RetentionPolicy
from lfr_framework.plugins import PluginHost
from lfr_framework.retention import (
    Clock,
    DeletionEntry,
    DeploymentTimes,
    RetentionEngine,
    RetentionItem,
    SweepReport,
    utc_now,
)
from lfr_framework.retention.sql import purge_freed_space

log = logging.getLogger(__name__)

#: Called after a sweep with the watchlist entries whose templates went, by deployment, so
#: a live matcher forgets them too.
WatchlistDeleted = Callable[[dict[str, set[str]]], None]
SWEEP_ACTOR = "retention-sweep"
#: The lease of the sweep (``lfr_api.db.leases``): one sweeper at a time across replicas and
#: ``lfr retention sweep``.
SWEEP_LEASE = "retention-sweep"


class RetentionService:
    """Sweeps the service's database under the configured policy with an injectable clock.

    ``clock`` is read at each sweep (tests move it across 24 hours and 31 days); deletions
    are announced to the plugins (``biometric_data_deleted``) through the deletion log's
    outbox, and each real sweep appends a ``retention.sweep`` audit entry. A deployment
    that set shorter ``retention_periods`` is swept under its own shortened policy.
    """

    def __init__(self, db: Database, host: PluginHost, *, policy: str = "default",
                 clock: Clock = utc_now, actor: str = SWEEP_ACTOR,
                 on_watchlist_deleted: WatchlistDeleted | None = None) -> None:
        self.db = db
        self.host = host
        self.policy: RetentionPolicy = host.retention_policies.create(
            policy, {}, where="LFR_RETENTION_POLICY")
        self.clock = clock
        self.actor = actor
        self.store = ServiceRetentionStore(db.engine, db.audit)
        self.on_watchlist_deleted = on_watchlist_deleted
        self.engine(policies={})  # checks the policy against the core's limits, at start-up

    def engine(self, actor: str | None = None,
               policies: Mapping[str, RetentionPolicy] | None = None) -> RetentionEngine:
        """The core engine over the service's store, with each deployment's own policy
        (``policies``, or read from the deployments now)."""
        return RetentionEngine(self.store, self.policy, clock=lambda: self.clock(),
                               actor=actor or self.actor,
                               deployment_policies=(self.deployment_policies()
                                                    if policies is None else policies),
                               on_deleted=self.host.biometric_data_deleted)

    def deployment_policies(self, conn: sa.Connection | None = None
                            ) -> dict[str, RetentionPolicy]:
        """The shortened policy of every deployment that set ``retention_periods`` (read on
        ``conn``, the caller's transaction, if given)."""
        query = sa.select(DEPLOYMENTS.c.id, DEPLOYMENTS.c.retention_periods)
        if conn is None:
            with self.db.engine.connect() as own:
                rows = own.execute(query).all()
        else:
            rows = conn.execute(query).all()
        policies = {}
        for dep, periods in rows:
            if not periods:
                continue
            try:
                policies[dep] = deployment_policy(self.policy, periods, strict=False)
            except ConfigurationError as exc:  # only a row edited outside the API
                log.error("deployment %s: stored retention periods ignored, the service "
                          "policy applies: %s", dep, exc)
        return policies

    def check_periods(self, periods: Mapping[str, float]) -> None:
        """400 naming ``retention_periods.<key>`` unless every period only shortens the
        service policy's (an admin is setting them on a draft)."""
        try:
            deployment_policy(self.policy, periods)
        except ConfigurationError as exc:
            field, _, reason = str(exc).partition(": ")
            raise InvalidRequest(str(exc), errors=[{"field": field, "message": reason}]
                                 ) from None

    def periods_of(self, periods: Mapping[str, float]) -> EffectivePeriods:
        """The periods that govern a deployment with these ``retention_periods``."""
        return effective_periods(self.policy, periods)

    def sweep(self, *, dry_run: bool = False, actor: str | None = None) -> SweepReport:
        """Delete (or, dry run, list) everything due; audit the sweep; purge freed space.

        Raises ``RetentionError`` (nothing half-deleted) when the database fails."""
        policies = self.deployment_policies()
        report = self.engine(actor, policies).sweep(dry_run=dry_run)
        if dry_run:
            return report
        with self.db.engine.begin() as conn:
            record_on(conn, self.db.audit, actor=actor or self.actor, action="retention.sweep",
                      details={"at": report.started_at.isoformat(), "counts": report.counts(),
                               "held": len(report.held), "kept": report.kept,
                               "already_gone": report.already_gone,
                               "non_match_items_found": report.non_match_items_found,
                               "events_delivered": report.events_delivered,
                               "policy": self.policy.name,
                               "shortened_deployments": sorted(policies)})
        purge_freed_space(self.db.engine)  # SQLite: push freed pages out of the WAL
        if report.deleted:
            self._tell_matchers(report.deleted)
        return report

    def deliver_pending(self) -> int:
        """Send the ``biometric_data_deleted`` events still in the outbox (after a close)."""
        return self.engine().deliver_pending()

    def deliver_after_commit(self) -> None:
        """After a close or a removal committed its deletions: deliver their events and
        purge the freed space (SQLite). A failure is logged; the next sweep does both."""
        try:
            self.deliver_pending()
            purge_freed_space(self.db.engine)
        except Exception as exc:
            log.error("deletion events or purge not done yet (the next sweep retries): %s",
                      exc)

    def _tell_matchers(self, entries: list[DeletionEntry]) -> None:
        gone: dict[str, set[str]] = {}
        for e in entries:
            if e.kind.value == "watchlist_template" and e.deployment_id and e.parent_id:
                gone.setdefault(e.deployment_id, set()).add(e.parent_id)
        if gone and self.on_watchlist_deleted is not None:
            self.on_watchlist_deleted(gone)

    def destroy_watchlist(self, session: Session, deployment_id: str, closed_at: datetime,
                          actor: str) -> list[DeletionEntry]:
        """In the close's own transaction: delete every watchlist image and template of the
        deployment not under a hold, each with its deletion log and audit entries."""
        conn = session.connection()
        times = deployment_times(conn, deployment_id, closed_at)
        engine = self.engine(actor, self.deployment_policies(conn))
        deleted = []
        for item in watchlist_items(conn, times, deployment_id):
            verdict = engine.judge(item, closed_at)
            if not verdict.due or verdict.deadline is None:
                log.info("%s %s is held: kept until its last hold is released",
                         item.kind.value, item.item_id)
                continue
            entry = _entry(item, verdict.deadline.rule, verdict.policy,
                           verdict.deadline.at, closed_at, actor)
            if erase_and_log(conn, self.db.audit, item, entry):
                deleted.append(entry)
        return deleted

    def remove_entry_images(self, session: Session, deployment_id: str, entry_id: str,
                            actor: str) -> list[DeletionEntry]:
        """In the caller's transaction: delete an entry's images and templates (an admin
        removed the person from the watchlist); 409 if any is under a hold."""
        conn = session.connection()
        now = self.clock()
        times = deployment_times(conn, deployment_id)
        # A draft has no window yet: list its items anyway (they are deleted now).
        times.setdefault(deployment_id, DeploymentTimes(deployment_id, now, now, None))
        items = [i for i in watchlist_items(conn, times, deployment_id)
                 if i.parent_id == entry_id]
        held = [i for i in items if i.active_holds]
        if held:
            raise Conflict(f"watchlist image {held[0].item_id} of entry {entry_id} is under "
                           f"a hold ({held[0].active_holds[0].reference}); release it first")
        deleted = []
        for item in items:
            entry = _entry(item, "manual:watchlist_entry_removed", "manual", now, now, actor)
            if erase_and_log(conn, self.db.audit, item, entry):
                deleted.append(entry)
        return deleted


def _entry(item: RetentionItem, rule: str, policy: str, due_at: datetime, now: datetime,
           actor: str) -> DeletionEntry:
    return DeletionEntry(
        entry_id=DeletionEntry.key(item.kind, item.item_id), kind=item.kind,
        item_id=item.item_id, part=item.part, parent_id=item.parent_id,
        deployment_id=item.deployment_id, rule=rule, policy=policy, due_at=due_at,
        deleted_at=now, deleted_by=actor)
