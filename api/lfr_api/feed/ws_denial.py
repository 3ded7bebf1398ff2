"""Refuse a WebSocket handshake with a real HTTP status and a problem-details body.

Litestar refuses a WebSocket (bad token, wrong role, not assigned, unknown deployment) by
closing it with code ``4000 + status`` before accepting it. A real ASGI server turns a close
before accept into a bare ``HTTP 403``, so a phone could not tell an expired token (refresh
and retry) from a refusal (stop). Where the server supports the ASGI *WebSocket Denial
Response* extension (uvicorn does), this middleware answers such a refusal with the status
itself (401, 403, 404, …) and an ``application/problem+json`` body instead. Elsewhere (the
test client) the close codes pass through unchanged.

Code 1013 (*Try Again Later*: the database could not be reached to check the caller) is
not a refusal: the socket is accepted and closed with 1013 everywhere, so the client sees
the code and retries.
"""

from __future__ import annotations

import json
from typing import Any

from litestar.enums import ScopeType
from litestar.exceptions import WebSocketException
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from lfr_api.errors import PROBLEM_JSON, TYPE_BASE

DENIAL_EXTENSION = "websocket.http.response"
TRY_AGAIN_LATER = 1013
_TITLES = {401: "Not authenticated", 403: "Forbidden", 404: "Not found", 409: "Conflict",
           500: "Internal error"}


def status_of(close_code: int) -> int:
    """The HTTP status a refusal's close code stands for (``4000 + status``); 403 otherwise."""
    status = close_code - 4000
    return status if 400 <= status <= 599 else 403


class WebSocketDenial:
    """ASGI middleware: pre-accept closes become HTTP denial responses (see the module)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.WEBSOCKET:
            await self.app(scope, receive, send)
            return
        denial = DENIAL_EXTENSION in (scope.get("extensions") or {})
        state = {"accepted": False, "done": False}

        async def guarded(message: Message) -> None:
            if message["type"] == "websocket.accept":
                state["accepted"] = True
            elif (message["type"] == "websocket.close" and not state["accepted"]
                  and not state["done"]):
                state["done"] = True
                code = int(message.get("code") or 1000)
                reason = str(message.get("reason") or "")
                if code == TRY_AGAIN_LATER:
                    await try_again_later(send, reason)
                elif denial:
                    await deny(send, status_of(code), reason, scope)
                else:
                    await send(message)
                return
            await send(message)

        try:
            await self.app(scope, receive, guarded)
        except WebSocketException as exc:  # the auth middleware refuses bad credentials
            if state["accepted"] or state["done"]:
                raise
            if exc.code == TRY_AGAIN_LATER:
                await try_again_later(send, exc.detail)
            elif denial:
                await deny(send, status_of(exc.code), exc.detail, scope)
            else:
                raise


async def try_again_later(send: Send, reason: str) -> None:
    """Accept, then close with 1013: the client sees the code itself (not a bare 403)."""
    await send({"type": "websocket.accept", "subprotocol": None, "headers": []})
    await send({"type": "websocket.close", "code": TRY_AGAIN_LATER, "reason": reason[:120]})


async def deny(send: Send, status: int, detail: str, scope: Scope) -> None:
    """Send an HTTP denial response with a problem-details body."""
    title = _TITLES.get(status, "Refused")
    body = json.dumps({"type": f"{TYPE_BASE}websocket-{status}", "title": title,
                       "status": status, "detail": detail or title,
                       "instance": str(scope.get("path", ""))}).encode()
    start: Any = {"type": "websocket.http.response.start", "status": status,
                  "headers": [(b"content-type", PROBLEM_JSON.encode()),
                              (b"content-length", str(len(body)).encode())]}
    await send(start)
    end: Any = {"type": "websocket.http.response.body", "body": body, "more_body": False}
    await send(end)
