"""Supervised fan-out between API replicas: "deployment D has new feed events" hints on Redis.

A hint carries a deployment id only; the feed reads what to send from the database
(:mod:`lfr_api.feed.outbox`), so a hint lost in a Redis blip loses nothing: each replica's
feeds also poll, and re-read everything after the subscription comes back. The subscriber
runs under a supervisor: a lost connection (an error, or a PING unanswered within
:data:`PING_TIMEOUT_S`) is logged, reported by :attr:`FanOut.status` (for readiness), and
the subscription is restarted with exponential back-off and jitter. Publishing never
blocks or raises: without a healthy connection a hint is dropped and counted. Closing is
bounded by :data:`CLOSE_TIMEOUT_S`, whatever state Redis is in.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger(__name__)
CHANNEL = "lfr.feed.hints"
PING_EVERY_S, PING_TIMEOUT_S, CLOSE_TIMEOUT_S = 2.0, 2.0, 2.0
FIRST_BACKOFF_S, MAX_BACKOFF_S = 0.1, 5.0
MAX_IN_FLIGHT = 1000
#: ``on_hint(None)``: every deployment may have missed events (the subscription restarted).
HintHandler = Callable[[str | None], None]


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class FanOutStatus:
    """The fan-out's health, for ``/ready``: ``healthy`` and since when, why not, how often
    the subscription was restarted and how many hints were dropped."""

    backend: str
    healthy: bool = True
    since: datetime = field(default_factory=_now)
    detail: str = ""
    restarts: int = 0
    dropped: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (no secret: the Redis URL is never included)."""
        return {"backend": self.backend, "healthy": self.healthy,
                "since": self.since.isoformat(), "detail": self.detail,
                "restarts": self.restarts, "dropped_hints": self.dropped}


class FanOut:
    """Hints to and from the other replicas (Redis pub/sub), or none (one process)."""

    def __init__(self, redis_url: str | None, on_hint: HintHandler) -> None:
        self.redis_url = redis_url
        self.on_hint = on_hint
        self.status = FanOutStatus(backend="redis" if redis_url else "memory")
        self._client: Any = None
        self._task: asyncio.Task[None] | None = None
        self._in_flight: set[asyncio.Task[None]] = set()
        self._ever_up = False

    async def start(self) -> None:
        """Start the supervised subscriber (on the app's loop)."""
        if self.redis_url and self._task is None:
            self.status.healthy, self.status.detail = False, "connecting"
            self._task = asyncio.create_task(self._supervise(), name="lfr-fanout")

    def publish(self, deployment_id: str) -> None:
        """Tell the other replicas (on the loop; never blocks, never raises)."""
        client = self._client
        if not self.redis_url:
            return
        if client is None or len(self._in_flight) >= MAX_IN_FLIGHT:
            self.status.dropped += 1
            return
        task = asyncio.create_task(self._publish(client, deployment_id))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _publish(self, client: Any, deployment_id: str) -> None:
        try:
            await asyncio.wait_for(client.publish(CHANNEL, deployment_id), PING_TIMEOUT_S)
        except Exception as exc:
            self.status.dropped += 1
            log.warning("feed hint not published (%s): the other replicas poll for it",
                        type(exc).__name__)

    async def _supervise(self) -> None:
        delay = FIRST_BACKOFF_S
        while True:
            started = time.monotonic()
            try:
                await self._session()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._down(f"{type(exc).__name__}: {exc}"[:200])
            if time.monotonic() - started > 10 * MAX_BACKOFF_S:
                delay = FIRST_BACKOFF_S  # it had been up for a while: a fresh blip
            await asyncio.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, MAX_BACKOFF_S)

    async def _session(self) -> None:
        """One connection: subscribe, report healthy, read hints and PING until it fails."""
        from redis.asyncio import Redis

        client = Redis.from_url(self.redis_url or "", socket_connect_timeout=PING_TIMEOUT_S,
                                socket_timeout=PING_TIMEOUT_S + 1)
        pubsub = client.pubsub()
        try:
            await asyncio.wait_for(client.ping(), PING_TIMEOUT_S)
            await asyncio.wait_for(pubsub.subscribe(CHANNEL), PING_TIMEOUT_S)
            self._client = client
            self._up()
            self.on_hint(None)  # hints sent while we were away are lost: re-read everything
            pinged = time.monotonic()
            while True:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5)
                if message is not None and message.get("type") == "message":
                    data = message["data"]
                    self.on_hint(data.decode() if isinstance(data, bytes) else str(data))
                if time.monotonic() - pinged > PING_EVERY_S:
                    await asyncio.wait_for(client.ping(), PING_TIMEOUT_S)
                    pinged = time.monotonic()
        finally:
            self._client = None
            with contextlib.suppress(Exception):
                await asyncio.wait_for(pubsub.aclose(), CLOSE_TIMEOUT_S / 2)  # type: ignore[no-untyped-call]
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.aclose(), CLOSE_TIMEOUT_S / 2)

    def _up(self) -> None:
        if self._ever_up:
            self.status.restarts += 1
            log.warning("feed fan-out: Redis subscription restored (restart %d)",
                        self.status.restarts)
        self._ever_up = True
        self.status.healthy, self.status.since, self.status.detail = True, _now(), ""

    def _down(self, detail: str) -> None:
        if self.status.healthy:
            self.status.healthy, self.status.since = False, _now()
            log.warning("feed fan-out: Redis lost (%s); restarting with back-off, feeds "
                        "poll the database meanwhile", detail)
        self.status.detail = detail

    async def close(self) -> None:
        """Stop the subscriber and pending publishes, within :data:`CLOSE_TIMEOUT_S`."""
        tasks = [t for t in (self._task, *self._in_flight) if t is not None]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=CLOSE_TIMEOUT_S)
        self._task = None
