"""Where a caller's credentials are found: ``Authorization: Bearer``, ``X-API-Key`` and, on
the feed's WebSocket, the ``Sec-WebSocket-Protocol`` pair ``lfr.v1, bearer.<token>`` (a
browser cannot set headers on a WebSocket) or the legacy ``?token=`` query parameter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType

from lfr_api.errors import NotAuthenticated

API_KEY_PREFIX = "lfrk"
#: The feed's subprotocol: offered with ``bearer.<token>``, echoed by the server on accept
#: (the token itself is never echoed back).
FEED_SUBPROTOCOL = "lfr.v1"
BEARER_SUBPROTOCOL_PREFIX = "bearer."


@dataclass(frozen=True, slots=True)
class Credentials:
    """A bearer JWT or an API key, as presented."""

    kind: Literal["jwt", "key"]
    value: str


def _classify(value: str) -> Credentials:
    return Credentials("key" if value.startswith(API_KEY_PREFIX + "_") else "jwt", value)


def offered_subprotocols(connection: ASGIConnection[Any, Any, Any, Any]) -> list[str]:
    """The WebSocket subprotocols the client offered, in its order."""
    offered: Any = connection.scope.get("subprotocols")
    if isinstance(offered, list | tuple):
        return [str(p) for p in offered]
    header = connection.headers.get("sec-websocket-protocol", "")
    return [p.strip() for p in header.split(",") if p.strip()]


def credentials(connection: ASGIConnection[Any, Any, Any, Any]) -> Credentials | None:
    """The credentials the caller presented, ``None`` for none; ``NotAuthenticated`` for a
    malformed ``Authorization`` header."""
    header = connection.headers.get("authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise NotAuthenticated("use 'Authorization: Bearer <token>'")
        return _classify(value.strip())
    key = connection.headers.get("x-api-key")
    if key:
        return Credentials("key", key.strip())
    if connection.scope["type"] == ScopeType.WEBSOCKET:
        for protocol in offered_subprotocols(connection):
            if protocol.startswith(BEARER_SUBPROTOCOL_PREFIX):
                return _classify(protocol.removeprefix(BEARER_SUBPROTOCOL_PREFIX))
        token = connection.query_params.get("token")
        if token:
            return _classify(token)
    return None
