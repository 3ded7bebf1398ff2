"""A fake FCM v1 server on loopback and a real test service account, for tests.

The fake implements the two endpoints firebase-admin talks to: the OAuth token endpoint
(named by the key file's ``token_uri``; it verifies the RS256 JWT assertion with the test
key's public half) and ``POST /v1/projects/{project}/messages:send``. It records every
request and answers from a per-token script, so a test can make a device fail, be
unregistered or be throttled. Point a sender at it with ``endpoint=fake.url`` and a key
file from :func:`write_service_account`. Needs the ``test`` extra (pyjwt, cryptography).
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

PROJECT = "lfr-test-project"
FCM_ERROR = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
#: The ``aud`` of a service account's JWT assertion: Google's token endpoint, whatever
#: ``token_uri`` the request is sent to.
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
_SEND_PATH = re.compile(r"^/v1/projects/(?P<project>[^/]+)/messages:send$")


@dataclass(frozen=True)
class Reply:
    """One scripted answer of the fake."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def unregistered() -> Reply:
    """FCM's answer for an uninstalled app / expired token."""
    return Reply(404, {"error": {
        "code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND",
        "details": [{"@type": FCM_ERROR, "errorCode": "UNREGISTERED"}]}})


def throttled(retry_after: str | None = None) -> Reply:
    """FCM's answer when the project's quota is exceeded."""
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return Reply(429, {"error": {
        "code": 429, "message": "Quota exceeded.", "status": "RESOURCE_EXHAUSTED",
        "details": [{"@type": FCM_ERROR, "errorCode": "QUOTA_EXCEEDED"}]}}, headers)


def unavailable(status: int = 503) -> Reply:
    """FCM's answer when it is overloaded or failing."""
    return Reply(status, {"error": {
        "code": status, "message": "The service is currently unavailable.",
        "status": "UNAVAILABLE" if status == 503 else "INTERNAL"}})


def invalid_argument() -> Reply:
    """FCM's answer to a malformed token or message."""
    return Reply(400, {"error": {
        "code": 400, "message": "The registration token is not a valid FCM registration token",
        "status": "INVALID_ARGUMENT",
        "details": [{"@type": FCM_ERROR, "errorCode": "INVALID_ARGUMENT"}]}})


@dataclass
class Recorded:
    """One FCM send request as the fake received it (``at``: ``time.monotonic()``)."""

    project: str
    body: dict[str, Any]
    headers: dict[str, str]
    at: float

    @property
    def token(self) -> str:
        """The registration token the message was addressed to."""
        return str(self.body["message"]["token"])


class FakeFcm:
    """A threaded HTTP server on 127.0.0.1 playing FCM v1 and Google's OAuth token endpoint."""

    def __init__(self, public_key: Any) -> None:
        self._public_key = public_key
        self._lock = threading.Lock()
        self.sends: list[Recorded] = []
        self.token_claims: list[dict[str, Any]] = []
        self.script: dict[str, list[Reply]] = {}
        self._issued: set[str] = set()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.token_uri = f"{self.url}/token"

    def sends_to(self, token: str) -> list[Recorded]:
        """The requests made for ``token``, in order."""
        with self._lock:
            return [r for r in self.sends if r.token == token]

    def stop(self) -> None:
        """Stop listening (idempotent): later connections are refused."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._server.server_close()

    def _answer_token(self, form: dict[str, list[str]]) -> Reply:
        assertion = form.get("assertion", [""])[0]
        try:
            claims = jwt.decode(assertion, self._public_key, algorithms=["RS256"],
                                audience=GOOGLE_TOKEN_AUDIENCE)
        except jwt.PyJWTError as exc:
            return Reply(400, {"error": "invalid_grant", "error_description": str(exc)})
        with self._lock:
            self.token_claims.append(claims)
            access = f"fake-access-{len(self.token_claims)}"
            self._issued.add(access)
        return Reply(200, {"access_token": access, "expires_in": 3600, "token_type": "Bearer"})

    def _answer_send(self, project: str, body: dict[str, Any], headers: dict[str, str]) -> Reply:
        auth = headers.get("authorization", "")
        with self._lock:
            if auth.removeprefix("Bearer ") not in self._issued:
                return Reply(401, {"error": {"code": 401, "message": "bad token",
                                             "status": "UNAUTHENTICATED"}})
            self.sends.append(Recorded(project, body, headers, time.monotonic()))
            token = str(body.get("message", {}).get("token", ""))
            queue = self.script.get(token)
            if queue:
                return queue.pop(0)
            n = len(self.sends)
        return Reply(200, {"name": f"projects/{project}/messages/{n}"})

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                match = _SEND_PATH.match(self.path)
                if self.path == "/token":
                    reply = fake._answer_token(urllib.parse.parse_qs(raw.decode()))
                elif match is not None:
                    reply = fake._answer_send(match["project"], json.loads(raw), headers)
                else:
                    reply = Reply(404, {"error": {"code": 404, "message": "no such path"}})
                data = json.dumps(reply.body).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def write_service_account(path: Path, key: rsa.RSAPrivateKey, token_uri: str,
                          project_id: str | None = PROJECT) -> Path:
    """Write a service-account key file in Google's format, with ``token_uri`` on the fake."""
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    info: dict[str, Any] = {
        "type": "service_account",
        "private_key_id": "0123456789abcdef",
        "private_key": pem,
        "client_email": f"firebase-adminsdk@{PROJECT}.iam.gserviceaccount.com",
        "client_id": "1234567890",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
    }
    if project_id is not None:
        info["project_id"] = project_id
    path.write_text(json.dumps(info), encoding="utf-8")
    return path
