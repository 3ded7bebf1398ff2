"""The reference officer client of the mobile contract (``mobile_contract/``), in Python.

What a phone app does, in about three hundred lines: log in with a password (refreshing the
access token when it expires), register the phone's FCM token, follow a deployment's
WebSocket feed — resuming after the cursor of the last message received, retrying every
transient refusal with back-off and jitter, de-duplicating by alert id (never dropping a
message because of its cursor's value), so nothing is missed and nothing is seen twice —
and post engage / no-engage decisions. HTTP with ``httpx``,
WebSocket with ``websockets``. ``lfr officer`` wraps it for the command line.

    async with OfficerClient("http://127.0.0.1:8000", "pc-smith", password) as officer:
        await officer.login()
        await officer.register_device(fcm_token, "android")
        async for message in officer.feed(deployment_id):
            if message["type"] == "alert.raised":
                await officer.decide(message["alert"]["id"], "engage", "arrested")
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections import OrderedDict
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.typing import Subprotocol

from lfr_api.contract.version import CONTRACT_HEADER, CONTRACT_VERSION
from lfr_api.security.credentials import BEARER_SUBPROTOCOL_PREFIX, FEED_SUBPROTOCOL

log = logging.getLogger(__name__)
#: The contract major version this client understands.
SUPPORTED_MAJOR = CONTRACT_VERSION.split(".")[0]
#: Handshake statuses that mean "try again later" (anything else but 401 is final).
TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})
#: Close codes after which the feed is not resumed: the service refused this officer.
FINAL_CLOSE_CODES = frozenset({4401, 4403, 4404})
#: How many feed messages' identities are remembered to drop repeats.
REMEMBERED = 50_000


class ApiError(Exception):
    """The service refused a request; ``problem`` is its RFC 9457 body."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        super().__init__(f"HTTP {status}: {problem.get('detail') or problem.get('title')}")
        self.status = status
        self.problem = problem


class ContractMismatch(Exception):
    """The service speaks a contract major version this client does not know."""


def _problem(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {"detail": response.text[:200]}
    return body if isinstance(body, dict) else {"detail": str(body)}


def check_version(version: str | None) -> None:
    """Refuse a message or handshake of another contract major version."""
    if version is not None and version.split(".")[0] != SUPPORTED_MAJOR:
        raise ContractMismatch(f"the service speaks mobile contract {version}; this client "
                               f"understands {SUPPORTED_MAJOR}.x: update the app")


class OfficerClient:
    """An officer's session with the service (see the module docstring)."""

    def __init__(self, api_url: str, username: str, password: str, *,
                 timeout_s: float = 10.0, max_backoff_s: float = 10.0,
                 min_backoff_s: float = 0.2) -> None:
        self.api_url = api_url.rstrip("/")
        self.username = username
        self._password = password
        self._http = httpx.AsyncClient(base_url=self.api_url, timeout=timeout_s)
        self._access: str | None = None
        self._refresh: str | None = None
        self._socket: ClientConnection | None = None
        self._stopping = False
        self.max_backoff_s = max_backoff_s
        self.min_backoff_s = min_backoff_s
        #: The cursor of the last feed message received, per deployment: where a reconnect
        #: resumes (the feed's order is commit order; cursors are not ordered numbers).
        self.cursors: dict[str, int] = {}
        self._seen: dict[str, OrderedDict[tuple[str, str], None]] = {}
        #: Why each reconnect happened (close codes, HTTP statuses, network errors), in order.
        self.retries: list[str] = []
        #: How many times the feed was (re)opened, and the version the service announced.
        self.connections = 0
        self.contract_version: str | None = None

    async def __aenter__(self) -> OfficerClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Stop following the feed and release the HTTP client."""
        self._stopping = True
        if self._socket is not None:
            await self._socket.close()
        await self._http.aclose()

    # -- authentication ------------------------------------------------------------

    async def login(self) -> None:
        """Log in with the password; keeps the access and refresh tokens."""
        r = await self._http.post("/auth/login", json={"username": self.username,
                                                       "password": self._password})
        self._keep_tokens(r)

    async def refresh(self) -> None:
        """Rotate the token pair (log in again if the refresh token is spent)."""
        if self._refresh is None:
            await self.login()
            return
        r = await self._http.post("/auth/refresh", json={"refresh_token": self._refresh})
        if r.status_code == 401:
            await self.login()
            return
        self._keep_tokens(r)

    def use_tokens(self, access_token: str, refresh_token: str | None = None) -> None:
        """Use tokens kept from an earlier session (a phone app restoring its login)."""
        self._access, self._refresh = access_token, refresh_token

    def _keep_tokens(self, response: httpx.Response) -> None:
        if response.status_code != 200:
            raise ApiError(response.status_code, _problem(response))
        body = response.json()
        self._access, self._refresh = body["access_token"], body["refresh_token"]

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """An authenticated request; a 401 refreshes the token once; errors raise ApiError."""
        if self._access is None:
            await self.login()
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {self._access}"}
            r = await self._http.request(method, path, headers=headers, **kwargs)
            if r.status_code == 401 and attempt == 1:
                await self.refresh()
                continue
            if r.status_code >= 400:
                raise ApiError(r.status_code, _problem(r))
            return r
        raise AssertionError("unreachable")

    # -- devices, alerts, decisions ------------------------------------------------------

    async def register_device(self, fcm_token: str, platform: str = "android",
                              label: str = "") -> dict[str, Any]:
        """Register this phone's FCM registration token for pushes."""
        r = await self.request("POST", "/devices", json={"token": fcm_token,
                                                         "platform": platform, "label": label})
        device: dict[str, Any] = r.json()
        return device

    async def alert(self, alert_id: str) -> dict[str, Any]:
        """One alert (what a push names: fetch it, then show it)."""
        body: dict[str, Any] = (await self.request("GET", f"/alerts/{alert_id}")).json()
        return body

    async def probe_crop(self, alert_id: str) -> bytes:
        """The matched face crop (JPEG). Show it; never store it on the phone."""
        return (await self.request("GET", f"/alerts/{alert_id}/probe-crop")).content

    async def decide(self, alert_id: str, decision: str, outcome: str,
                     note: str = "") -> dict[str, Any]:
        """Record ``engage`` / ``no_engage`` and the outcome; the updated alert comes back
        (409 ``ApiError`` when another decision is already recorded)."""
        r = await self.request("POST", f"/alerts/{alert_id}/decision",
                               json={"decision": decision, "outcome": outcome, "note": note})
        body: dict[str, Any] = r.json()
        return body

    # -- the feed ----------------------------------------------------------------------

    def _feed_url(self, deployment_id: str) -> str:
        scheme, netloc, path, _, _ = urlsplit(self.api_url)
        query = ""
        if deployment_id in self.cursors:
            query = f"after={self.cursors[deployment_id]}"
        ws_scheme = "wss" if scheme == "https" else "ws"
        return urlunsplit((ws_scheme, netloc, f"{path}/deployments/{deployment_id}/feed",
                           query, ""))

    async def _open(self, deployment_id: str) -> ClientConnection:
        """Open the feed; a 401 handshake refreshes the token once, others raise."""
        if self._access is None:
            await self.login()
        for attempt in (1, 2):
            try:
                # The token travels as a subprotocol, never in the URL (URLs get logged).
                socket = await connect(self._feed_url(deployment_id), subprotocols=[
                    Subprotocol(FEED_SUBPROTOCOL),
                    Subprotocol(BEARER_SUBPROTOCOL_PREFIX + (self._access or ""))], proxy=None)
            except InvalidStatus as exc:
                status = exc.response.status_code
                if status == 401 and attempt == 1:
                    await self.refresh()
                    continue
                try:
                    problem = json.loads(exc.response.body or b"{}")
                except ValueError:
                    problem = {}
                raise ApiError(status, problem or {"detail": str(exc)}) from None
            self.contract_version = socket.response.headers.get(CONTRACT_HEADER) \
                if socket.response is not None else None
            check_version(self.contract_version)
            return socket
        raise AssertionError("unreachable")

    async def feed(self, deployment_id: str) -> AsyncIterator[dict[str, Any]]:
        """Every feed message of the deployment, forever, each once (``alert.pending``
        backlog on a first connect). After a drop, a 1001 / 1011 / 1012 / 1013 close, an
        HTTP 429 / 5xx refusal or a refused / reset connection it reconnects with
        exponential back-off and jitter and resumes after the last cursor received. Raises
        :class:`ApiError` on a final refusal (403, 404, a second 401; close 4401 / 4403).
        Ends when :meth:`close` or :meth:`stop_feed` is called."""
        delay, refreshed = self.min_backoff_s, False
        self._stopping = False
        while not self._stopping:
            try:
                self._socket = await self._open(deployment_id)
            except ApiError as exc:
                if exc.status not in TRANSIENT_STATUSES:
                    raise
                delay = await self._back_off(f"HTTP {exc.status}", delay)
                continue
            except (TimeoutError, OSError, InvalidHandshake) as exc:
                delay = await self._back_off(type(exc).__name__, delay)
                continue
            self.connections += 1
            received = False
            code: int | None = None
            try:
                async for raw in self._socket:
                    message = json.loads(raw)
                    check_version(message.get("contract_version"))
                    received = True
                    if self._repeat(deployment_id, message):
                        continue
                    yield message
            except ConnectionClosed as exc:
                code = exc.rcvd.code if exc.rcvd is not None else None
            finally:
                if self._socket is not None and self._socket.close_code is not None:
                    code = code or self._socket.close_code
                self._socket = None
            if self._stopping:
                break
            if received:
                delay, refreshed = self.min_backoff_s, False
            if code == 4401 and not refreshed:
                refreshed = True  # a spent token: one more try with a new one
                self.retries.append("close 4401")
                await self.refresh()
                continue
            if code in FINAL_CLOSE_CODES:
                raise ApiError(code - 4000, {"detail": f"the feed was closed with {code}"})
            delay = await self._back_off(f"close {code}", delay)

    async def _back_off(self, why: str, delay: float) -> float:
        """Wait ``delay`` with jitter (half to all of it); the next, doubled, delay."""
        self.retries.append(why)
        log.info("feed unavailable (%s); retrying in about %.1f s", why, delay)
        await asyncio.sleep(delay * (0.5 + random.random() / 2))
        return min(delay * 2, self.max_backoff_s)

    def _repeat(self, deployment_id: str, message: dict[str, Any]) -> bool:
        """Keep the message's cursor as the resume point; True for a message already
        yielded: an ``alert.raised`` / ``alert.pending`` of an alert already held, or an
        ``alert.updated`` with a cursor already seen. Never judged by the cursor's value."""
        self.cursors[deployment_id] = int(message["cursor"])
        alert_id = str(message["alert"]["id"])
        key = (("alert", alert_id) if message["type"] in ("alert.raised", "alert.pending")
               else ("event", str(message["cursor"])))
        seen = self._seen.setdefault(deployment_id, OrderedDict())
        if key in seen:
            return True
        seen[key] = None
        if len(seen) > REMEMBERED:
            seen.popitem(last=False)
        return False

    async def drop_connection(self) -> None:
        """Close the feed's socket as a network drop would; :meth:`feed` reconnects."""
        if self._socket is not None:
            await self._socket.close()

    async def stop_feed(self) -> None:
        """End :meth:`feed` after the message in hand."""
        self._stopping = True
        if self._socket is not None:
            await self._socket.close()
