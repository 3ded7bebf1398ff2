"""Which FCM errors are worth another attempt, and how long to wait before it."""

from __future__ import annotations

import email.utils
from dataclasses import dataclass
from datetime import UTC, datetime

import requests
from firebase_admin import exceptions, messaging
from google.auth import exceptions as auth_exceptions


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """``max_attempts`` sends per device; waits double from ``initial_backoff_s``."""

    max_attempts: int = 5
    initial_backoff_s: float = 0.5
    max_backoff_s: float = 8.0

    def backoff(self, failed_attempts: int) -> float:
        """The wait after ``failed_attempts`` (1, 2, …) consecutive failures."""
        return min(self.initial_backoff_s * 2.0 ** (failed_attempts - 1), self.max_backoff_s)


@dataclass(frozen=True, slots=True)
class Verdict:
    """How to treat one error: ``unregistered``, ``retry`` (maybe after ``retry_after``) or
    ``fail``; ``reason`` is a short description that holds no token."""

    action: str
    reason: str
    retry_after: float | None = None


def classify(error: Exception) -> Verdict:
    """Sort an error from firebase-admin (or google-auth) into unregistered / retry / fail."""
    reason = describe(error)
    if isinstance(error, messaging.UnregisteredError):
        return Verdict("unregistered", reason)
    if isinstance(error, exceptions.FirebaseError):
        response = error.http_response
        if response is not None:
            if response.status_code == 429 or response.status_code >= 500:
                return Verdict("retry", reason, retry_after_seconds(response))
            return Verdict("fail", reason)
        if isinstance(error, exceptions.UnavailableError | exceptions.DeadlineExceededError):
            return Verdict("retry", reason)
        cause = error.cause
        if isinstance(cause, Exception) and _transient_transport(cause):
            return Verdict("retry", reason)
        return Verdict("fail", reason)
    if _transient_transport(error):
        return Verdict("retry", reason)
    return Verdict("fail", reason)


def _transient_transport(error: Exception) -> bool:
    if isinstance(error, auth_exceptions.RefreshError):
        return bool(getattr(error, "retryable", False))
    return isinstance(error, auth_exceptions.TransportError | requests.ConnectionError
                      | requests.Timeout)


def describe(error: Exception) -> str:
    """``Type (HTTP n): message``, shortened; FCM messages never quote the token."""
    status = ""
    if isinstance(error, exceptions.FirebaseError) and error.http_response is not None:
        status = f" (HTTP {error.http_response.status_code})"
    text = str(error).replace("\n", " ")
    if len(text) > 300:
        text = text[:297] + "..."
    return f"{type(error).__name__}{status}: {text}"


def retry_after_seconds(response: requests.Response) -> float | None:
    """The response's ``Retry-After`` in seconds (delta or HTTP date), ``None`` if absent."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)

