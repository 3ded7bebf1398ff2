"""Every replica's live matchers follow the stored watchlists.

An admin's enrolment or removal, or a retention deletion, reaches whichever replica got it;
the deployment's cameras may run on another (the holder of its pipeline lease). So each
change moves the deployment's watchlist version in its own transaction
(:mod:`lfr_api.watchlists.version`), and every replica, every ``pipeline_poll_seconds``
(:func:`follow_loop`), compares the stored version of each deployment it holds a live matcher
for with the one that matcher was brought up to date at. When it moved, the replica re-reads
which images of each entry hold a template (ids only) and brings its matcher to that state in
place: entries gone are removed first, new or changed ones are decrypted and added
(:meth:`LiveMatchers.reconcile`). A matcher whose deployment was closed elsewhere is
destroyed (its templates erased from memory). The replica that made the change does the same
at once (:func:`refresh`).

The bound: a change committed on any replica is in every replica's live matcher within one
``pipeline_poll_seconds`` (1 s by default) plus the time to read and decrypt the changed
entries (milliseconds), so within 2 s with the defaults. The threshold re-derived with the
change reaches a running pipeline at the pipeline watcher's next tick (same period,
:mod:`lfr_api.live.pipelines`).
"""

from __future__ import annotations

import asyncio
import logging

import anyio.to_thread
from sqlmodel import Session, col, select

from lfr_api.biometrics import storage
from lfr_api.context import AppContext
from lfr_api.db.models import Deployment
from lfr_api.deployments.service import CLOSED
from lfr_api.watchlists import version
from lfr_framework.types import Templates

log = logging.getLogger(__name__)


def build_matcher(ctx: AppContext, session: Session, deployment: Deployment) -> None:
    """(Re)build the deployment's live matcher here from its stored templates, recording
    the watchlist version read before them (a change committed meanwhile moves it again)."""
    dimension = ctx.recognition.models(deployment).recogniser.dimension
    at = version.current(session.connection(), [deployment.id])[deployment.id]
    entries, images = storage.deployment_watchlist(session, deployment.id)
    ctx.matchers.start(deployment, dimension, entries, version=at, images=images)


def refresh(ctx: AppContext, deployment_id: str) -> None:
    """Bring this replica's live matcher of the deployment (if it has one) to the stored
    watchlist now."""

    def read() -> tuple[int, dict[str, tuple[str, ...]]]:
        with ctx.db.session() as session:
            # The version first: the state read after it is at least as new.
            at = version.current(session.connection(), [deployment_id])[deployment_id]
            return at, storage.template_images(session, deployment_id)

    def load(entry_id: str) -> tuple[tuple[str, ...], Templates]:
        with ctx.db.session() as session:
            return storage.entry_watchlist(session, entry_id)

    done = ctx.matchers.reconcile(deployment_id, read, load)
    if done is not None and any(done):
        log.info("deployment %s: live matcher brought up to date (%d entries added or "
                 "replaced, %d removed)", deployment_id, *done)


def follow_here(ctx: AppContext, deployment_id: str) -> None:
    """After a change committed here: :func:`refresh` now; a failure is logged, and the
    next tick retries (the version moved)."""
    try:
        refresh(ctx, deployment_id)
    except Exception as exc:
        log.warning("deployment %s: live matcher here not brought up to date yet (the next "
                    "tick retries): %s", deployment_id, type(exc).__name__)


def follow_once(ctx: AppContext) -> int:
    """Re-read the watchlist of each deployment whose version moved since this replica's
    matcher was brought up to date, and destroy the matchers of closed deployments. Returns
    how many were re-read."""
    held = ctx.matchers.versions()
    if not held:
        return 0
    with ctx.db.session() as session:
        states = dict(session.exec(select(Deployment.id, Deployment.state)
                                   .where(col(Deployment.id).in_(list(held)))).all())
        stored = version.current(session.connection(), list(held))
    moved = 0
    for deployment_id, seen in held.items():
        state = states.get(deployment_id)
        if state is None or state == CLOSED:
            ctx.matchers.stop(deployment_id)
            log.info("deployment %s is closed: its live matcher here was destroyed",
                     deployment_id)
        elif stored[deployment_id] != seen:
            refresh(ctx, deployment_id)
            moved += 1
    return moved


async def follow_loop(ctx: AppContext) -> None:
    """Run :func:`follow_once` every ``pipeline_poll_seconds`` (a failure is logged and
    retried at the next tick: a database outage delays the follow, it loses nothing)."""
    failing = False
    while True:
        try:
            await anyio.to_thread.run_sync(follow_once, ctx)
            failing = False
        except Exception as exc:
            if not failing:
                log.error("watchlist changes not followed yet (retrying every %s s): %s",
                          ctx.settings.pipeline_poll_seconds, type(exc).__name__)
            failing = True
        await asyncio.sleep(ctx.settings.pipeline_poll_seconds)
