"""Tokens never reach a log: a logging filter that masks bearer tokens, API keys and refresh
tokens in every record of the server's loggers (uvicorn's access log writes the feed's
``?token=`` query string, its error log the WebSocket path)."""

from __future__ import annotations

import logging
import re
from typing import Any

REDACTED = "[redacted]"
_PATTERNS = (
    # ?token=… / &access_token=… in a logged URL
    re.compile(r"(?i)(?<=[?&;])((?:access_)?token=)[^&\s\"']+"),
    # a JWT anywhere (header.payload.signature, base64url)
    re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*"),
    # an API key or a refresh token (lfrk_…, lfrr_…)
    re.compile(r"\blfr[kr]_[\w-]+"),
)
#: The loggers the service's requests reach (uvicorn's, the websockets library's, ours).
LOGGERS = ("uvicorn.access", "uvicorn.error", "websockets.server", "lfr_api", "litestar")


def redact(text: str) -> str:
    """``text`` with every token, API key and refresh token masked."""
    text = _PATTERNS[0].sub(lambda m: m.group(1) + REDACTED, text)
    for pattern in _PATTERNS[1:]:
        text = pattern.sub(REDACTED, text)
    return text


def _clean(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


class RedactTokens(logging.Filter):
    """Masks tokens in a record's message and arguments (never drops the record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_clean(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _clean(v) for k, v in record.args.items()}
        return True


def install() -> None:
    """Add the filter to the server's loggers (once each; safe to call again)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
