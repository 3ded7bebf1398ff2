"""Alert delivery after persistence: the officers' WebSocket feed, plus any further
publishers (the FCM sink plugs in here).

A message is already committed to the ``alert_events`` outbox when it reaches here, so a
publisher that fails loses nothing. The feed does not carry the message itself: it wakes
this replica's feeds of the deployment and hints the other replicas through Redis
(:mod:`lfr_api.feed.fanout`); every feed reads what to send from the outbox, in commit
order (:mod:`lfr_api.feed.hub`, :mod:`lfr_api.feed.outbox`).
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, runtime_checkable

from sqlalchemy.engine import Engine

from lfr_api.feed.fanout import FanOut, FanOutStatus
from lfr_api.feed.hub import FeedHub
from lfr_api.feed.outbox import OutboxReader

log = logging.getLogger(__name__)


@runtime_checkable
class AlertPublisher(Protocol):
    """Delivers a committed feed message somewhere (officers' phones, a pager, …).

    ``message`` is the JSON-ready feed message (``type``, ``cursor``, ``alert``): it holds no
    biometric data, only links. Raising marks this delivery as failed; others go on.
    """

    name: str

    def publish(self, message: dict[str, Any]) -> None:
        """Deliver one message. Called on a worker thread, never on the event loop."""


class AlertDelivery:
    """Wakes the feeds (here and on the other replicas) and runs every extra publisher."""

    def __init__(self, engine: Engine, redis_url: str | None = None,
                 poll_s: float = 1.0) -> None:
        self.hub = FeedHub(OutboxReader(engine), poll_s)
        self.fanout = FanOut(redis_url, self.hub.wake)
        self.hub.healthy = lambda: self.fanout.status.healthy
        self.publishers: list[AlertPublisher] = []
        self._executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="lfr-delivery")
        self.failures = 0
        self._order = threading.Lock()

    def add_publisher(self, publisher: AlertPublisher) -> None:
        """Add a publisher (e.g. the FCM sink)."""
        self.publishers.append(publisher)

    async def start(self) -> None:
        """Start the feeds' machinery on the app's loop (at start-up)."""
        self.hub.bind_loop()
        await self.fanout.start()

    def fanout_status(self) -> FanOutStatus:
        """The fan-out's health (``healthy``, ``since``, ``detail``), for readiness."""
        return self.fanout.status

    def in_cursor_order(self) -> threading.Lock:
        """Held around "commit the event, then :meth:`deliver` it": this process hands out
        its own events in commit order (the feed's order comes from the outbox anyway)."""
        return self._order

    def deliver(self, message: dict[str, Any]) -> None:
        """Deliver a committed message; callable from the loop or from any thread."""
        deployment_id = str(message["alert"]["deployment_id"])
        self.hub.wake_threadsafe(deployment_id, self.fanout.publish)
        for publisher in self.publishers:
            self._executor.submit(self._run_publisher, publisher, message)

    def _run_publisher(self, publisher: AlertPublisher, message: dict[str, Any]) -> None:
        try:
            publisher.publish(message)
        except Exception as exc:
            self.failures += 1
            log.warning("publisher %s failed for alert %s: %s", publisher.name,
                        message["alert"]["id"], exc)

    async def stop(self) -> None:
        """Stop the fan-out and the feeds' readers (bounded, whatever Redis's state)."""
        await self.fanout.close()
        await self.hub.close()

    def close(self) -> None:
        """Wait for pending publisher calls, stop the workers, close the publishers."""
        self._executor.shutdown(wait=True)
        for publisher in self.publishers:
            close = getattr(publisher, "close", None)
            if callable(close):
                close()
