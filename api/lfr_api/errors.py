"""The service's own domain errors, and the one place that turns every error into an
RFC 9457 problem-details response (``application/problem+json``)."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from lfr_api.biometrics.crypto import DataKeyError
from lfr_framework.errors import (
    CalibrationError,
    ConfigurationError,
    EnrolmentError,
    ImageDecodeError,
    LFRError,
    ModelError,
    PluginError,
    ThresholdPolicyError,
)
from lfr_framework.retention import (
    HoldAlreadyReleasedError,
    HoldError,
    HoldTargetError,
    RetentionError,
)

log = logging.getLogger("lfr_api")
PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://lfr.invalid/problems/"
#: Seconds a client is told to wait (``Retry-After``) when the database is unreachable.
DATABASE_RETRY_AFTER_S = 5
#: What a client is told when the database cannot be reached (REST, ingest, authentication).
DATABASE_UNAVAILABLE_DETAIL = (
    f"the database cannot be reached just now: retry after {DATABASE_RETRY_AFTER_S} s "
    "(an ingest with the same Idempotency-Key)")


class ServiceError(LFRError):
    """Base of the service's errors; subclasses fix the HTTP status and problem type."""

    status = 400
    type_ = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str, *, errors: list[dict[str, str]] | None = None,
                 **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.extra = extra


class InvalidRequest(ServiceError):
    """A field of the request is wrong; ``errors`` names it."""


class NotAuthenticated(ServiceError):
    status, type_, title = 401, "not-authenticated", "Not authenticated"


class Forbidden(ServiceError):
    status, type_, title = 403, "forbidden", "Forbidden"


class NotFound(ServiceError):
    status, type_, title = 404, "not-found", "Not found"


class Conflict(ServiceError):
    status, type_, title = 409, "conflict", "Conflict"


class PayloadTooLarge(ServiceError):
    status, type_, title = 413, "payload-too-large", "Payload too large"


class UnsupportedMedia(ServiceError):
    status, type_, title = 415, "unsupported-media-type", "Unsupported media type"


class Unprocessable(ServiceError):
    status, type_, title = 422, "unprocessable", "Unprocessable content"


class TooManyRequests(ServiceError):
    """Refused for now (login throttling); ``retry_after`` seconds go in ``Retry-After``."""

    status, type_, title = 429, "too-many-requests", "Too many requests"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class DatabaseUnavailable(ServiceError):
    """The database cannot be reached (an outage): try again after ``retry_after`` seconds."""

    status, type_, title = 503, "database-unavailable", "Database unavailable"

    def __init__(self, detail: str, *, retry_after: int = 5) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


def problem(status: int, type_: str, title: str, detail: str, instance: str,
            headers: dict[str, str] | None = None, **extra: Any) -> Response[dict[str, Any]]:
    """A problem-details response."""
    body: dict[str, Any] = {"type": TYPE_BASE + type_, "title": title, "status": status,
                            "detail": detail, "instance": instance}
    body.update({k: v for k, v in extra.items() if v is not None})
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` means the database cannot be reached now (down, restarting, the
    connection dropped, the pool exhausted, SQLite locked) rather than a bug or bad data:
    the request may succeed if retried later."""
    if isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError
                  | sa.exc.DisconnectionError | sa.exc.TimeoutError | TimeoutError):
        return True
    return isinstance(exc, sa.exc.DBAPIError) and bool(exc.connection_invalidated)


def database_problem(request: Request[Any, Any, Any], exc: BaseException) -> Response[Any]:
    """503 + ``Retry-After`` for an unreachable database. The driver's message is logged
    (first line only: it names the host, never a password) and not sent to the client."""
    orig = getattr(exc, "orig", None) or exc
    first_line = (str(orig).strip().splitlines() or [""])[0][:200]
    log.error("%s %s: database unavailable (%s: %s)", request.method, request.url.path,
              type(orig).__name__, first_line)
    return problem(503, "database-unavailable", "Database unavailable",
                   DATABASE_UNAVAILABLE_DETAIL, request.url.path,
                   headers={"Retry-After": str(DATABASE_RETRY_AFTER_S)})


def _validation_errors(exc: ValidationException) -> list[dict[str, str]]:
    out = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            out.append({"field": str(item.get("key") or item.get("source") or "body"),
                        "message": str(item.get("message", ""))})
    return out or [{"field": "body", "message": exc.detail}]


def handle_exception(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Map any exception to a problem-details response (the app's only exception handler)."""
    path = request.url.path
    if isinstance(exc, ServiceError):
        response = problem(exc.status, exc.type_, exc.title, exc.detail, path,
                           errors=exc.errors, **exc.extra)
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response
    if isinstance(exc, EnrolmentError):
        return problem(422, "enrolment-failed", "Image failed enrolment", str(exc), path,
                       check=exc.check)
    if isinstance(exc, ImageDecodeError):
        return problem(415, "not-an-image", "Not an image", str(exc), path)
    if isinstance(exc, ThresholdPolicyError):
        return problem(422, "threshold-policy", "Threshold policy cannot be applied", str(exc),
                       path, errors=[{"field": "target_fpir", "message": str(exc)}])
    if isinstance(exc, CalibrationError):
        log.error("%s %s: %s", request.method, path, exc)
        return problem(503, "calibration-unavailable", "Calibration unavailable", str(exc), path)
    if isinstance(exc, ConfigurationError | PluginError):
        return problem(400, "invalid-configuration", "Invalid configuration", str(exc), path,
                       errors=[{"field": "options", "message": str(exc)}])
    if isinstance(exc, ModelError):
        return problem(503, "model-unavailable", "Model unavailable", str(exc), path)
    if isinstance(exc, DataKeyError):
        log.error("%s %s: %s", request.method, path, exc)
        return problem(500, "data-key", "Data key error", str(exc), path)
    if isinstance(exc, HoldAlreadyReleasedError):
        return problem(409, "conflict", "Conflict", str(exc), path)
    if isinstance(exc, HoldTargetError):
        return problem(404, "not-found", "Not found", str(exc), path)
    if isinstance(exc, HoldError):
        return problem(400, "invalid-request", "Invalid request", str(exc), path)
    if isinstance(exc, RetentionError):
        log.error("%s %s: %s", request.method, path, exc)
        return problem(503, "retention-unavailable", "Retention unavailable", str(exc), path)
    if isinstance(exc, ValidationException):
        errors = _validation_errors(exc)
        fields = ", ".join(e["field"] for e in errors)
        return problem(400, "invalid-request", "Invalid request",
                       f"the request is not valid: check {fields}", path, errors=errors)
    if database_unavailable(exc):
        return database_problem(request, exc)
    if isinstance(exc, HTTPException):
        titles = {401: "Not authenticated", 403: "Forbidden", 404: "Not found",
                  405: "Method not allowed", 413: "Payload too large",
                  415: "Unsupported media type"}
        status = exc.status_code
        return problem(status, f"http-{status}", titles.get(status, "Error"), exc.detail, path)
    log.exception("unhandled error on %s %s", request.method, path)
    return problem(HTTP_500_INTERNAL_SERVER_ERROR, "internal-error", "Internal error",
                   "the server could not complete the request", path)


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {Exception: handle_exception}
