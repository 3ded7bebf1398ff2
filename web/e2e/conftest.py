"""Fixtures of the browser tests: a real ``lfr serve`` (SQLite, the real pipeline and
models), Debian's Chromium through Playwright, users of every role, a rendered street scene.

They need the web app built (``make web``; ``make test`` does it) and Debian's chromium
(``.ci/run`` installs it). Locally without either they are skipped, saying why; under CI
(``CI`` set) they fail instead, so a missing browser can never pass for a green run."""

from __future__ import annotations

import os
import socket
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from lfr_framework.evaluation.scenes import Pass, SceneSpec, render_scene

from .browser import Screens, chromium_path
from .service import PASSWORD, Service

DIST = Path(__file__).resolve().parents[2] / "api" / "lfr_api" / "webapp" / "dist"
REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _require(ok: bool, why: str) -> None:
    if ok:
        return
    if os.environ.get("CI"):
        pytest.fail(why)
    pytest.skip(why)


@pytest.fixture(scope="session")
def browser_ready() -> None:
    """The browser tests' prerequisites, checked once."""
    _require((DIST / "index.html").is_file(), "the web app is not built: run 'make web'")
    _require(chromium_path() is not None,
             "Debian's chromium is not installed: apt-get install -y chromium")
    _require((REPO / "web" / "node_modules" / "axe-core" / "axe.min.js").is_file(),
             "axe-core is not installed: run 'make web' (npm ci)")


@dataclass
class Stack:
    """The service, how to reach it, and the people who use it."""

    service: Service
    http: httpx.Client
    admin: dict[str, str]
    users: dict[str, str] = field(default_factory=dict)  # username -> id
    state: dict[str, Any] = field(default_factory=dict)   # what earlier tests set up

    @property
    def url(self) -> str:
        return self.service.url

    def login(self, username: str, base: str | None = None) -> dict[str, str]:
        r = httpx.post(f"{base or self.url}/auth/login",
                       json={"username": username, "password": PASSWORD}, timeout=30)
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    def add_user(self, username: str, role: str) -> str:
        r = self.http.post("/users", headers=self.admin, json={
            "username": username, "password": PASSWORD, "role": role})
        assert r.status_code == 201, r.text
        self.users[username] = r.json()["id"]
        return str(r.json()["id"])


@pytest.fixture(scope="module")
def stack(browser_ready: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    home = tmp_path_factory.mktemp("lfr-web")
    service = Service(home, free_port())
    service.lfr("users", "create", "--role", "admin", "--password-stdin", "chief",
                stdin=PASSWORD + "\n")
    first = service.start()
    try:
        with httpx.Client(base_url=service.url, timeout=60) as http:
            r = http.post("/auth/login", json={"username": "chief", "password": PASSWORD})
            assert r.status_code == 200, r.text
            s = Stack(service, http, {"Authorization": f"Bearer {r.json()['access_token']}"})
            s.state["first_line"] = first
            yield s
    finally:
        service.stop()


@pytest.fixture(scope="module")
def street_video(tmp_path_factory: pytest.TempPathFactory, real_photos: dict[str, Path]) -> Path:
    """Obama (on the watchlist) passes twice; a passer-by who is not on it passes once."""
    spec = SceneSpec(duration_s=4.0, width=960, height=540, passes=[
        Pass(identity="obama", photo="obama2", start_s=0.0, duration_s=2.0,
             face_height_px=130, y_frac=0.4),
        Pass(identity="passer-by", photo="grace_hopper", start_s=0.3, duration_s=2.6,
             face_height_px=120, y_frac=0.7, direction=-1),
        Pass(identity="obama", photo="obama3", start_s=2.0, duration_s=2.0,
             face_height_px=130, y_frac=0.45),
    ])
    video = tmp_path_factory.mktemp("scene") / "gate.mp4"
    render_scene(spec, real_photos, video)
    return video


@pytest.fixture(scope="session")
def screens() -> Screens:
    """Screenshots: into LFR_WEB_SCREENSHOTS (``make screenshots`` sets docs/app), else a
    temporary folder."""
    target = os.environ.get("LFR_WEB_SCREENSHOTS")
    folder = Path(target) if target else Path(tempfile.mkdtemp(prefix="lfr-screens-"))
    return Screens(folder)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:4]}"
