"""Authentication hardening on SQLite and PostgreSQL: public routes ignore any
``Authorization`` header; login throttling per account and per address (429 with
``Retry-After``) with failed logins audited (no password in the row); a reused refresh
token revokes its family; logout, deactivation and role or password changes revoke access
tokens; the last active admin cannot be demoted or disabled (409)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from lfr_api.db.models import LoginFailure
from lfr_api.security.roles import Role
from lfr_api.testing.api import PASSWORD, Api, build_api

from lfr_framework.plugins import PluginHost

ACCOUNT_LIMIT, ADDRESS_LIMIT = 3, 6


@pytest.fixture(scope="module")
def api(plugin_host: PluginHost, database_url: str) -> Iterator[Api]:
    yield from build_api(plugin_host, database_url, login_failures_per_account=ACCOUNT_LIMIT,
                         login_failures_per_address=ADDRESS_LIMIT)


def _login(api: Api, username: str, password: str = PASSWORD, **kw: Any) -> Any:
    return api.client.post("/auth/login", json={"username": username, "password": password},
                           **kw)


def _new_user(api: Api, role: Role = Role.officer) -> tuple[str, str]:
    username = f"{role.value}-{uuid.uuid4().hex[:8]}"
    r = api.client.post("/users", headers=api.headers[Role.admin], json={
        "username": username, "password": PASSWORD, "role": role.value})
    assert r.status_code == 201, r.text
    return str(r.json()["id"]), username


def _forget_failures(api: Api) -> None:
    with api.ctx.db.session() as session:
        session.execute(sa.delete(LoginFailure))


def _audit(api: Api, action: str) -> list[sa.Row[Any]]:
    with api.ctx.db.engine.connect() as conn:
        return list(conn.execute(sa.text(
            "SELECT actor, subject, details FROM audit_log WHERE action = :a ORDER BY seq"),
            {"a": action}))


@pytest.mark.parametrize("header", ["Bearer expired.or.garbage", "Basic dXNlcjpwYXNz",
                                    "Bearer lfrk_not-a-key"])
def test_public_routes_ignore_any_authorization_header(api: Api, header: str) -> None:
    _, username = _new_user(api)
    stale = {"Authorization": header}
    assert api.client.get("/health", headers=stale).status_code == 200
    assert api.client.get("/public/deployments", headers=stale).status_code == 200
    r = _login(api, username, headers=stale)
    assert r.status_code == 200, r.text
    r = api.client.post("/auth/refresh", headers=stale,
                        json={"refresh_token": r.json()["refresh_token"]})
    assert r.status_code == 200, r.text
    assert api.client.get("/app/", headers=stale).status_code == \
        api.client.get("/app/").status_code
    # A route that needs a token still refuses the bad one.
    assert api.client.get("/auth/me", headers=stale).status_code == 401


def test_login_is_throttled_per_account_and_failures_are_audited(api: Api) -> None:
    _forget_failures(api)
    user_id, username = _new_user(api)
    wrong = "not the password at all"
    for _ in range(ACCOUNT_LIMIT):
        assert _login(api, username, wrong).status_code == 401
    r = _login(api, username)  # the right password, too late
    assert r.status_code == 429, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert 1 <= int(r.headers["Retry-After"]) <= api.ctx.settings.login_window_seconds
    _, other = _new_user(api)
    assert _login(api, other).status_code == 200  # another account is not locked out
    rows = [row for row in _audit(api, "auth.login_failed") if row.subject == f"user:{user_id}"]
    assert len(rows) == ACCOUNT_LIMIT
    assert all(json.loads(row.details)["reason"] == "wrong_password" for row in rows)
    everything = json.dumps([list(map(str, row)) for row in _audit(api, "auth.login_failed")])
    assert wrong not in everything and PASSWORD not in everything


def test_login_is_throttled_per_address(api: Api) -> None:
    _forget_failures(api)
    _, username = _new_user(api)
    typed = f"pass-typed-as-user-{uuid.uuid4().hex[:12]}"
    for i in range(ADDRESS_LIMIT):
        assert _login(api, f"{typed}-{i}", "whatever").status_code == 401
    r = _login(api, username)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    # Unknown usernames are neither audited nor stored as typed.
    assert typed not in json.dumps([list(map(str, row))
                                         for row in _audit(api, "auth.login_failed")])
    with api.ctx.db.session() as session:
        stored = [row.account for row in session.exec(sa.select(LoginFailure)).scalars()]
    assert stored and all(typed not in a for a in stored)
    _forget_failures(api)
    assert _login(api, username).status_code == 200


def test_a_reused_refresh_token_revokes_its_family_and_access_tokens(api: Api) -> None:
    _, username = _new_user(api)
    first = _login(api, username).json()
    second = api.client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    pair = second.json()
    bearer = {"Authorization": f"Bearer {pair['access_token']}"}
    assert api.client.get("/auth/me", headers=bearer).status_code == 200
    # The old token comes back (it was copied): refused, and the whole login is revoked.
    reused = api.client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401 and "already used" in reused.json()["detail"]
    assert api.client.post("/auth/refresh",
                           json={"refresh_token": pair["refresh_token"]}).status_code == 401
    assert api.client.get("/auth/me", headers=bearer).status_code == 401
    assert _audit(api, "auth.refresh_reused")
    # A new login works again.
    assert _login(api, username).status_code == 200


def test_logout_revokes_the_access_token(api: Api) -> None:
    _, username = _new_user(api)
    bearer = {"Authorization": f"Bearer {_login(api, username).json()['access_token']}"}
    assert api.client.post("/auth/logout", headers=bearer).status_code == 204
    r = api.client.get("/auth/me", headers=bearer)
    assert r.status_code == 401 and "revoked" in r.json()["detail"]


@pytest.mark.parametrize("change", [{"active": False}, {"role": "supervisor"},
                                    {"password": "another long password"}])
def test_account_changes_revoke_access_tokens(api: Api, change: dict[str, Any]) -> None:
    user_id, username = _new_user(api)
    bearer = {"Authorization": f"Bearer {_login(api, username).json()['access_token']}"}
    assert api.client.get("/auth/me", headers=bearer).status_code == 200
    r = api.client.patch(f"/users/{user_id}", headers=api.headers[Role.admin], json=change)
    assert r.status_code == 200, r.text
    assert api.client.get("/auth/me", headers=bearer).status_code == 401


def test_a_display_name_change_keeps_the_token(api: Api) -> None:
    user_id, username = _new_user(api)
    bearer = {"Authorization": f"Bearer {_login(api, username).json()['access_token']}"}
    r = api.client.patch(f"/users/{user_id}", headers=api.headers[Role.admin],
                         json={"display_name": "PC Smith"})
    assert r.status_code == 200
    assert api.client.get("/auth/me", headers=bearer).status_code == 200


def test_the_last_active_admin_cannot_be_demoted_or_disabled(api: Api) -> None:
    admin = api.headers[Role.admin]
    others = [u for u in api.client.get("/users", headers=admin).json()
              if u["role"] == "admin" and u["active"] and u["id"] != api.users[Role.admin]]
    for other in others:  # leave one active admin: the fixture's
        assert api.client.patch(f"/users/{other['id']}", headers=admin,
                                json={"active": False}).status_code == 200
    me = api.users[Role.admin]
    for change in ({"role": "officer"}, {"active": False}):
        r = api.client.patch(f"/users/{me}", headers=admin, json=change)
        assert r.status_code == 409, r.text
        assert "last active admin" in r.json()["detail"]
    # With a second admin, the first may step down; then the second is the last.
    second_id, second_name = _new_user(api, Role.admin)
    second = {"Authorization": f"Bearer {_login(api, second_name).json()['access_token']}"}
    assert api.client.patch(f"/users/{me}", headers=second,
                            json={"role": "officer"}).status_code == 200
    assert api.client.patch(f"/users/{second_id}", headers=second,
                            json={"active": False}).status_code == 409
    # Put the fixture's admin back (other tests in the module use it).
    assert api.client.patch(f"/users/{me}", headers=second,
                            json={"role": "admin"}).status_code == 200
    api.headers[Role.admin] = {
        "Authorization": f"Bearer {_login(api, api_username(api, me)).json()['access_token']}"}


def api_username(api: Api, user_id: str) -> str:
    with api.ctx.db.engine.connect() as conn:
        return str(conn.execute(sa.text("SELECT username FROM users WHERE id = :i"),
                                {"i": user_id}).scalar_one())


def test_two_admins_demoting_each_other_at_once_leave_one(api: Api) -> None:
    """The race the row lock closes: A demotes B and holds its transaction open while B
    demotes A. At most one succeeds; an active admin is left."""
    import threading

    from lfr_api.users.schemas import UserUpdate
    from lfr_api.users.service import update_user

    first, _ = _new_user(api, Role.admin)
    second, _ = _new_user(api, Role.admin)
    with api.ctx.db.engine.begin() as conn:  # only these two are active admins now
        conn.execute(sa.text("UPDATE users SET active = :f WHERE role = 'admin' AND id NOT IN "
                             "(:a, :b)"), {"f": False, "a": first, "b": second})
    demote = UserUpdate(role=Role.officer)
    flushed, outcome = threading.Event(), {}

    def a_demotes_b() -> None:
        with api.ctx.db.session() as session:
            update_user(session, api.ctx.passwords, second, demote, "user:a")
            session.flush()
            flushed.set()
            threading.Event().wait(1.0)  # still uncommitted while B runs
        outcome["a"] = "ok"

    def b_demotes_a() -> None:
        flushed.wait(10)
        try:
            with api.ctx.db.session() as session:
                update_user(session, api.ctx.passwords, first, demote, "user:b")
            outcome["b"] = "ok"
        except Exception as exc:  # 409 on PostgreSQL; SQLite refuses the stale writer
            outcome["b"] = type(exc).__name__

    threads = [threading.Thread(target=a_demotes_b), threading.Thread(target=b_demotes_a)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    with api.ctx.db.engine.connect() as conn:
        admins = conn.execute(sa.text(
            "SELECT count(*) FROM users WHERE role = 'admin' AND active = :t"),
            {"t": True}).scalar_one()
    assert outcome["a"] == "ok" and outcome["b"] != "ok", outcome
    assert admins == 1
    with api.ctx.db.engine.begin() as conn:  # the fixture's admin back for other tests
        conn.execute(sa.text("UPDATE users SET active = :t WHERE id = :i"),
                     {"t": True, "i": api.users[Role.admin]})
    api.headers[Role.admin] = {"Authorization": "Bearer " + _login(
        api, api_username(api, api.users[Role.admin])).json()["access_token"]}
