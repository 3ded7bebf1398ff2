"""What one send did for each device, and the error ``emit`` raises when it fell short."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from lfr_fcm.tokens import DeviceToken, redact
from lfr_framework.errors import LFRError


class Outcome(StrEnum):
    """How a send ended for one device."""

    DELIVERED = "delivered"
    #: FCM said the token is no longer valid; it was removed from the token directory.
    UNREGISTERED = "unregistered"
    #: Not delivered: a permanent error, or still failing after ``max_attempts``.
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class TokenResult:
    """The outcome for one device, after how many attempts, and the last error if any."""

    device: DeviceToken
    outcome: Outcome
    attempts: int
    message_id: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """Per-device outcomes of sending one alert."""

    alert_id: str
    results: tuple[TokenResult, ...]

    def _with(self, outcome: Outcome) -> list[TokenResult]:
        return [r for r in self.results if r.outcome is outcome]

    @property
    def delivered(self) -> list[TokenResult]:
        """Devices FCM accepted the message for."""
        return self._with(Outcome.DELIVERED)

    @property
    def unregistered(self) -> list[TokenResult]:
        """Devices whose token FCM no longer knows (removed from the directory)."""
        return self._with(Outcome.UNREGISTERED)

    @property
    def failed(self) -> list[TokenResult]:
        """Devices the alert was not delivered to."""
        return self._with(Outcome.FAILED)

    def summary(self) -> str:
        """One line for logs and errors: counts and, for failures, redacted tokens and why."""
        text = (f"alert {self.alert_id}: FCM delivered to {len(self.delivered)} of "
                f"{len(self.results)} device(s), {len(self.unregistered)} unregistered, "
                f"{len(self.failed)} failed")
        failures = "; ".join(f"{redact(r.device.token)} after {r.attempts} attempt(s): {r.error}"
                             for r in self.failed)
        return f"{text} ({failures})" if failures else text


class FcmDeliveryError(LFRError):
    """The FCM sink did not reach every device of the deployment (or reached none)."""

    def __init__(self, message: str, report: DeliveryReport | None = None) -> None:
        super().__init__(message)
        #: The per-device outcomes, when a send was made.
        self.report = report
