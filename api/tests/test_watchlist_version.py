"""The watchlist version in one process (SQLite and PostgreSQL): moved with each change in
its own transaction, never by a change that failed; the replica that made the change is up
to date at once, so its follow tick has nothing to read."""

from __future__ import annotations

import sqlalchemy as sa
from lfr_api.live.watchlist_follow import follow_once
from lfr_api.security.roles import Role
from lfr_api.testing.api import Api, enrol
from lfr_api.watchlists import version


def _version(api: Api, dep: str) -> int:
    with api.ctx.db.engine.connect() as conn:
        return version.current(conn, [dep])[dep]


def test_each_change_moves_the_version_and_the_local_matcher_at_once(
        api: Api, photo_bytes: dict[str, bytes]) -> None:
    dep = api.deployment(live=True)
    matcher = api.ctx.matchers.get(dep)
    assert matcher is not None and len(matcher) == 0
    assert _version(api, dep) == 0
    r = enrol(api, dep, [("o.jpg", photo_bytes["obama"])])
    assert r.status_code == 201, r.text
    assert _version(api, dep) == 1 and len(matcher) == 1
    assert follow_once(api.ctx) == 0
    # A failed enrolment (no face) stores nothing and moves nothing.
    assert enrol(api, dep, [("cat.jpg", photo_bytes["chelsea"])]).status_code == 422
    assert _version(api, dep) == 1
    r = api.client.delete(f"/deployments/{dep}/watchlist/{r.json()['id']}",
                          headers=api.headers[Role.admin])
    assert r.status_code == 204, r.text
    assert _version(api, dep) > 1 and len(matcher) == 0
    assert follow_once(api.ctx) == 0


def test_a_matcher_behind_the_stored_version_catches_up_at_the_next_tick(
        api: Api, photo_bytes: dict[str, bytes]) -> None:
    """A change committed by another process on the same database (a second replica): the
    version, moved with it, is what tells this one; each tick compares only the version."""
    dep = api.deployment(live=True)
    entry = enrol(api, dep, [("o.jpg", photo_bytes["obama"])]).json()["id"]
    matcher = api.ctx.matchers.get(dep)
    assert matcher is not None and len(matcher) == 1
    with api.ctx.db.engine.begin() as conn:  # as another process would, without the version
        conn.execute(sa.text("DELETE FROM watchlist_images WHERE entry_id = :e"), {"e": entry})
        conn.execute(sa.text("DELETE FROM watchlist_entries WHERE id = :e"), {"e": entry})
    follow_once(api.ctx)
    assert len(matcher) == 1  # the version did not move: the matcher is not re-read
    with api.ctx.db.engine.begin() as conn:
        version.bump(conn, dep)
    follow_once(api.ctx)
    assert len(matcher) == 0
