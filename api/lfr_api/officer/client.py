"""The reference officer client of the mobile contract (``mobile_contract/``), in Python.

What a phone app does, in about two hundred lines: log in with a password (refreshing the
access token when it expires), register the phone's FCM token, follow a deployment's
WebSocket feed — resuming from the last cursor after a reconnect, so nothing is missed and
nothing is seen twice — and post engage / no-engage decisions. HTTP with ``httpx``,
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
                 timeout_s: float = 10.0, max_backoff_s: float = 10.0) -> None:
        self.api_url = api_url.rstrip("/")
        self.username = username
        self._password = password
        self._http = httpx.AsyncClient(base_url=self.api_url, timeout=timeout_s)
        self._access: str | None = None
        self._refresh: str | None = None
        self._socket: ClientConnection | None = None
        self._stopping = False
        self.max_backoff_s = max_backoff_s
        #: The last feed cursor seen, per deployment: where a reconnect resumes.
        self.cursors: dict[str, int] = {}
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
        """Every feed message of the deployment, forever: reconnects with back-off after a
        drop and resumes after the last cursor (``alert.pending`` backlog on a first
        connect). Ends when :meth:`close` or :meth:`stop_feed` is called."""
        delay = 0.2
        self._stopping = False
        while not self._stopping:
            try:
                self._socket = await self._open(deployment_id)
            except (TimeoutError, OSError, InvalidHandshake) as exc:
                log.info("feed unreachable (%s); retrying in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_backoff_s)
                continue
            self.connections += 1
            delay = 0.2
            try:
                async for raw in self._socket:
                    message = json.loads(raw)
                    check_version(message.get("contract_version"))
                    if self._seen(deployment_id, message):
                        continue
                    yield message
            except ConnectionClosed:
                pass
            finally:
                self._socket = None
            if not self._stopping:
                log.info("feed of %s dropped; resuming after cursor %s", deployment_id,
                         self.cursors.get(deployment_id))

    def _seen(self, deployment_id: str, message: dict[str, Any]) -> bool:
        """Track the cursor; True for a message already delivered (never yielded twice)."""
        cursor = int(message["cursor"])
        last = self.cursors.get(deployment_id)
        if message["type"] != "alert.pending" and last is not None and cursor <= last:
            return True
        self.cursors[deployment_id] = cursor if last is None else max(last, cursor)
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
