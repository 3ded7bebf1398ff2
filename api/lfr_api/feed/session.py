"""One officer's feed on one socket: what was missed first, then live events, in commit order.

The feed joins this replica's tail of the deployment (:mod:`lfr_api.feed.hub`), which
gives the position up to which every event is committed; it sends the backlog up to that
position (after the client's cursor, or the pending snapshot without one), then every
event the tail hands out after it. Nothing is skipped and nothing sent twice, whichever
replica committed what, in whatever order. The database going away closes the feed with
1013 ("try again later"), before or after the handshake; the client reconnects with
``?after=<cursor>``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread
from litestar.connection import WebSocket
from litestar.exceptions import WebSocketDisconnect

from lfr_api.context import AppContext
from lfr_api.contract.version import CONTRACT_HEADER, CONTRACT_VERSION
from lfr_api.errors import database_unavailable
from lfr_api.feed.entitlement import FeedEntitlement, feed_subprotocol
from lfr_api.feed.hub import DATABASE_DOWN, TOO_SLOW, Item
from lfr_api.feed.outbox import Position

if TYPE_CHECKING:
    from lfr_api.health.metrics import AppMetrics

log = logging.getLogger(__name__)
#: The close code of a feed the service cannot serve now (database down): reconnect later.
TRY_AGAIN_LATER = 1013
_REASONS = {DATABASE_DOWN: "database unavailable: reconnect with ?after=<cursor>",
            TOO_SLOW: "too far behind: reconnect with ?after=<cursor>"}


def envelope(message: dict[str, Any]) -> dict[str, Any]:
    """A feed message as sent to the phone: stamped with the mobile contract version."""
    return {**message, "contract_version": CONTRACT_VERSION}


async def try_again_later(socket: WebSocket[Any, Any, Any], reason: str) -> None:
    """Refuse or end a feed with 1013 (after accepting: a refusal before the handshake would
    reach the client as a bare HTTP 403, which reads as final)."""
    if socket.connection_state == "init":
        await socket.accept(headers={CONTRACT_HEADER: CONTRACT_VERSION},
                            subprotocols=feed_subprotocol(socket))
    if socket.connection_state != "disconnect":
        await socket.close(code=TRY_AGAIN_LATER, reason=reason)


def _start(ctx: AppContext, deployment_id: str, after: int | None,
           head: Position) -> tuple[list[dict[str, Any]], Position, set[str]]:
    """The first messages, the position below which live events are repeats, and the ids of
    the alerts a pending snapshot showed."""
    from lfr_api.alerts import service

    reader = ctx.delivery.hub.reader
    low = None if after is None else reader.place(after)
    if low is not None:
        backlog = [e.message for e in reader.between(deployment_id, low, head)]
        return backlog, max(low, head), set()
    pending = service.pending_snapshot(ctx, deployment_id, head)
    return pending, head, {m["alert"]["id"] for m in pending}


async def serve_feed(socket: WebSocket[Any, Any, Any], ctx: AppContext, deployment_id: str,
                     after: int | None, entitlement: FeedEntitlement) -> None:
    """Serve the feed on ``socket`` until the client leaves or its right to the deployment
    goes (``entitlement`` re-checks it before each batch and on a timer; see the module
    docstring)."""
    hub = ctx.delivery.hub
    metrics = ctx.metrics
    try:
        queue, head = await hub.join(deployment_id)
    except Exception as exc:
        if not database_unavailable(exc):
            raise
        await try_again_later(socket, _REASONS[DATABASE_DOWN])
        return
    try:
        try:
            first, floor, shown = await anyio.to_thread.run_sync(_start, ctx, deployment_id,
                                                                 after, head)
        except Exception as exc:
            if not database_unavailable(exc):
                raise
            await try_again_later(socket, _REASONS[DATABASE_DOWN])
            return
        await socket.accept(headers={CONTRACT_HEADER: CONTRACT_VERSION},
                            subprotocols=feed_subprotocol(socket))
        if metrics is not None:
            metrics.feed_connections.inc()
        try:
            await _deliver(socket, entitlement, queue, first, floor, shown, metrics)
        finally:
            if metrics is not None:
                metrics.feed_connections.dec()
    except WebSocketDisconnect:
        pass
    finally:
        hub.leave(deployment_id, queue)


async def _deliver(socket: WebSocket[Any, Any, Any], entitlement: FeedEntitlement,
                   queue: asyncio.Queue[Item], first: list[dict[str, Any]], floor: Position,
                   shown: set[str], metrics: AppMetrics | None) -> None:
    """Send the first messages, then the tail's events, while the caller keeps its right."""
    if not await entitlement.allows():
        await entitlement.close_if_refused()
        return
    for message in first:
        await socket.send_json(envelope(message))
    if metrics is not None:
        metrics.delivered("feed", len(first))
    async with anyio.create_task_group() as group:
        group.start_soon(_until_client_leaves, socket, group.cancel_scope)
        group.start_soon(_until_right_gone, entitlement, group.cancel_scope)
        while True:
            item = await queue.get()
            if isinstance(item, str):
                await try_again_later(socket, _REASONS[item])
                break
            fresh = [e for e in item if not (
                e.position <= floor or (e.message["type"] == "alert.raised"
                                        and e.message["alert"]["id"] in shown))]
            if fresh and not await entitlement.allows():
                break
            for event in fresh:
                await socket.send_json(envelope(event.message))
                if metrics is not None and event.message["type"] == "alert.raised":
                    metrics.delivered("feed", stored_at=event.message["alert"].get(
                        "received_at"))
        group.cancel_scope.cancel()
    await entitlement.close_if_refused()


async def _until_right_gone(entitlement: FeedEntitlement, scope: anyio.CancelScope) -> None:
    await entitlement.watch()
    scope.cancel()


async def _until_client_leaves(socket: WebSocket[Any, Any, Any],
                               scope: anyio.CancelScope) -> None:
    try:
        while True:
            await socket.receive_text()
    except WebSocketDisconnect:
        pass
    scope.cancel()
