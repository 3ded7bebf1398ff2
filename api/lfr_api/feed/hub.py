"""One reader per deployment and process: it tails the outbox in commit order and hands each
new batch of events to every open feed of that deployment on this replica.

A tail reads when woken (a commit here, a Redis hint from another replica, the fan-out
coming back) and at least every ``poll_s`` seconds, sooner while committed events wait for
an older transaction (:attr:`lfr_api.feed.outbox.Batch.held_back`). Its reads run on a
worker thread. A database error ends the tail: each of its feeds is told
:data:`DATABASE_DOWN` (the feed closes with 1013, the client reconnects).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import anyio.to_thread

from lfr_api.errors import database_unavailable
from lfr_api.feed.outbox import BATCH, START, FeedEvent, OutboxReader, Position

log = logging.getLogger(__name__)
#: Told to a feed whose tail lost the database; and to one that fell too far behind.
DATABASE_DOWN, TOO_SLOW = "database-down", "too-slow"
MAX_QUEUED = 256
HELD_BACK_RETRY_S = 0.02
Item = list[FeedEvent] | str


@dataclass(eq=False)
class _Tail:
    deployment_id: str
    position: Position = START
    queues: set[asyncio.Queue[Item]] = field(default_factory=set)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    error: BaseException | None = None
    task: asyncio.Task[None] | None = None


class FeedHub:
    """The feeds of this replica, grouped by deployment (see the module docstring)."""

    def __init__(self, reader: OutboxReader, poll_s: float = 1.0) -> None:
        self.reader = reader
        self.poll_s = poll_s
        #: The fan-out's health: while it is down other replicas' hints are lost, so poll
        #: four times as often.
        self.healthy: Callable[[], bool] = lambda: True
        self._tails: dict[str, _Tail] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind_loop(self) -> None:
        """Remember the app's loop (for :meth:`wake_threadsafe`)."""
        self._loop = asyncio.get_running_loop()

    async def join(self, deployment_id: str) -> tuple[asyncio.Queue[Item], Position]:
        """A queue of the deployment's events after the returned position (every event up
        to it is committed and servable). Raises the database's error if it is down."""
        while True:
            tail = self._tails.get(deployment_id)
            if tail is None:
                tail = self._tails[deployment_id] = _Tail(deployment_id)
                tail.task = asyncio.create_task(self._run(tail),
                                                name=f"lfr-feed-{deployment_id}")
            await tail.ready.wait()
            if tail.error is not None:
                raise tail.error
            if self._tails.get(deployment_id) is tail:  # else it ended meanwhile: a new one
                queue: asyncio.Queue[Item] = asyncio.Queue()
                tail.queues.add(queue)
                return queue, tail.position

    def leave(self, deployment_id: str, queue: asyncio.Queue[Item]) -> None:
        """Stop handing events to ``queue``; the tail stops with its last feed."""
        tail = self._tails.get(deployment_id)
        if tail is not None:
            tail.queues.discard(queue)
            if not tail.queues:
                tail.wake.set()

    def wake(self, deployment_id: str | None) -> None:
        """Read the deployment's new events now (``None``: every deployment's). On the loop."""
        tails = self._tails.values() if deployment_id is None else filter(
            None, [self._tails.get(deployment_id)])
        for tail in tails:
            tail.wake.set()

    def wake_threadsafe(self, deployment_id: str,
                        then: Callable[[str], None] | None = None) -> None:
        """:meth:`wake` from any thread, then ``then(deployment_id)`` on the loop."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return

        def on_loop() -> None:
            self.wake(deployment_id)
            if then is not None:
                then(deployment_id)

        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            on_loop()
        else:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile (shutdown)
                loop.call_soon_threadsafe(on_loop)

    async def _run(self, tail: _Tail) -> None:
        try:
            tail.position = await anyio.to_thread.run_sync(self.reader.head,
                                                           tail.deployment_id)
            tail.ready.set()
            held = 0.0
            while True:
                delay = held or (self.poll_s if self.healthy() else self.poll_s / 4)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(tail.wake.wait(), delay)
                tail.wake.clear()
                if not tail.queues:
                    break
                # Committed events wait for an older transaction: look again soon.
                held = min(max(held * 2, HELD_BACK_RETRY_S), 0.25) \
                    if await self._read(tail) else 0.0
        except Exception as exc:
            if not database_unavailable(exc):
                log.exception("feed of deployment %s: reading the outbox failed",
                              tail.deployment_id)
            else:
                log.warning("feed of deployment %s: database unavailable (%s); its feeds "
                            "close with 1013", tail.deployment_id, type(exc).__name__)
            tail.error = exc
            tail.ready.set()
            for queue in tail.queues:
                queue.put_nowait(DATABASE_DOWN)
        finally:
            if self._tails.get(tail.deployment_id) is tail:
                del self._tails[tail.deployment_id]

    async def _read(self, tail: _Tail) -> bool:
        """Hand out every servable event after the tail's position; True if some are held
        back behind an open transaction."""
        while True:
            batch = await anyio.to_thread.run_sync(self.reader.after, tail.deployment_id,
                                                   tail.position)
            if batch.events:
                tail.position = batch.events[-1].position
                for queue in list(tail.queues):
                    if queue.qsize() >= MAX_QUEUED:
                        tail.queues.discard(queue)
                        queue.put_nowait(TOO_SLOW)
                    else:
                        queue.put_nowait(batch.events)
            if batch.held_back or len(batch.events) < BATCH:
                return batch.held_back

    async def close(self) -> None:
        """Stop every tail (at shutdown)."""
        tasks = [t.task for t in self._tails.values() if t.task is not None]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=2)
