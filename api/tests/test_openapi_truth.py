"""The OpenAPI document tells the truth: security per route, every error response as
problem+json, request schemas with their patterns and ``additionalProperties: false``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from lfr_api.contract.openapi import openapi_document
from lfr_api.testing.api import Api

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return openapi_document()


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, item in doc["paths"].items()
            for method, op in item.items() if method in ("get", "post", "put", "patch",
                                                         "delete")]


def test_security_is_declared_per_route(doc: dict[str, Any]) -> None:
    assert "security" not in doc
    ops = {(p, m): op for p, m, op in _operations(doc)}
    for public in [("/health", "get"), ("/auth/login", "post"), ("/auth/refresh", "post"),
                   ("/public/deployments", "get"),
                   ("/public/deployments/{deployment_id}/summary", "get")]:
        assert ops[public]["security"] == [], public
    for node in [("/ingest/alerts", "post"), ("/ingest/counters", "post"),
                 ("/ingest/watchlist", "get"), ("/ingest/configuration", "get")]:
        assert ops[node]["security"] == [{"apiKey": []}], node
    for user in [("/deployments", "post"), ("/users", "get"), ("/alerts/{alert_id}", "get")]:
        assert ops[user]["security"] == [{"bearer": []}], user
    assert all("security" in op for _, _, op in _operations(doc))


def test_every_error_response_is_problem_json(doc: dict[str, Any]) -> None:
    for path, method, op in _operations(doc):
        errors = {int(s): r for s, r in op["responses"].items() if int(s) >= 400}
        assert {400, 503} <= set(errors), (path, method)
        for status, response in errors.items():
            assert response["content"] == {"application/problem+json": {"schema": PROBLEM_REF}}, \
                (path, method, status)
        if op["security"]:
            assert {401, 403} <= set(errors), (path, method)
        if "{" in path:
            assert 404 in errors, (path, method)
        if "requestBody" in op:
            assert {413, 422} <= set(errors), (path, method)
    problem = doc["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail"} <= set(problem["required"])


def _request_schemas(doc: dict[str, Any]) -> set[str]:
    names = set()
    for _, _, op in _operations(doc):
        for media in op.get("requestBody", {}).get("content", {}).values():
            ref = media.get("schema", {}).get("$ref", "")
            if ref:
                names.add(ref.rsplit("/", 1)[1])
    return names


def test_request_schemas_are_closed_and_keep_their_patterns(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    names = _request_schemas(doc)
    assert {"CameraIn", "IngestAlert", "DeploymentCreate", "LoginRequest"} <= names
    for name in names:
        assert schemas[name].get("additionalProperties") is False, name
    assert schemas["CameraIn"]["properties"]["camera_id"]["pattern"] == \
        r"^[A-Za-z0-9._-]{1,64}$"
    assert schemas["ServiceAccountIn"]["properties"]["name"]["pattern"]
    feed_after = doc["paths"].get("/deployments/{deployment_id}/feed")
    assert feed_after is None  # the WebSocket is described by the mobile contract's schemas


def test_the_served_document_is_the_committed_one(api: Api, doc: dict[str, Any]) -> None:
    served = api.client.get("/schema/openapi.json")
    assert served.status_code == 200
    body = served.json()
    assert body["paths"]["/health"]["get"]["security"] == []
    assert json.dumps(body["components"]["schemas"]["CameraIn"], sort_keys=True) == \
        json.dumps(doc["components"]["schemas"]["CameraIn"], sort_keys=True)


def test_image_routes_document_what_they_serve(doc: dict[str, Any]) -> None:
    for path in ("/watchlist-images/{image_id}", "/alerts/{alert_id}/probe-crop"):
        assert list(doc["paths"][path]["get"]["responses"]["200"]["content"]) == ["image/jpeg"]
