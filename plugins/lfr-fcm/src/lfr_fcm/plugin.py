"""Registers the ``fcm`` alert sink (Firebase Cloud Messaging)."""

from __future__ import annotations

from pathlib import Path

from pydantic import HttpUrl

from lfr_fcm.options import FcmOptions
from lfr_fcm.payload import EntryLookup
from lfr_fcm.sender import FcmSender
from lfr_fcm.sink import FcmAlertSink
from lfr_fcm.tokens import StaticTokenDirectory, TokenDirectory
from lfr_framework import hookimpl
from lfr_framework.errors import ConfigurationError
from lfr_framework.hookspecs import ComponentRegister


def fcm_sink(
    *,
    credentials_file: Path | str,
    project_id: str | None = None,
    max_attempts: int = 5,
    initial_backoff_s: float = 0.5,
    max_backoff_s: float = 8.0,
    timeout_s: float = 10.0,
    ttl_s: int = 900,
    dry_run: bool = False,
    endpoint: HttpUrl | str | None = None,
    tokens: list[str] | None = None,
    directory: TokenDirectory | None = None,
    entries: EntryLookup | None = None,
) -> FcmAlertSink:
    """An ``fcm`` sink. The key file is checked now (``ConfigurationError`` naming it).

    ``directory`` and ``entries`` are fixed arguments the service passes; without a
    directory the static ``tokens`` option is used and must not be empty.
    """
    options = FcmOptions(
        credentials_file=Path(credentials_file), project_id=project_id,
        max_attempts=max_attempts, initial_backoff_s=initial_backoff_s,
        max_backoff_s=max_backoff_s, timeout_s=timeout_s, ttl_s=ttl_s, dry_run=dry_run,
        endpoint=endpoint, tokens=tokens or [],
    )
    if directory is None:
        if not options.tokens:
            raise ConfigurationError(
                "fcm sink: no device to notify: give 'tokens' (registration tokens) in the "
                "options, or run it under the service, which passes its token directory"
            )
        directory = StaticTokenDirectory(options.tokens)
    sender = FcmSender.from_options(options, directory)
    return FcmAlertSink(sender, directory, entries)


@hookimpl
def register_alert_sinks(register: ComponentRegister) -> None:
    """Register ``fcm``."""
    register("fcm", fcm_sink, options=FcmOptions)
