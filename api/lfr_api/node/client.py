"""The node's side of the API: its deployment's configuration and watchlist templates."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import httpx
import numpy as np

from lfr_api.deployments.schemas import NodeConfiguration
from lfr_framework.errors import LFRError
from lfr_framework.types import Templates


class NodeApiError(LFRError):
    """The service refused the node (bad key, deployment not live, …) or is unreachable."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def node_http(api_url: str, key: str, timeout_s: float = 10.0) -> httpx.Client:
    """An HTTP client that authenticates as the node's service account."""
    return httpx.Client(base_url=api_url.rstrip("/"), timeout=timeout_s,
                        headers={"X-API-Key": key})


def _get(http: httpx.Client, path: str) -> Any:
    try:
        r = http.get(path)
    except httpx.HTTPError as exc:
        raise NodeApiError(f"GET {path}: the service is unreachable: {exc}") from None
    if r.status_code != 200:
        try:
            detail = r.json().get("detail", r.text[:200])
        except ValueError:
            detail = r.text[:200]
        raise NodeApiError(f"GET {path}: HTTP {r.status_code}: {detail}", r.status_code)
    return r.json()


def configuration(http: httpx.Client) -> NodeConfiguration:
    """``GET /ingest/configuration``: the deployment (state, window, plugins, threshold)
    and its cameras."""
    return NodeConfiguration.model_validate(_get(http, "/ingest/configuration"))


@dataclass(frozen=True, slots=True)
class Watchlist:
    """What a node matches against: entry id → (model id, templates), and the threshold."""

    entries: dict[str, tuple[str, Templates]]
    threshold: float


def watchlist(http: httpx.Client) -> Watchlist:
    """``GET /ingest/watchlist``: the templates and operating threshold, only while live."""
    body = _get(http, "/ingest/watchlist")
    out: dict[str, tuple[str, Templates]] = {}
    for entry in body["entries"]:
        rows = [np.frombuffer(base64.b64decode(t), dtype="<f4")
                for t in entry["templates_f32le_base64"]]
        templates = np.vstack(rows).astype(np.float32).reshape(-1, int(entry["dimension"]))
        out[entry["entry_id"]] = (entry["model_id"], templates)
    return Watchlist(out, float(body["operating_threshold"]))
