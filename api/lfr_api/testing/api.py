"""Helpers for testing the service (used by api/tests; handy for integration tests too):
test settings, a running app with a user of every role, and request builders."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient

from lfr_api.app import create_app
from lfr_api.biometrics.crypto import DataKey, Keyring
from lfr_api.context import AppContext
from lfr_api.security.roles import USER_ROLES, Role
from lfr_api.settings import PasswordHashing, Settings
from lfr_api.users.schemas import UserCreate
from lfr_api.users.service import create_user
from lfr_framework.models.store import default_home
from lfr_framework.plugins import PluginHost

PG_URL = os.environ.get("LFR_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("LFR_TEST_REDIS_URL")
PASSWORD = "correct horse battery staple"
FAST_HASH = PasswordHashing(time_cost=1, memory_cost_kib=1024, parallelism=1)
#: The tests' data key (a fixed, non-secret key: tests only).
TEST_DATA_KEY = DataKey.from_bytes(bytes(range(32)))


def pg_schema_url(schema: str) -> str:
    assert PG_URL is not None
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


def make_settings(home: Path, database_url: str, **overrides: Any) -> Settings:
    """Test settings: the shared model store, a cheap KDF, the given database, the tests'
    data key."""
    values: dict[str, Any] = dict(home=home, database_url=database_url,
                                  jwt_secret="test-secret-" + "x" * 40,
                                  password_hashing=FAST_HASH,
                                  data_keys=Keyring(TEST_DATA_KEY))
    values.update(overrides)
    return Settings(**values)


def now() -> datetime:
    """Timezone-aware now."""
    return datetime.now(UTC)


@dataclass
class Api:
    """A running app, a client and a user of each role with their auth headers."""

    app: Litestar
    client: TestClient[Litestar]
    users: dict[Role, str] = field(default_factory=dict)
    headers: dict[Role, dict[str, str]] = field(default_factory=dict)

    @property
    def ctx(self) -> AppContext:
        ctx: AppContext = self.app.state["ctx"]
        return ctx

    def add_user(self, role: Role) -> tuple[str, dict[str, str]]:
        """A new user of ``role`` (created directly) and its auth headers."""
        username = f"{role.value}-{uuid.uuid4().hex[:8]}"
        with self.ctx.db.session() as session:
            user = create_user(session, self.ctx.passwords,
                               UserCreate(username=username, password=PASSWORD, role=role))
            user_id = user.id
        r = self.client.post("/auth/login", json={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
        return user_id, {"Authorization": f"Bearer {r.json()['access_token']}"}

    def deployment(self, *, live: bool = False, published: bool = False,
                   cameras: tuple[str, ...] = ("cam-1",),
                   fields: dict[str, Any] | None = None,
                   camera_fields: dict[str, Any] | None = None) -> str:
        """A deployment, authorised for the next hour (and live if asked); ``fields`` are
        added to the draft's body (e.g. ``retention_periods``), ``camera_fields`` to each
        camera's (cameras can only be set on the draft)."""
        c, h = self.client, self.headers
        r = c.post("/deployments", json={"name": "Test deployment", "location": "High St",
                                         **(fields or {})},
                   headers=h[Role.admin])
        assert r.status_code == 201, r.text
        dep = r.json()["id"]
        for cam in cameras:
            r = c.post(f"/deployments/{dep}/cameras", headers=h[Role.admin], json={
                "camera_id": cam, "source": "video", "uri": "file:///dev/null",
                "location_name": f"{cam} at the station entrance", **(camera_fields or {})})
            assert r.status_code == 201, r.text
        r = c.post(f"/deployments/{dep}/authorise", headers=h[Role.authorising_officer],
                   json=authorisation())
        assert r.status_code == 200, r.text
        if published:
            assert c.post(f"/deployments/{dep}/publish",
                          headers=h[Role.admin]).status_code == 200
        if live:
            r = c.post(f"/deployments/{dep}/start", headers=h[Role.admin])
            assert r.status_code == 200, r.text
        return str(dep)

    def operating(self, deployment_id: str) -> dict[str, Any]:
        """What a camera node's alert must carry now: the deployment's recogniser
        ``model_id`` and operating ``threshold`` (as ``/ingest/watchlist`` gives it)."""
        from lfr_api.db.models import Deployment
        from lfr_api.deployments import operating_point as points

        with self.ctx.db.session() as session:
            deployment = session.get(Deployment, deployment_id)
            assert deployment is not None
            return {"model_id": points.recogniser_model_id(self.ctx, deployment),
                    "threshold": points.operating_threshold(self.ctx, deployment)}

    def assign(self, deployment_id: str, role: Role = Role.officer) -> None:
        """Assign the test user of ``role`` to a deployment."""
        r = self.client.post(f"/deployments/{deployment_id}/assignments",
                             headers=self.headers[Role.admin],
                             json={"user_id": self.users[role]})
        assert r.status_code == 201, r.text

    def service_key(self, deployment_id: str) -> dict[str, str]:
        """A new service account's API key header for the deployment."""
        r = self.client.post(f"/deployments/{deployment_id}/service-accounts",
                             headers=self.headers[Role.admin],
                             json={"name": f"node-{uuid.uuid4().hex[:6]}"})
        assert r.status_code == 201, r.text
        return {"X-API-Key": r.json()["api_key"]}


def authorisation(start: datetime | None = None, hours: float = 1.0) -> dict[str, Any]:
    """A complete authorisation body."""
    start = start or now() - timedelta(minutes=5)
    return {
        "purpose": "Locate people wanted for serious offences", "legal_basis": "Common law",
        "necessity": "Recent serious offences nearby", "proportionality": "Four hours, one site",
        "watchlist_criteria": "Wanted for serious offences", "community_impact_ref": "CIA-1",
        "location": "High St, outside the station", "authorised_start": start.isoformat(),
        "authorised_end": (start + timedelta(hours=hours)).isoformat(),
    }


def build_api(plugin_host: PluginHost, database_url: str, **overrides: Any) -> Iterator[Api]:
    """Start an app (lifespan included) with a user of every role."""
    home = overrides.pop("home", default_home())
    settings = make_settings(home, database_url, **overrides)
    app = create_app(settings, host=plugin_host)
    with TestClient(app) as client:
        api = Api(app=app, client=client)
        for role in USER_ROLES:
            api.users[role], api.headers[role] = api.add_user(role)
        yield api
    app.state["ctx"].db.engine.dispose()


def build_replicas(plugin_host: PluginHost, database_url: str,
                   **overrides: Any) -> Iterator[tuple[Api, Api]]:
    """Two instances of the service on one database (what two replicas share), started in
    order and stopped in reverse, each through :func:`build_api`'s own teardown."""
    first = build_api(plugin_host, database_url, **overrides)
    second = build_api(plugin_host, database_url, **overrides)
    pair = next(first), next(second)
    yield pair
    for gen in (second, first):
        next(gen, None)


def enrol(api: Api, deployment_id: str, photos: list[tuple[str, bytes]],
          **fields: str) -> Any:
    """POST a multipart enrolment; returns the response."""
    data = {"reference": "WR-1", "category": "wanted_serious_offence",
            "reason": "Wanted for robbery", "image_source": "custody record 2024",
            "lawfully_held": "true"}
    data.update(fields)
    files = [("images", (name, content, "image/jpeg")) for name, content in photos]
    return api.client.post(f"/deployments/{deployment_id}/watchlist", data=data, files=files,
                           headers=api.headers[Role.admin])

