"""A deployment's watchlist version: how replicas learn that its watchlist changed.

Every change to the templates a deployment's live matchers hold (an enrolment, a removal, a
retention deletion) moves the deployment's counter in ``watchlist_versions`` **in the same
transaction**, so the change and its new version are committed together or not at all.
Each replica compares the version with the one its live matcher was last brought up to date
at and re-reads the watchlist when it moved (:mod:`lfr_api.live.watchlist_follow`).

The counter is one row per deployment, updated in place: concurrent changes to one watchlist
queue on that row, so its committed value only grows. It is the last row a change locks
(after the audit trail, the images and the deployment), so it adds no lock-order cycle.
"""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa

from lfr_api.db.models import WatchlistVersion

_TABLE: sa.Table = WatchlistVersion.__table__  # type: ignore[attr-defined]
_BUMP = sa.text(
    "INSERT INTO watchlist_versions (deployment_id, version) VALUES (:d, 1) "
    "ON CONFLICT (deployment_id) DO UPDATE SET version = watchlist_versions.version + 1")


def bump(conn: sa.Connection, deployment_id: str) -> None:
    """Move the deployment's watchlist version, in the caller's transaction."""
    conn.execute(_BUMP, {"d": deployment_id})


def current(conn: sa.Connection, deployment_ids: Collection[str]) -> dict[str, int]:
    """The watchlist version of each deployment (0 for one never changed since 0012)."""
    if not deployment_ids:
        return {}
    rows = conn.execute(sa.select(_TABLE.c.deployment_id, _TABLE.c.version)
                        .where(_TABLE.c.deployment_id.in_(list(deployment_ids)))).all()
    found = {str(d): int(v) for d, v in rows}
    return {d: found.get(d, 0) for d in deployment_ids}
