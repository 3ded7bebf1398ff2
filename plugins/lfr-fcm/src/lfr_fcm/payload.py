"""The FCM data payload of an alert: flat strings, no biometric data, no images.

The phone fetches the alert, the probe crop and the watchlist image over the
authenticated API; a push only tells it which alert to fetch.
The payload's JSON Schema is ``fcm_payload.schema.json`` beside this module.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from importlib import resources
from typing import Any

from lfr_framework.types import Alert

#: The version of the mobile contract this payload belongs to (``contract_version``).
CONTRACT_VERSION = "2.0"
#: The payload's ``type`` for an alert.
PAYLOAD_TYPE = "alert"
#: The notification shown by the phone's system tray: nothing about the person.
NOTIFICATION_TITLE = "LFR alert"
NOTIFICATION_BODY = "Open the app to review it."
#: Longest ``entry_reference`` / ``entry_category`` sent (FCM caps a message at 4 KB).
MAX_TEXT = 200


@dataclass(frozen=True, slots=True)
class EntryFacts:
    """The display facts of a watchlist entry that a push may carry."""

    reference: str = ""
    category: str = ""


#: ``lookup(entry_id)``: the entry's facts, or ``None`` when unknown.
EntryLookup = Callable[[str], EntryFacts | None]


def build_payload(
    alert: Alert, entry: EntryFacts | None = None, contract_version: str = CONTRACT_VERSION
) -> dict[str, str]:
    """The FCM data payload for ``alert`` (every value a string, as FCM requires)."""
    facts = entry or EntryFacts()
    raised = alert.raised_at
    if raised.tzinfo is not None:
        raised = raised.astimezone(UTC)
    return {
        "type": PAYLOAD_TYPE,
        "contract_version": contract_version,
        "alert_id": alert.alert_id,
        "deployment_id": alert.deployment_id,
        "camera_id": alert.camera_id,
        "score": f"{alert.score:.4f}",
        "raised_at": raised.isoformat(),
        "entry_reference": facts.reference[:MAX_TEXT],
        "entry_category": facts.category[:MAX_TEXT],
    }


def payload_schema() -> dict[str, Any]:
    """The JSON Schema of the payload, as shipped in this package."""
    text = resources.files("lfr_fcm").joinpath("fcm_payload.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
