"""Firebase Cloud Messaging alert sink for the LFR framework.

The service uses :class:`FcmSender` directly after it has persisted an alert, with its own
:class:`TokenDirectory`; a deployment file uses the ``fcm`` sink (see ``plugin.py``).
"""

from lfr_fcm.payload import CONTRACT_VERSION, EntryFacts, EntryLookup, build_payload, payload_schema
from lfr_fcm.report import DeliveryReport, FcmDeliveryError, Outcome, TokenResult
from lfr_fcm.retry import RetryPolicy
from lfr_fcm.sender import FcmSender
from lfr_fcm.sink import FcmAlertSink
from lfr_fcm.tokens import DeviceToken, StaticTokenDirectory, TokenDirectory

__all__ = [
    "CONTRACT_VERSION",
    "DeliveryReport",
    "DeviceToken",
    "EntryFacts",
    "EntryLookup",
    "FcmAlertSink",
    "FcmDeliveryError",
    "FcmSender",
    "Outcome",
    "RetryPolicy",
    "StaticTokenDirectory",
    "TokenDirectory",
    "TokenResult",
    "build_payload",
    "payload_schema",
]
