"""Tokens never reach the server's log: ``lfr serve`` (a real process, uvicorn's access and
error logs at INFO) is called with the token in ``?token=`` on the feed and on a REST
route, with an API key and a refresh token in query strings; the log keeps the requests
but none of the secrets."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from lfr_api.security.log_redaction import redact
from lfr_api.testing.live import free_port
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

PASSWORD = "correct horse battery staple"


def test_redact_masks_tokens_keys_and_refresh_tokens() -> None:
    line = ('127.0.0.1:5 - "GET /deployments/d/feed?after=3&token=eyJhbGc.eyJzdWIi.c2ln '
            'HTTP/1.1" lfrk_abc-DEF lfrr_x1 Bearer eyJa.eyJb.sig')
    out = redact(line)
    assert "eyJ" not in out and "lfrk_abc" not in out and "lfrr_x1" not in out
    assert "after=3&token=[redacted]" in out


def test_lfr_serve_logs_no_token(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "LFR_HOME": str(tmp_path / "home"), "LFR_DEV": "1"}
    env.pop("LFR_DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "lfr_framework.cli", "users", "create", "--role",
                    "admin", "--password-stdin", "boss"], input=PASSWORD + "\n", text=True,
                   env=env, check=True, capture_output=True, timeout=120)
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen([sys.executable, "-m", "lfr_framework.cli", "serve", "--host",
                                 "127.0.0.1", "--port", str(port), "--no-pipelines"], env=env,
                                stdout=log_file, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/health", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, "lfr serve did not start"
                time.sleep(0.2)
        pair = httpx.post(f"{base}/auth/login", json={"username": "boss",
                                                      "password": PASSWORD}).json()
        access, refresh = pair["access_token"], pair["refresh_token"]
        dep = httpx.post(f"{base}/deployments", json={"name": "Logs"},
                         headers={"Authorization": f"Bearer {access}"}).json()["id"]
        httpx.get(f"{base}/health?token={access}&x=1")
        httpx.get(f"{base}/deployments?token={refresh}&key=lfrk_secretkey123",
                  headers={"Authorization": f"Bearer {access}"})

        async def feed() -> None:
            url = f"ws://127.0.0.1:{port}/deployments/{dep}/feed?token={access}"
            async with connect(url, proxy=None) as socket:
                await socket.send("ping")
            with pytest.raises(InvalidStatus):  # refused (bad token): logged too
                async with connect(url + "x", proxy=None):
                    pass

        asyncio.run(feed())
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    log = log_path.read_text()
    assert "token=[redacted]" in log and "WebSocket" in log  # the requests were logged...
    for secret in (access, refresh, "lfrk_secretkey123", access.split(".")[2]):
        assert secret not in log  # ...without the secrets
