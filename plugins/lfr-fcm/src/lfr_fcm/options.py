"""The option model the core validates before it calls the ``fcm`` sink factory.

Unknown keys are rejected, so a misspelt option fails at start-up with its name.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, model_validator


class FcmOptions(BaseModel):
    """Options of the ``fcm`` alert sink."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    credentials_file: Path = Field(
        description="The Firebase service-account JSON key file; read and checked at start-up."
    )
    project_id: str | None = Field(
        default=None,
        min_length=1,
        description="The Firebase project; defaults to the service account's project_id.",
    )
    max_attempts: int = Field(
        default=5, ge=1, le=20,
        description="Sends per device before the alert is recorded as undelivered to it.",
    )
    initial_backoff_s: float = Field(
        default=0.5, gt=0, le=60,
        description="Wait before the second attempt; doubled after each failed attempt.",
    )
    max_backoff_s: float = Field(
        default=8.0, gt=0, le=300,
        description="Longest wait between attempts. A Retry-After longer than this stops "
        "retrying that device at once (the server's wish is honoured, never shortened).",
    )
    timeout_s: float = Field(
        default=10.0, gt=0, le=120,
        description="HTTP timeout of one request to FCM or to the OAuth token endpoint.",
    )
    ttl_s: int = Field(
        default=900, ge=0, le=2_419_200,
        description="How long FCM keeps an alert for a phone that is offline (Android TTL "
        "and APNs expiration). An alert is useless once the person has walked on.",
    )
    dry_run: bool = Field(
        default=False,
        description="Ask FCM to validate each message without delivering it.",
    )
    endpoint: HttpUrl | None = Field(
        default=None,
        description="TEST SEAM ONLY: base URL that replaces https://fcm.googleapis.com, so "
        "tests can point the HTTPS transport at a fake FCM v1 server on loopback. Leave "
        "unset in production.",
    )
    tokens: list[str] = Field(
        default_factory=list,
        description="Static device registration tokens for standalone use, sent every alert. "
        "Ignored when the service passes a token directory.",
    )

    @model_validator(mode="after")
    def _backoff_order(self) -> FcmOptions:
        if self.initial_backoff_s > self.max_backoff_s:
            raise ValueError(
                f"initial_backoff_s ({self.initial_backoff_s}) exceeds max_backoff_s "
                f"({self.max_backoff_s})"
            )
        return self
