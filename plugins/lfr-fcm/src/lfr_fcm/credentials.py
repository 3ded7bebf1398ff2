"""Reads and checks the Firebase service-account key file at start-up."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from firebase_admin import credentials

from lfr_framework.errors import ConfigurationError

_REQUIRED_KEYS = ("client_email", "private_key", "token_uri")


@dataclass(frozen=True, slots=True)
class ServiceAccount:
    """A checked service account: its credential and the project it belongs to."""

    credential: credentials.Certificate
    project_id: str | None
    client_email: str

    def __repr__(self) -> str:
        return f"ServiceAccount(client_email={self.client_email!r}, project_id={self.project_id!r})"


def load_service_account(path: Path) -> ServiceAccount:
    """Load ``path``; missing, unreadable or invalid: a ``ConfigurationError`` naming it."""
    where = f"fcm sink: credentials_file {str(path)!r}"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigurationError(f"{where} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"{where} cannot be read: {type(exc).__name__}: {exc}") from None
    try:
        info: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigurationError(f"{where} is not valid JSON: {exc}") from None
    if not isinstance(info, dict):
        raise ConfigurationError(f"{where} is not a JSON object")
    if info.get("type") != "service_account":
        raise ConfigurationError(
            f"{where} is not a service-account key (\"type\" is {info.get('type')!r}, "
            "expected 'service_account'); download one from the Firebase console"
        )
    missing = [k for k in _REQUIRED_KEYS if not isinstance(info.get(k), str) or not info.get(k)]
    if missing:
        raise ConfigurationError(f"{where} lacks {', '.join(missing)}")
    try:
        credential = credentials.Certificate(info)
    except ValueError as exc:
        # The message of google-auth's parser never quotes the key itself.
        raise ConfigurationError(f"{where} holds an unusable key: {exc}") from None
    project = info.get("project_id")
    return ServiceAccount(
        credential=credential,
        project_id=project if isinstance(project, str) and project else None,
        client_email=str(info["client_email"]),
    )
