"""A database outage closes the open feeds with 1013 ("try again later"), and a reconnect
after the database is back resumes with nothing lost. The test runs its own PostgreSQL
(``initdb`` into a temporary folder, on a spare port) and stops that one only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from lfr_api.feed.session import TRY_AGAIN_LATER
from lfr_api.security.roles import Role
from lfr_api.testing.api import Api, build_api
from lfr_api.testing.data import ingest_alert, live_deployment
from lfr_api.testing.processes import PostgresServer, have_servers
from litestar.exceptions import WebSocketDisconnect

from lfr_framework.plugins import PluginHost

pytestmark = pytest.mark.skipif(not have_servers(), reason="PostgreSQL server binaries and "
                                "redis-server are not installed")


@pytest.fixture
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer().init().start()
    yield server
    server.destroy()


@pytest.fixture
def api_on_own_postgres(plugin_host: PluginHost, postgres: PostgresServer) -> Iterator[Api]:
    yield from build_api(plugin_host, postgres.url, feed_poll_seconds=0.2)


def test_open_feeds_close_with_1013_when_the_database_goes_and_resume_when_it_is_back(
        api_on_own_postgres: Api, postgres: PostgresServer,
        photo_bytes: dict[str, bytes]) -> None:
    api = api_on_own_postgres
    live = live_deployment(api, photo_bytes["obama"])
    officer = api.headers[Role.officer]
    with api.client.websocket_connect(f"/deployments/{live.id}/feed", headers=officer) as ws:
        first = ingest_alert(api, live)
        message = ws.receive_json(timeout=10)
        assert message["alert"]["id"] == first
        postgres.stop("fast")
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json(timeout=15)
    assert closed.value.code == TRY_AGAIN_LATER
    postgres.start()
    with api.client.websocket_connect(f"/deployments/{live.id}/feed?after={message['cursor']}",
                                      headers=officer) as ws:
        second = ingest_alert(api, live)
        assert ws.receive_json(timeout=10)["alert"]["id"] == second
