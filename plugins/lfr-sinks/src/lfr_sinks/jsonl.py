"""The ``jsonl`` sink: appends each alert's facts to a JSON Lines file, durably."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from lfr_framework.errors import ConfigurationError, PipelineError
from lfr_framework.types import Alert

#: New files are readable and writable by their owner only: alert facts are sensitive.
FILE_MODE = 0o600


def alert_line(alert: Alert) -> bytes:
    """One JSON Lines record of ``alert``: its facts, never its probe crop or template."""
    text = json.dumps(alert.facts(), ensure_ascii=False, sort_keys=True, allow_nan=False)
    return text.encode("utf-8") + b"\n"


def _open_for_append(path: Path) -> int:
    if path.is_dir():
        raise ConfigurationError(f"jsonl alert sink: path {path} is a directory; give a file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        created = not path.exists()
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigurationError(f"jsonl alert sink: cannot append to {path}: {reason}") from None
    if created:  # make the new directory entry itself survive a crash
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return fd


class JsonlAlertSink:
    """Appends one JSON object per alert (:meth:`Alert.facts`) to a file.

    The file is opened at construction, so a bad path fails at start-up. Each line is
    written whole, then fsynced before :meth:`emit` returns, so a crash loses no alert
    that was emitted. Safe to call from several threads.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._fd: int | None = _open_for_append(path)

    def emit(self, alert: Alert) -> None:
        """Append ``alert``'s facts as one line and fsync it."""
        line = alert_line(alert)
        with self._lock:
            fd = self._fd
            if fd is None:
                raise PipelineError(f"jsonl alert sink {self.path} is closed")
            view = memoryview(line)
            while view:  # os.write may write part of the line
                written = os.write(fd, view)
                if written <= 0:
                    raise OSError(f"jsonl alert sink {self.path}: write made no progress")
                view = view[written:]
            os.fsync(fd)

    def close(self) -> None:
        """Close the file. Safe to call twice."""
        with self._lock:
            fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)
