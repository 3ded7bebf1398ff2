"""ASGI middleware that holds every request to the input policy (:mod:`.policy`).

HTTP: the path and query are checked, and a non-multipart body is read (up to the JSON
limit, then refused with 413 without reading the rest) and checked before the route sees
it. WebSocket: the path and query are checked (refused with close code 4400, which
:mod:`lfr_api.feed.ws_denial` answers as an HTTP 400).
"""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.exceptions import WebSocketException
from litestar.types import ASGIApp, HTTPRequestEvent, Receive, ReceiveMessage, Scope, Send

from lfr_api.errors import InvalidRequest, PayloadTooLarge
from lfr_api.inputs import policy

#: Bodies the JSON checks skip: multipart uploads (their size is Litestar's
#: ``request_max_body_size``; their text fields are checked where they are parsed).
_NOT_JSON = (b"multipart/form-data",)


def _content_type(scope: Scope) -> bytes:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-type":
            return bytes(value).lower()
    return b""


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk: bytes = message.get("body", b"")  # type: ignore[assignment]
        size += len(chunk)
        if size > policy.MAX_JSON_BYTES:
            raise PayloadTooLarge(f"the JSON body is over {policy.MAX_JSON_BYTES} bytes: "
                                  "send less")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


class InputPolicy:
    """The middleware (added once, app-wide, in :mod:`lfr_api.app`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in (ScopeType.HTTP, ScopeType.WEBSOCKET):
            await self.app(scope, receive, send)
            return
        if kind == ScopeType.WEBSOCKET:
            await self._websocket(scope, receive, send)
            return
        policy.check_path_and_query(str(scope.get("path", "")),
                                    bytes(scope.get("query_string", b"")))
        if _content_type(scope).startswith(_NOT_JSON):
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        if body:
            policy.check_json(body)
        replayed = False

        async def replay() -> ReceiveMessage:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            message: HTTPRequestEvent = {"type": "http.request", "body": body,
                                         "more_body": False}
            return message

        await self.app(scope, replay, send)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            policy.check_path_and_query(str(scope.get("path", "")),
                                        bytes(scope.get("query_string", b"")))
        except InvalidRequest as exc:
            raise WebSocketException(detail=exc.detail, code=4400) from None
        await self.app(scope, receive, send)
