"""Schemathesis against the live service (uvicorn on loopback, real SQLite and PostgreSQL)
for every operation of its own OpenAPI document, as an anonymous caller, an officer, an
admin and a camera node: zero failures of the checks below.

Bounded for ``make test``: a fixed seed (``derandomize``), no example database, and
``LFR_FUZZ_EXAMPLES`` examples per operation and caller (3 by default; ``make fuzz`` runs
50). The positive-data check is left out on purpose: a schema-valid request may still be
refused by a rule a schema cannot state (a NUL byte, an end before a start, a deployment
in the wrong state), and each such refusal is a documented 4xx.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from lfr_api.security.roles import Role
from lfr_api.testing.api import Api
from lfr_api.testing.live import LiveServer, live_api
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi import checks

from lfr_framework.plugins import PluginHost

EXAMPLES = int(os.environ.get("LFR_FUZZ_EXAMPLES", "3"))
CHECKS = [not_a_server_error, checks.status_code_conformance,
          checks.content_type_conformance, checks.response_schema_conformance,
          checks.response_headers_conformance, checks.negative_data_rejection,
          checks.missing_required_header, checks.unsupported_method]
CALLERS = ["anonymous", "officer", "admin", "node"]


@pytest.fixture(scope="module")
def served(plugin_host: PluginHost, database_url: str) -> Iterator[tuple[Api, LiveServer]]:
    yield from live_api(plugin_host, database_url)


@pytest.fixture(scope="module")
def target(served: tuple[Api, LiveServer]) -> dict[str, Any]:
    """The schema as served, and each caller's headers (a live deployment to work on)."""
    api, server = served
    dep = api.deployment(live=True)
    api.assign(dep)
    headers = {"anonymous": {}, "officer": api.headers[Role.officer],
               "admin": api.headers[Role.admin], "node": api.service_key(dep)}
    document = api.client.get("/schema/openapi.json").json()
    return {"schema": schemathesis.openapi.from_dict(document), "url": server.url,
            "headers": headers}


@pytest.mark.parametrize("caller", CALLERS)
def test_every_operation_holds_under_fuzzing(target: dict[str, Any], caller: str) -> None:
    headers, url = target["headers"][caller], target["url"]
    failures: list[str] = []
    sent = 0
    for result in target["schema"].get_all_operations():
        operation = result.ok()

        @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck),
                  phases=[Phase.explicit, Phase.generate])
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            nonlocal sent
            sent += 1
            case.call_and_validate(base_url=url, headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as exc:  # the failure report names the check and the request
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
    assert sent >= EXAMPLES, "no request was sent"
    assert not failures, "\n\n".join(failures)
