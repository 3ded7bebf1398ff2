"""Make the generated OpenAPI document tell the truth, from each route's own metadata.

Litestar's generator declares one global security scheme and documents only the success
response and a 400 of its own shape. :func:`apply` rewrites the generated document once,
when the app is created (the served ``/schema/openapi.json`` and ``lfr api-contract`` are
the same document):

- **security per operation** from its guard: none for :data:`~lfr_api.security.guards.public`
  routes, ``X-API-Key`` for the camera-node (``service``) role, bearer for user roles;
- **every error response** the route can give, as ``application/problem+json`` with the
  ``Problem`` schema: 400 (the input policy applies everywhere), 401/403 (guarded routes),
  404 (path parameters), 409 (state changes), 413 (bodies), 415 (uploads and ingest),
  422 (bodies and queries), 429 (login and refresh), 503 (the database or a model away);
- **request and response schemas** as pydantic states them: ``additionalProperties: false``
  (every schema is ``extra="forbid"``) and the constraints (``pattern``, bounds) the
  generator left out.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.openapi.spec import (
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Reference,
    Schema,
)
from litestar.routes import HTTPRoute

from lfr_api import schemas as base
from lfr_api.errors import PROBLEM_JSON
from lfr_api.security.guards import PublicGuard, RoleGuard
from lfr_api.security.roles import Role

METHODS = ("get", "put", "post", "delete", "patch")
DESCRIPTIONS = {
    400: "The request is not valid (a field, a NUL byte, JSON too deep, a number out of "
         "range); `errors` names the fields",
    401: "No credentials, or bad ones", 403: "The caller's role or assignment does not allow it",
    404: "No such resource", 409: "The resource's state does not allow it",
    413: "The body (or an image's pixel count) is over the limit",
    415: "Not an accepted image", 422: "Well-formed but refused; `errors` names the field",
    429: "Too many attempts: wait `Retry-After` seconds",
    503: "A dependency (database, model, calibration) is unavailable: retry later",
}
#: Constraints copied from pydantic's JSON Schema where the generator dropped them.
_CONSTRAINTS = {"pattern": "pattern", "minimum": "minimum", "maximum": "maximum",
                "exclusiveMinimum": "exclusive_minimum", "exclusiveMaximum": "exclusive_maximum",
                "minLength": "min_length", "maxLength": "max_length",
                "minItems": "min_items", "maxItems": "max_items"}


def problem_schema() -> Schema:
    """RFC 9457 problem details as the service sends them (errors.py)."""
    text = Schema(type=OpenAPIType.STRING)
    error = Schema(type=OpenAPIType.OBJECT, required=["field", "message"],
                   properties={"field": text, "message": text})
    return Schema(
        type=OpenAPIType.OBJECT, title="Problem", required=["type", "title", "status", "detail"],
        description="RFC 9457 problem details; extra members (check, current, state) as "
        "the route documents them",
        properties={"type": text, "title": text, "status": Schema(type=OpenAPIType.INTEGER),
                    "detail": text, "instance": text,
                    "errors": Schema(type=OpenAPIType.ARRAY, items=error)})


def _handlers(app: Litestar) -> dict[tuple[str, str], Any]:
    out = {}
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for handler in route.route_handlers:
                for method in handler.http_methods:
                    out[(route.path_format or "/", method.lower())] = handler
    return out


def _roles(handler: Any) -> frozenset[Role] | None:
    """The roles a handler admits; ``None`` when it is public."""
    roles: set[Role] = set()
    declared = [g for layer in handler.ownership_layers for g in (layer.guards or ())]
    for guard in declared:  # as declared on the handler or its controller
        if isinstance(guard, PublicGuard):
            return None
        if isinstance(guard, RoleGuard):
            roles |= guard.roles
    return frozenset(roles)


def _statuses(op: Operation, method: str, path: str, roles: frozenset[Role] | None) -> set[int]:
    statuses = {400, 503}
    has_body = op.request_body is not None
    params = [p for p in op.parameters or [] if not isinstance(p, Reference)]
    if roles is not None:
        statuses |= {401, 403}
    if "{" in path:
        statuses.add(404)
    if method != "get" and roles is not None:
        statuses |= {409, 422}
    if any(p.param_in == "query" for p in params):
        statuses.add(422)
    if has_body:
        statuses |= {413, 422}
        content = getattr(op.request_body, "content", {}) or {}
        if "multipart/form-data" in content or Role.service in (roles or ()):
            statuses.add(415)
    if roles is None and method == "post":
        statuses |= {401, 429}  # login and refresh: bad credentials, throttled
    return statuses


def _security(roles: frozenset[Role] | None) -> list[dict[str, list[str]]]:
    if roles is None:
        return []
    out: list[dict[str, list[str]]] = []
    if roles - {Role.service}:
        out.append({"bearer": []})
    if Role.service in roles:
        out.append({"apiKey": []})
    return out


def _operations(app: Litestar) -> None:
    handlers = _handlers(app)
    problem = OpenAPIMediaType(schema=Reference(ref="#/components/schemas/Problem"))
    for path, item in (app.openapi_schema.paths or {}).items():
        for method in METHODS:
            op: Operation | None = getattr(item, method, None)
            handler = handlers.get((path, method))
            if op is None or handler is None:
                continue
            roles = _roles(handler)
            op.security = _security(roles)
            responses = dict(op.responses or {})
            for status in sorted(_statuses(op, method, path, roles)):
                responses[str(status)] = OpenAPIResponse(
                    description=DESCRIPTIONS[status], content={PROBLEM_JSON: problem})
            op.responses = responses


def _models() -> dict[str, type[base.Schema]]:
    found: dict[str, type[base.Schema]] = {}
    todo: list[type[base.Schema]] = [base.Schema]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            found.setdefault(sub.__name__, sub)
            todo.append(sub)
    return found


def _copy_constraints(target: Schema | Reference, source: dict[str, Any]) -> None:
    if isinstance(target, Reference):
        return
    branches = source.get("anyOf") or [source]
    for branch in branches:
        kind = branch.get("type")
        candidates = [target, *(target.one_of or []), *(target.any_of or [])]
        for schema in candidates:
            if isinstance(schema, Reference) or (kind and schema.type not in (kind, None)
                                                 and str(getattr(schema.type, "value", ""))
                                                 != kind):
                continue
            for key, attr in _CONSTRAINTS.items():
                if key in branch and getattr(schema, attr) is None:
                    setattr(schema, attr, branch[key])


def _components(app: Litestar) -> None:
    components = app.openapi_schema.components
    schemas = dict(components.schemas or {})
    models = _models()
    for name, schema in schemas.items():
        model = models.get(name)
        if model is None or schema.type != OpenAPIType.OBJECT:
            continue
        schema.additional_properties = False
        properties = model.model_json_schema(mode="validation").get("properties", {})
        for prop, target in (schema.properties or {}).items():
            if prop in properties:
                _copy_constraints(target, properties[prop])
    schemas["Problem"] = problem_schema()
    components.schemas = schemas


def apply(app: Litestar) -> None:
    """Rewrite the app's generated OpenAPI document (see the module)."""
    document = app.openapi_schema
    document.security = None
    _operations(app)
    _components(app)
