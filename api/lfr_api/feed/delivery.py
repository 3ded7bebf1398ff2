"""Alert delivery after persistence: the officers' WebSocket feed (Litestar channels), plus
any further publishers (the FCM sink plugs in here).

A message is already committed to the ``alert_events`` outbox when it reaches here, so a
publisher that fails loses nothing: the feed replays from the outbox on (re)connect.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, runtime_checkable

from litestar.channels import ChannelsPlugin
from litestar.channels.backends.base import ChannelsBackend
from litestar.channels.backends.memory import MemoryChannelsBackend

log = logging.getLogger(__name__)


def feed_channel(deployment_id: str) -> str:
    """The channel name of a deployment's feed."""
    return f"deployment.{deployment_id}"


@runtime_checkable
class AlertPublisher(Protocol):
    """Delivers a committed feed message somewhere (officers' phones, a pager, …).

    ``message`` is the JSON-ready feed message (``type``, ``cursor``, ``alert``): it holds no
    biometric data, only links. Raising marks this delivery as failed; others go on.
    """

    name: str

    def publish(self, message: dict[str, Any]) -> None:
        """Deliver one message. Called on a worker thread, never on the event loop."""


def channels_backend(redis_url: str | None) -> ChannelsBackend:
    """The Redis pub/sub backend when a URL is given, else the in-memory one."""
    if redis_url:
        from litestar.channels.backends.redis import RedisChannelsPubSubBackend
        from redis.asyncio import Redis

        return RedisChannelsPubSubBackend(redis=Redis.from_url(redis_url))
    return MemoryChannelsBackend()


class AlertDelivery:
    """Publishes feed messages to the WebSocket channel and to every extra publisher."""

    def __init__(self, channels: ChannelsPlugin) -> None:
        self.channels = channels
        self.publishers: list[AlertPublisher] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="lfr-delivery")
        self.failures = 0
        #: Held from before an event is written until it is handed to the channel, so this
        #: process publishes feed messages in cursor order (see :meth:`in_cursor_order`).
        self._order = threading.Lock()

    def add_publisher(self, publisher: AlertPublisher) -> None:
        """Add a publisher (e.g. the FCM sink)."""
        self.publishers.append(publisher)

    def bind_loop(self) -> None:
        """Remember the app's event loop (called at start-up, on the loop)."""
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()

    def in_cursor_order(self) -> threading.Lock:
        """Hold this around "commit the event, then :meth:`deliver` it". Two requests that
        committed events 11 and 12 could otherwise publish 12 first; a feed that has sent
        12 and then gets 11 cannot tell it from a replay, and an officer who reconnects
        with ``?after=12`` would never see 11. Alerts are rare events, so serialising
        their writes in one process costs nothing that matters (SQLite serialises them
        anyway)."""
        return self._order

    def deliver(self, message: dict[str, Any]) -> None:
        """Deliver a committed message; callable from the loop or from any thread."""
        channel = feed_channel(str(message["alert"]["deployment_id"]))
        if self._loop is None or threading.get_ident() == self._loop_thread:
            self.channels.publish(message, channel)
        else:
            self._loop.call_soon_threadsafe(self.channels.publish, message, channel)
        for publisher in self.publishers:
            self._executor.submit(self._run_publisher, publisher, message)

    def _run_publisher(self, publisher: AlertPublisher, message: dict[str, Any]) -> None:
        try:
            publisher.publish(message)
        except Exception as exc:
            self.failures += 1
            log.warning("publisher %s failed for alert %s: %s", publisher.name,
                        message["alert"]["id"], exc)

    def close(self) -> None:
        """Wait for pending publisher calls, stop the workers, close the publishers."""
        self._executor.shutdown(wait=True)
        for publisher in self.publishers:
            close = getattr(publisher, "close", None)
            if callable(close):
                close()
