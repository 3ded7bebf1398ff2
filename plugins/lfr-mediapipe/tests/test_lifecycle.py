"""A detector dropped without ``close()`` is closed off the garbage collector's path, and
the process exits cleanly (each case in a fresh interpreter, with a deadline)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from lfr_framework.models.store import ModelStore

PRELUDE = """
import gc, sys, time
import concurrent.futures.thread as cft
from lfr_mediapipe import plugin
from pathlib import Path
from lfr_framework.plugins import PluginHost
host = PluginHost(load_entry_points=False)
host.register_plugin(plugin, name="mediapipe")
store = host.model_store(Path(sys.argv[1]))
detector = host.detectors.create("mediapipe", {}, "test", models=store)
"""


def _run(store: ModelStore, body: str) -> subprocess.CompletedProcess[str]:
    script = PRELUDE + textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", script, str(store.root.parent)],
                          capture_output=True, text=True, timeout=60, check=False)


def test_garbage_collection_inside_executor_submit_does_not_deadlock(store: ModelStore) -> None:
    # The collector can run a finalizer while ThreadPoolExecutor.submit holds its global
    # lock; closing a MediaPipe task right there would submit again and wait for ever.
    done = _run(store, """
        task = detector._task
        with cft._global_shutdown_lock:
            del detector
            gc.collect()
        deadline = time.monotonic() + 30
        while task._handle and time.monotonic() < deadline:
            time.sleep(0.05)
        print("closed" if not task._handle else "still open")
    """)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("closed")


def test_open_and_dropped_detectors_exit_cleanly(store: ModelStore) -> None:
    done = _run(store, """
        other = host.detectors.create("mediapipe", {}, "test", models=store)
        dropped = host.detectors.create("mediapipe", {}, "test", models=store)
        del dropped
        gc.collect()
        print("bye")
    """)
    assert done.returncode == 0 and done.stdout.strip() == "bye", done.stderr[-2000:]
    assert "Exception ignored" not in done.stderr and "Traceback" not in done.stderr
