"""Wires retention, holds, compliance logs, counters and reports into the app: the routes,
the services on the app context, the scheduled sweep and the start-up checks."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import anyio.to_thread

from lfr_api.biometrics.crypto import DEV_KEY, DataKey, Keyring, dev_mode_banner
from lfr_api.biometrics.storage import key_ids_in_use
from lfr_api.compliance.controller import ComplianceController
from lfr_api.compliance.wiring import wire_compliance
from lfr_api.context import AppContext, leases_of, retention_of
from lfr_api.counters.controller import CountersController
from lfr_api.holds.controller import HoldController
from lfr_api.live import watchlist_follow
from lfr_api.reports.controller import PublicSummaryController, ReportController
from lfr_api.retention.service import SWEEP_LEASE, RetentionService
from lfr_api.settings import Settings
from lfr_framework.errors import ConfigurationError

log = logging.getLogger("lfr_api")

ROUTES: list[Any] = [HoldController, ComplianceController, CountersController,
                     ReportController, PublicSummaryController]


def service_keyring(settings: Settings) -> Keyring:
    """The data keyring; without one the service refuses to start, unless ``dev_mode``
    (then the PUBLIC development key, announced loudly)."""
    keyring = settings.data_keys
    if keyring is None:
        if not settings.dev_mode:
            raise ConfigurationError(
                "no data key: biometric data is stored encrypted and the service will not "
                "start without one. Set LFR_DATA_KEY or LFR_DATA_KEY_FILE (create one with "
                "'lfr keys generate --out FILE'), or LFR_DEV=1 for development only")
        keyring = Keyring(DataKey.from_bytes(DEV_KEY), development=True)
    if keyring.development:
        log.warning(dev_mode_banner(keyring))
    return keyring


def wire(ctx: AppContext) -> None:
    """Give the context its compliance recorder and retention service."""
    ctx.compliance = wire_compliance(ctx.host, ctx.db.engine)

    def forget(gone: dict[str, set[str]]) -> None:
        # The sweep moved each deployment's watchlist version: this replica follows now.
        for deployment_id in gone:
            watchlist_follow.follow_here(ctx, deployment_id)

    ctx.retention = RetentionService(ctx.db, ctx.host, policy=ctx.settings.retention_policy,
                                     on_watchlist_deleted=forget)


def check_data_keys(ctx: AppContext) -> dict[str, int]:
    """Log an error for stored items under a key this service does not hold (it cannot
    read them; nothing is changed). Returns the items per key id."""
    assert ctx.db.vault is not None
    with ctx.db.engine.connect() as conn:
        in_use = key_ids_in_use(conn)
    unknown = {k: n for k, n in in_use.items() if k not in ctx.db.vault.key_ids}
    if unknown:
        log.error("%d stored biometric item(s) are under data keys this service does not "
                  "hold (%s): they cannot be read. Set LFR_DATA_KEY (or LFR_OLD_DATA_KEY "
                  "during a rotation) to the right key, or run 'lfr keys rotate'",
                  sum(unknown.values()), ", ".join(sorted(unknown)))
    return in_use


def sweep_once(ctx: AppContext) -> bool:
    """One scheduled sweep; a failure is logged loudly and retried at the next interval.
    Only the replica holding the ``retention-sweep`` lease sweeps; the others skip. True
    when this replica swept."""
    try:
        with leases_of(ctx).hold(SWEEP_LEASE) as lease:
            if lease is None:
                log.debug("another replica is sweeping; this one skips this interval")
                return False
            report = retention_of(ctx).sweep()
    except Exception:
        log.exception("scheduled retention sweep failed; nothing was deleted half-way; it "
                      "runs again in %s s", ctx.settings.retention_sweep_seconds)
        return False
    if report.deleted or report.held:
        log.info("retention sweep deleted %s, %d item(s) held", report.counts(),
                 len(report.held))
    return True


async def retention_loop(ctx: AppContext) -> None:
    """Sweep at start-up, then every ``retention_sweep_seconds``."""
    try:
        await anyio.to_thread.run_sync(check_data_keys, ctx)
    except Exception:
        log.exception("could not check which data keys the stored items need")
    while True:
        await anyio.to_thread.run_sync(sweep_once, ctx)
        await asyncio.sleep(ctx.settings.retention_sweep_seconds)

