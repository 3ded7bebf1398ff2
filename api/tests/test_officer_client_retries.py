"""The reference officer client against a scripted WebSocket server (a real one, on
loopback): it retries every transient refusal with back-off, resumes after the last cursor
received, yields each alert once and never drops a message because its cursor is lower
than one seen before; 403 and close 4403 are final."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

import pytest
from lfr_api.contract.version import CONTRACT_VERSION
from lfr_api.officer.client import ApiError, OfficerClient
from lfr_api.testing.processes import free_port
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response


def _message(kind: str, alert_id: str, cursor: int) -> str:
    return json.dumps({"type": f"alert.{kind}", "cursor": cursor,
                       "contract_version": CONTRACT_VERSION, "alert": {"id": alert_id}})


M1, M2 = _message("raised", "a1", 10), _message("raised", "a2", 7)  # 7: committed later
M3, M4 = _message("updated", "a1", 12), _message("raised", "a3", 11)
M5 = _message("raised", "a4", 13)


class Script:
    """What the server does on its n-th handshake: refuse with a status, or send messages
    and close with a code (``None``: stay open); ``then`` runs after (e.g. stop serving)."""

    def __init__(self, steps: list[tuple[int | None, list[str], int | None]]) -> None:
        self.steps = steps
        self.paths: list[str] = []
        self.server: Server | None = None
        self.then: dict[int, Callable[[], Awaitable[None]]] = {}

    def step(self) -> tuple[int | None, list[str], int | None]:
        return self.steps[min(len(self.paths), len(self.steps)) - 1]

    def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        self.paths.append(request.path)
        status, _, _ = self.step()
        if status is not None:
            return connection.respond(HTTPStatus(status), "refused\n")
        return None

    async def handler(self, socket: ServerConnection) -> None:
        n = len(self.paths)
        _, messages, code = self.step()
        for message in messages:
            await socket.send(message)
        if n in self.then:
            await self.then[n]()
        elif code is not None:
            await socket.close(code, "scripted")
        else:
            await socket.wait_closed()


async def _follow(script: Script, port: int, want: int) -> tuple[list[dict[str, Any]],
                                                                 OfficerClient]:
    client = OfficerClient(f"http://127.0.0.1:{port}", "pc-test", "unused",
                           min_backoff_s=0.02, max_backoff_s=0.2)
    client.use_tokens("a-token")
    got: list[dict[str, Any]] = []
    async with asyncio.timeout(30):
        async for message in client.feed("dep"):
            got.append(message)
            if len(got) == want:
                break
    await client.close()
    return got, client


def test_transient_refusals_are_retried_and_each_alert_is_yielded_once() -> None:
    port = free_port()
    script = Script([(503, [], None), (None, [M1], 1013), (None, [M2], 1011),
                     (None, [M1, M3], 1012), (None, [M3, M4], None), (None, [M5], None)])

    async def scenario() -> tuple[list[dict[str, Any]], OfficerClient]:
        script.server = await serve(script.handler, "127.0.0.1", port,
                                    process_request=script.process_request)

        async def go_away_then_refuse() -> None:
            # The server goes (1001 "going away"), nothing listens for a while, then it is back.
            assert script.server is not None
            script.server.close()
            await asyncio.sleep(0.5)
            script.server = await serve(script.handler, "127.0.0.1", port,
                                        process_request=script.process_request)

        script.then[5] = go_away_then_refuse
        try:
            return await _follow(script, port, want=5)
        finally:
            script.server.close()

    got, client = asyncio.run(scenario())
    assert [(m["type"], m["alert"]["id"]) for m in got] == [
        ("alert.raised", "a1"), ("alert.raised", "a2"), ("alert.updated", "a1"),
        ("alert.raised", "a3"), ("alert.raised", "a4")]
    # It resumed after the cursor last received, even where it was lower than an earlier one.
    assert script.paths == ["/deployments/dep/feed", "/deployments/dep/feed",
                            "/deployments/dep/feed?after=10", "/deployments/dep/feed?after=7",
                            "/deployments/dep/feed?after=12", "/deployments/dep/feed?after=11"]
    assert client.retries[:5] == ["HTTP 503", "close 1013", "close 1011", "close 1012",
                                  "close 1001"]
    assert "ConnectionRefusedError" in client.retries


@pytest.mark.parametrize("step", [(403, [], None), (None, [M1], 4403)])
def test_a_refusal_of_the_officer_is_final(step: tuple[int | None, list[str], int | None]
                                           ) -> None:
    port = free_port()
    script = Script([step])

    async def scenario() -> None:
        server = await serve(script.handler, "127.0.0.1", port,
                             process_request=script.process_request)
        try:
            await _follow(script, port, want=5)
        finally:
            server.close()

    with pytest.raises(ApiError) as refused:
        asyncio.run(scenario())
    assert refused.value.status == 403
    assert len(script.paths) == 1
