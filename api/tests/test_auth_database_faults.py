"""The auth middleware never blocks the event loop on the database, and an outage during
authentication is a 503 with ``Retry-After`` (REST) or close code 1013 (the feed's
handshake). Real servers: uvicorn on loopback; a stalled query on the shared test
PostgreSQL (the ``users`` table locked by another connection), and an outage of a
PostgreSQL of the test's own (stopped, then started again)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import uuid
from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa
from lfr_api.security.roles import Role
from lfr_api.testing.api import PG_URL, Api, pg_schema_url
from lfr_api.testing.live import LiveServer, live_api
from lfr_api.testing.processes import PostgresServer
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from lfr_framework.plugins import PluginHost

pytestmark = pytest.mark.network_service


@contextlib.contextmanager
def _served(host: PluginHost, url: str) -> Iterator[tuple[Api, LiveServer]]:
    running = live_api(host, url)
    try:
        yield next(running)
    finally:
        next(running, None)  # stop the server, dispose of the engine


@pytest.fixture(scope="module")
def pg_schema() -> Iterator[str]:
    if not PG_URL:
        pytest.skip("LFR_TEST_DATABASE_URL is not set")
    schema = f"lfr_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_a_stalled_auth_query_does_not_freeze_the_server(plugin_host: PluginHost,
                                                         pg_schema: str) -> None:
    url = pg_schema_url(pg_schema)
    with _served(plugin_host, url) as (api, server):
        locker = sa.create_engine(url)
        done: dict[str, int] = {}
        try:
            with locker.connect() as conn:
                conn.execute(sa.text("LOCK TABLE users IN ACCESS EXCLUSIVE MODE"))

                def authenticated() -> None:
                    done["status"] = httpx.get(f"{server.url}/auth/me", timeout=60,
                                               headers=api.headers[Role.officer]).status_code

                waiting = threading.Thread(target=authenticated)
                waiting.start()
                waiting.join(1.0)
                assert waiting.is_alive(), "the lookup was not stalled by the lock"
                # The stalled lookup holds a worker thread, not the event loop.
                health = httpx.get(f"{server.url}/health", timeout=10)
                assert health.status_code == 200
                assert "status" not in done
                conn.rollback()  # release the lock
            waiting.join(30)
            assert done["status"] == 200
        finally:
            locker.dispose()


def test_database_outage_during_authentication_is_503_or_1013(
        plugin_host: PluginHost, own_pg: PostgresServer) -> None:
    with _served(plugin_host, own_pg.url) as (api, server):
        admin = api.headers[Role.admin]
        dep = api.client.post("/deployments", headers=admin, json={"name": "Outage"}).json()["id"]
        ws_url = server.url.replace("http://", "ws://") + f"/deployments/{dep}/feed"
        token = admin["Authorization"].removeprefix("Bearer ")

        async def handshake() -> int | None:
            async with connect(f"{ws_url}?token={token}", proxy=None) as socket:
                try:
                    async with asyncio.timeout(10):
                        await socket.recv()
                except ConnectionClosed:
                    pass
                return socket.close_code

        own_pg.stop()
        try:
            r = httpx.get(f"{server.url}/auth/me", headers=admin, timeout=30)
            assert r.status_code == 503, r.text
            assert r.headers["content-type"].startswith("application/problem+json")
            assert int(r.headers["Retry-After"]) >= 1
            assert "database" in r.json()["detail"]
            assert asyncio.run(handshake()) == 1013
            # Public routes need no database lookup for the caller.
            assert httpx.get(f"{server.url}/health", headers=admin).status_code == 200
        finally:
            own_pg.start()
        # Back: the same token works again (nothing was lost or locked out).
        assert httpx.get(f"{server.url}/auth/me", headers=admin,
                         timeout=30).status_code == 200
