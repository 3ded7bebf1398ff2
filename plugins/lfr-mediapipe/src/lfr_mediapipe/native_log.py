"""MediaPipe's native libraries (LiteRT, glog) write straight to file descriptor 2: a dozen
lines of "INFO: Created TensorFlow Lite XNNPACK delegate" and "Sparsity tensors may not yet be
fully supported" each time a model is loaded or closed. That is noise to a user of ``lfr``;
it goes to the ``lfr_mediapipe.native`` logger at DEBUG instead (``lfr -vv`` shows it).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import threading
from collections.abc import Iterator

log = logging.getLogger("lfr_mediapipe.native")
_lock = threading.Lock()


@contextlib.contextmanager
def native_output_to_log() -> Iterator[None]:
    """Send what native code writes to stderr inside the block to the debug log.

    Only start-up and shutdown calls are wrapped (model load, warm-up, close): the
    redirect is process-wide for its few milliseconds, so it is never used per frame.
    """
    with _lock, tempfile.TemporaryFile() as capture:
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        saved = os.dup(2)
        try:
            os.dup2(capture.fileno(), 2)
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            for line in capture.read().decode("utf-8", "replace").splitlines():
                if line.strip():
                    log.debug("%s", line)
