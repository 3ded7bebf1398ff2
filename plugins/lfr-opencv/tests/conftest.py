"""Fixtures for the OpenCV camera source tests: real video files and a local MJPEG server."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2
import numpy as np
import pytest
from lfr_opencv import plugin

from lfr_framework.plugins import PluginHost


def grey_level(i: int) -> int:
    """Grey level of synthetic frame ``i``: distinct, far apart, easy to check after coding."""
    return (i * 10) % 250


def synthetic_frame(i: int, size: tuple[int, int] = (64, 48)) -> np.ndarray:
    """A uniform grey frame of ``grey_level(i)``."""
    width, height = size
    return np.full((height, width, 3), grey_level(i), np.uint8)


@pytest.fixture
def host() -> PluginHost:
    """A plugin host with only this plugin registered."""
    host = PluginHost(load_entry_points=False)
    host.register_plugin(plugin, name="opencv")
    return host


@pytest.fixture
def write_video() -> Callable[..., Path]:
    """``write_video(path, frames, fps=10, fourcc='mp4v')`` writes a real video with cv2."""

    def write(path: Path, frames: int, fps: float = 10.0, fourcc: str = "mp4v") -> Path:
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (64, 48))
        assert writer.isOpened(), f"cv2.VideoWriter cannot write {fourcc} to {path}"
        for i in range(frames):
            writer.write(synthetic_frame(i))
        writer.release()
        return path

    return write


class MjpegServer:
    """A multipart/x-mixed-replace MJPEG server on 127.0.0.1, one thread per connection.

    ``/frames/N`` sends N frames and closes the connection; ``/stall/N`` sends N frames
    and then sends nothing until the fixture ends; ``/hang`` never answers.
    """

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.connections = 0
        stop = self.stop
        server_ref = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server_ref.connections += 1
                kind, _, count = self.path.strip("/").partition("/")
                if kind == "hang":
                    stop.wait(30)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                for i in range(int(count)):
                    _ok, buf = cv2.imencode(".jpg", synthetic_frame(i))
                    data = buf.tobytes()
                    self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\n"
                                     b"Content-Length: %d\r\n\r\n" % len(data) + data + b"\r\n")
                    self.wfile.flush()
                    time.sleep(0.005)
                if kind == "stall":
                    stop.wait(30)
                self.close_connection = True

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def close(self) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def mjpeg_server() -> Iterator[MjpegServer]:
    server = MjpegServer()
    yield server
    server.close()
