"""A camera-node-like process of the harness: raises alerts at a steady rate and posts each
to ``POST /ingest/alerts`` (round-robin over the replicas) with an ``Idempotency-Key``,
retrying with back-off until acknowledged. Every alert is journalled (a line appended
before it is sent, another when acknowledged), so a node killed with SIGKILL and started
again re-sends what was not acknowledged: nothing raised is lost, nothing stored twice.

    python -m benchmarks.cluster.node --journal J --key K --camera C --entry E \\
        --threshold T --model M --go FILE --rate R URL [URL ...]

A node starts raising once ``--go`` exists (the harness writes the epoch at which raising
ends into it when every node is up), so that ten Python processes starting at once do not
count in the delivery latency; it writes ``{"e": "ready"}`` to its journal when connected.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import random
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx


def _pending(journal: Path) -> dict[str, dict[str, Any]]:
    """Raised and not acknowledged, by idempotency key (in raising order)."""
    pending: dict[str, dict[str, Any]] = {}
    if journal.exists():
        for line in journal.read_text().splitlines():
            try:
                row = json.loads(line)
            except ValueError:
                continue  # a line cut short by SIGKILL: its alert was never sent
            if row["e"] == "raised":
                pending[row["key"]] = row["body"]
            elif row["e"] in ("ack", "rejected"):
                pending.pop(row["key"], None)
    return pending


class Node:
    """One node (see the module docstring)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.journal = Path(args.journal)
        self.urls = itertools.cycle(args.urls)
        self.queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()

    def _write(self, row: dict[str, Any]) -> None:
        with self.journal.open("a") as out:
            out.write(json.dumps(row) + "\n")

    async def wait_for_go(self, http: httpx.AsyncClient) -> float:
        """Connect to every replica, say ready, wait for the go file; the epoch to stop."""
        for url in self.args.urls:
            with contextlib.suppress(httpx.HTTPError):
                await http.get(f"{url}/health")
        self._write({"e": "ready", "t": time.time()})
        go = Path(self.args.go)
        while not go.exists() or not go.read_text().strip():
            await asyncio.sleep(0.02)
        return float(go.read_text())

    async def raise_alerts(self, until: float) -> None:
        """Raise one alert every 1/rate seconds until ``until``."""
        period = 1.0 / self.args.rate
        # Cameras are not in step: each node's first alert comes at a random phase.
        await asyncio.sleep(random.uniform(0, period))
        while time.time() < until:
            now = datetime.now(UTC).isoformat()
            body = {"camera_id": self.args.camera, "entry_id": self.args.entry,
                    "score": round(self.args.threshold + 0.1, 4),
                    "threshold": self.args.threshold, "model_id": self.args.model,
                    "track_id": random.randrange(1, 1 << 30), "raised_at": now,
                    "frame_timestamp": now}
            key = str(uuid.uuid4())
            self._write({"e": "raised", "key": key, "body": body})
            await self.queue.put((key, body))
            await asyncio.sleep(period * (0.5 + random.random()))

    async def send(self, http: httpx.AsyncClient) -> None:
        """Post queued alerts in order, each until acknowledged (or refused for good)."""
        while True:
            key, body = await self.queue.get()
            delay = 0.05
            while True:
                url = next(self.urls)
                try:
                    r = await http.post(f"{url}/ingest/alerts", json=body, headers={
                        "X-API-Key": self.args.key, "Idempotency-Key": key})
                except httpx.HTTPError:
                    r = None
                if r is not None and r.status_code in (200, 201):
                    self._write({"e": "ack", "key": key, "id": r.json()["id"],
                                 "t": time.time()})
                    break
                if r is not None and r.status_code < 500 and r.status_code not in (408, 429):
                    self._write({"e": "rejected", "key": key, "status": r.status_code,
                                 "detail": r.text[:200]})
                    break
                await asyncio.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 2.0)
            self.queue.task_done()

    async def run(self) -> None:
        """Re-send what the journal holds unacknowledged, raise until the go file says, then
        exit once everything is acknowledged."""
        for key, body in _pending(self.journal).items():
            await self.queue.put((key, body))
        async with httpx.AsyncClient(timeout=10) as http:
            until = await self.wait_for_go(http)
            sender = asyncio.create_task(self.send(http))
            await self.raise_alerts(until)
            await self.queue.join()
            sender.cancel()


def main(argv: list[str] | None = None) -> int:
    """Parse the options and run the node."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cluster.node")
    for name in ("--journal", "--key", "--camera", "--entry", "--model", "--go"):
        parser.add_argument(name, required=True)
    parser.add_argument("--threshold", type=float, required=True)
    parser.add_argument("--rate", type=float, default=1.0)
    parser.add_argument("urls", nargs="+")
    asyncio.run(Node(parser.parse_args(argv)).run())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
