"""A real service for end-to-end tests: uvicorn on 127.0.0.1 in a thread (loopback only)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import uvicorn


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """Runs an ASGI app with uvicorn (lifespan included) until :meth:`stop`."""

    def __init__(self, app: Any, port: int = 0) -> None:
        self.app = app
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", port))
        self.port = int(self._sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
        self._thread = threading.Thread(target=self._server.run,
                                        kwargs={"sockets": [self._sock]}, daemon=True,
                                        name=f"uvicorn-{self.port}")

    def start(self, timeout_s: float = 30.0) -> LiveServer:
        """Start and wait until it accepts connections."""
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the test server on port {self.port} did not start")
            time.sleep(0.02)
        return self

    def stop(self, timeout_s: float = 30.0) -> None:
        """Shut down (lifespan shutdown included) and release the port."""
        self._server.should_exit = True
        self._thread.join(timeout_s)
        self._sock.close()

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def live_api(plugin_host: Any, database_url: str,
             **overrides: Any) -> Iterator[tuple[Any, LiveServer]]:
    """Like :func:`lfr_api.testing.api.build_api`, but served by uvicorn on loopback: yields the
    ``Api`` helper (its client is an ``httpx.Client`` on the server) and the server."""
    import httpx

    from lfr_api.app import create_app
    from lfr_api.security.roles import USER_ROLES
    from lfr_api.testing.api import Api, make_settings
    from lfr_framework.models.store import default_home

    app = create_app(make_settings(default_home(), database_url, **overrides), host=plugin_host)
    with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        api = Api(app=app, client=client)  # type: ignore[arg-type]
        for role in USER_ROLES:
            api.users[role], api.headers[role] = api.add_user(role)
        yield api, server
    app.state["ctx"].db.engine.dispose()
