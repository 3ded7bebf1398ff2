"""``FcmAlertSink``: the ``AlertSink`` that pushes each alert to the deployment's phones."""

from __future__ import annotations

from lfr_fcm.payload import CONTRACT_VERSION, EntryLookup, build_payload
from lfr_fcm.report import DeliveryReport, FcmDeliveryError
from lfr_fcm.sender import FcmSender
from lfr_fcm.tokens import TokenDirectory
from lfr_framework.types import Alert


class FcmAlertSink:
    """Builds the payload, looks up the devices and sends through an :class:`FcmSender`.

    ``emit`` raises :class:`FcmDeliveryError` when any device stayed undelivered after
    the retries, or when no device at all received the alert (none registered, or every
    token unregistered); the pipeline then records the sink's delivery as failed and
    goes on. Unregistered tokens alone are not a failure when another device got it.
    """

    def __init__(self, sender: FcmSender, directory: TokenDirectory,
                 entries: EntryLookup | None = None,
                 contract_version: str = CONTRACT_VERSION) -> None:
        self._sender = sender
        self._directory = directory
        self._entries = entries
        self._contract_version = contract_version
        #: The report of the most recent ``emit`` that sent anything.
        self.last_report: DeliveryReport | None = None

    def emit(self, alert: Alert) -> None:
        """Push ``alert`` to every device of its deployment; raise if it fell short."""
        devices = self._directory.tokens_for(alert.deployment_id)
        if not devices:
            raise FcmDeliveryError(
                f"alert {alert.alert_id}: no device registered for deployment "
                f"{alert.deployment_id!r}; nobody was notified by FCM"
            )
        entry = self._entries(alert.entry_id) if self._entries is not None else None
        payload = build_payload(alert, entry, self._contract_version)
        report = self._sender.send(payload, devices)
        self.last_report = report
        if report.failed or not report.delivered:
            raise FcmDeliveryError(report.summary(), report)

    def close(self) -> None:
        """Release the sender. Safe to call twice."""
        self._sender.close()
