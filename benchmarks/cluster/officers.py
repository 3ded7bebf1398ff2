"""The harness's officers: the reference client (``OfficerClient``) following one
deployment's feed, each reconnecting to the replicas in turn (a round-robin balancer) and
dropping its connection at random; what each yields is recorded with the time received."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from lfr_api.officer.client import ApiError, OfficerClient

_LOGINS: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = {}


def _logins() -> asyncio.Semaphore:
    """At most 16 logins at once, per event loop (a test runs one loop per trial)."""
    return _LOGINS.setdefault(asyncio.get_running_loop(), asyncio.Semaphore(16))


class RoundRobinOfficer(OfficerClient):
    """The reference client, each (re)connect going to the next replica."""

    def __init__(self, urls: list[str], username: str, password: str) -> None:
        super().__init__(urls[0], username, password, max_backoff_s=2.0)
        self.urls = urls
        self.repeats = 0

    def _feed_url(self, deployment_id: str) -> str:
        url = super()._feed_url(deployment_id)
        target = urlsplit(self.urls[self.connections % len(self.urls)])
        parts = urlsplit(url)
        return urlunsplit((parts.scheme, target.netloc, parts.path, parts.query, ""))

    def _repeat(self, deployment_id: str, message: dict[str, Any]) -> bool:
        repeat = super()._repeat(deployment_id, message)
        self.repeats += repeat
        return repeat


@dataclass
class Watch:
    """What one officer received: alert id → receive times (one per time it was yielded)."""

    username: str
    received: dict[str, list[float]] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    trace: list[tuple[str, str, int, int]] = field(default_factory=list)  # type, id, cursor, conn
    latencies: list[tuple[float, float]] = field(default_factory=list)  # (raised, latency)
    error: str | None = None
    client: RoundRobinOfficer | None = None


async def follow(urls: list[str], username: str, password: str, deployment_id: str,
                 watch: Watch, stop: asyncio.Event, drop_every_s: float) -> None:
    """Follow the feed until ``stop``; drop the connection every ~``drop_every_s``."""
    client = RoundRobinOfficer(urls, username, password)
    async with _logins():  # hundreds of officers log in at once: a few at a time, retried
        for attempt in range(20):
            try:
                await client.login()
                break
            except (httpx.HTTPError, ApiError):
                await asyncio.sleep(min(0.2 * 2 ** attempt, 5.0) * (0.5 + random.random()))
    watch.client = client

    async def dropper() -> None:
        while not stop.is_set():
            await asyncio.sleep(random.expovariate(1 / drop_every_s))
            await client.drop_connection()

    async def consume() -> None:
        try:
            async for message in client.feed(deployment_id):
                if message["type"] not in ("alert.raised", "alert.pending"):
                    continue
                now = time.time()
                alert = message["alert"]
                watch.received.setdefault(alert["id"], []).append(now)
                watch.order.append(alert["id"])
                watch.trace.append((message["type"], alert["id"], int(message["cursor"]),
                                    client.connections))
                raised = datetime.fromisoformat(alert["raised_at"]).timestamp()
                watch.latencies.append((raised, now - raised))
        except ApiError as exc:
            watch.error = str(exc)
        except Exception as exc:  # a harness bug or a client bug: say so in the figures
            watch.error = f"{type(exc).__name__}: {exc}"

    tasks = [asyncio.create_task(consume())]
    if drop_every_s > 0:
        tasks.append(asyncio.create_task(dropper()))
    await stop.wait()
    await client.stop_feed()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await client.close()
