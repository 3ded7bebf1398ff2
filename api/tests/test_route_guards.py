"""Every route declares one guard, and anonymous and wrong-role callers are refused."""

from __future__ import annotations

import re
from typing import Any

import pytest
from lfr_api.security.guards import PublicGuard, RoleGuard
from lfr_api.security.roles import ALL_ROLES, Role
from lfr_api.testing.api import Api
from litestar.exceptions import WebSocketDisconnect
from litestar.routes import HTTPRoute, WebSocketRoute

PUBLIC = {("/health", "GET"), ("/ready", "GET"), ("/metrics", "GET"),
          ("/auth/login", "POST"), ("/auth/refresh", "POST"),
          ("/public/deployments", "GET"),
          ("/public/deployments/{deployment_id:str}/summary", "GET"),
          # The web app's files (lfr_api/webapp): the page, bundle, service worker, icons.
          ("/app", "GET"), ("/app/{rest:path}", "GET"), ("/app/{file_path:path}", "GET")}


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}:]+:[^}]+\}", "00000000-0000-0000-0000-000000000000", path)


def _routes(api: Api) -> list[tuple[str, str, Any]]:
    out = []
    for route in api.app.routes:
        if route.path.startswith("/schema"):
            continue  # Litestar's OpenAPI controller: public by design
        if isinstance(route, HTTPRoute):
            for handler in route.route_handlers:
                for method in sorted(handler.http_methods - {"OPTIONS", "HEAD"}):
                    out.append((route.path, method, handler))
        elif isinstance(route, WebSocketRoute):
            out.append((route.path, "WS", route.route_handler))
    return out


def _guard(handler: Any) -> RoleGuard | PublicGuard:
    guards = [getattr(g, "func", g) for g in handler.resolve_guards()]
    ours = [g for g in guards if isinstance(g, RoleGuard | PublicGuard)]
    assert len(ours) == 1, f"{handler} must declare exactly one guard, has {ours}"
    return ours[0]


def test_every_route_declares_a_guard(api: Api) -> None:
    routes = _routes(api)
    assert len(routes) > 30
    for path, method, handler in routes:
        guard = _guard(handler)
        if isinstance(guard, PublicGuard):
            assert (path, method) in PUBLIC, f"{method} {path} is public but not listed"
        else:
            assert guard.roles, f"{method} {path} allows nobody"


def _call(api: Api, method: str, path: str, headers: dict[str, str]) -> int:
    url = _concrete(path)
    if method == "WS":
        try:
            with api.client.websocket_connect(url, headers=headers):
                return 101
        except WebSocketDisconnect as exc:
            return exc.code - 4000 if exc.code >= 4000 else exc.code
    return api.client.request(method, url, headers=headers, json={}).status_code


def test_anonymous_and_wrong_roles_are_refused(api: Api) -> None:
    dep = api.deployment()
    service = api.service_key(dep)
    callers: dict[Role, dict[str, str]] = {**api.headers, Role.service: service}
    checked = 0
    for path, method, handler in _routes(api):
        guard = _guard(handler)
        if isinstance(guard, PublicGuard):
            continue
        assert _call(api, method, path, {}) == 401, f"anonymous {method} {path}"
        for role in ALL_ROLES - guard.roles:
            status = _call(api, method, path, callers[role])
            assert status == 403, f"{role} {method} {path} gave {status}"
            checked += 1
    assert checked > 50


@pytest.mark.parametrize("header", ["Bearer not-a-token", "Basic abc", "Bearer lfrk_wrong"])
def test_bad_credentials_are_401_problem(api: Api, header: str) -> None:
    r = api.client.get("/deployments", headers={"Authorization": header})
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["status"] == 401
