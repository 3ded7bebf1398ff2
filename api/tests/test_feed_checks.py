"""The open feeds' re-checks are shared: feeds of one deployment that ask at the same moment
(a new alert wakes them all) are answered from one read of a few statements, not a few
statements per feed, and each answer still reflects every change committed before it was
asked (unassignment, deactivation, logout, an unknown deployment). SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from lfr_api.feed.entitlement import (
    NO_SUCH_DEPLOYMENT,
    RIGHT_GONE,
    TOKEN_REVOKED,
    EntitlementChecks,
    Refusal,
)
from lfr_api.security.principals import Authenticated, user_principal
from lfr_api.security.roles import Role
from lfr_api.testing.api import Api
from sqlmodel import Session

FEEDS = 24


@pytest.fixture(scope="module")
def officers(api: Api) -> tuple[str, list[tuple[str, Authenticated]]]:
    """A live deployment and FEEDS officers assigned to it, each with its grant."""
    dep = api.deployment(live=True)
    out = []
    for _ in range(FEEDS):
        user_id, headers = api.add_user(Role.officer)
        r = api.client.post(f"/deployments/{dep}/assignments",
                            headers=api.headers[Role.admin], json={"user_id": user_id})
        assert r.status_code == 201, r.text
        grant = api.ctx.tokens.grant(headers["Authorization"].removeprefix("Bearer "))
        with Session(api.ctx.db.engine) as session:
            out.append((user_id, Authenticated(user_principal(session, grant), grant=grant)))
    return dep, out


@pytest.fixture
def statements(api: Api) -> Iterator[list[str]]:
    """Every SQL statement the app's engine runs meanwhile."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    sa.event.listen(api.ctx.db.engine, "before_cursor_execute", count)
    yield seen
    sa.event.remove(api.ctx.db.engine, "before_cursor_execute", count)


def _ask_together(api: Api, auths: list[Authenticated],
                  deployment_id: str) -> list[Refusal | None]:
    checks = EntitlementChecks(api.ctx)

    async def scenario() -> list[Refusal | None]:
        return list(await asyncio.gather(*(checks.refusal(a, deployment_id) for a in auths)))

    return asyncio.run(scenario())


def test_feeds_asking_together_share_one_read(
        api: Api, officers: tuple[str, list[tuple[str, Authenticated]]],
        statements: list[str]) -> None:
    dep, people = officers
    answers = _ask_together(api, [a for _, a in people], dep)
    assert answers == [None] * FEEDS
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    # One read: the deployment, the callers' accounts, their assignments (SQLite may add a
    # statement or two of its own); a read per feed would be 3 × 24.
    assert 1 <= len(reads) <= 5, reads


def test_each_answer_sees_what_changed_before_it_was_asked(
        api: Api, officers: tuple[str, list[tuple[str, Authenticated]]]) -> None:
    dep, people = officers
    (unassigned, _), (deactivated, _), (logged_out, _) = people[:3]
    admin = api.headers[Role.admin]
    assert api.client.delete(f"/deployments/{dep}/assignments/{unassigned}",
                             headers=admin).status_code in (200, 204)
    assert api.client.patch(f"/users/{deactivated}", headers=admin,
                            json={"active": False}).status_code == 200
    with api.ctx.db.session() as session:  # what logout does: the token version moves on
        from lfr_api.db.models import User

        user = session.get(User, logged_out)
        assert user is not None
        user.token_version += 1
    answers = _ask_together(api, [a for _, a in people], dep)
    codes = [None if r is None else r.code for r in answers]
    assert codes[:3] == [RIGHT_GONE, TOKEN_REVOKED, TOKEN_REVOKED]
    assert codes[3:] == [None] * (FEEDS - 3)
    assert all(r.reason for r in answers[:3] if r is not None)


def test_an_unknown_deployment_is_4404_for_every_caller(
        api: Api, officers: tuple[str, list[tuple[str, Authenticated]]]) -> None:
    _, people = officers
    answers = _ask_together(api, [a for _, a in people[3:6]], "no-such-deployment")
    assert [r.code if r else None for r in answers] == [NO_SUCH_DEPLOYMENT] * 3


def test_the_database_pool_size_is_a_setting_and_kept_on_postgresql(tmp_path: Any) -> None:
    from lfr_api.db.engine import make_engine
    from lfr_api.settings import Settings

    from lfr_framework.errors import ConfigurationError

    base = {"LFR_DEV": "1", "LFR_HOME": str(tmp_path)}
    assert Settings.from_env(base).database_pool_size == 20
    assert Settings.from_env({**base, "LFR_DATABASE_POOL_SIZE": "7"}).database_pool_size == 7
    with pytest.raises(ConfigurationError, match="LFR_DATABASE_POOL_SIZE"):
        Settings.from_env({**base, "LFR_DATABASE_POOL_SIZE": "many"})
    engine = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/none", pool_size=7)
    assert engine.pool.size() == 7  # type: ignore[attr-defined]
    assert engine.pool._max_overflow == 7  # type: ignore[attr-defined]
    engine.dispose()
