"""The ``stream`` source reads MJPEG over HTTP from a local server through OpenCV's FFmpeg."""

from __future__ import annotations

import re
import socket
import time
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest

from lfr_framework.errors import CameraError, ConfigurationError
from lfr_framework.interfaces import CameraSource
from lfr_framework.plugins import PluginHost


def grey_level(i: int) -> int:
    """The grey level the local server gives frame ``i`` (see conftest.synthetic_frame)."""
    return (i * 10) % 250


def make(host: PluginHost, uri: str, **options: object) -> CameraSource:
    options = {"open_timeout_s": 3, "read_timeout_s": 3, **options}
    return host.camera_sources.create("stream", options, "cameras[0].options",
                                      camera_id="entrance", uri=uri)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_reads_every_frame_then_a_closed_connection_is_an_outage(
    host: PluginHost, mjpeg_server: Any
) -> None:
    url = mjpeg_server.url("frames/20")
    source = make(host, url)
    assert isinstance(source, CameraSource)
    source.open()
    frames = []
    before = datetime.now(UTC)
    with pytest.raises(CameraError, match=f"stream {re.escape(url)} stopped delivering frames"):
        while True:
            frame = source.read()
            assert frame is not None  # a live stream never "ends"
            frames.append(frame)
            assert len(frames) <= 20
    after = datetime.now(UTC)

    assert len(frames) == 20
    assert [f.index for f in frames] == list(range(20))
    for i, frame in enumerate(frames):
        assert frame.image.dtype == np.uint8 and frame.image.shape == (48, 64, 3)
        assert abs(int(frame.image.mean()) - grey_level(i)) <= 4
        assert frame.timestamp.tzinfo is not None
        assert before <= frame.timestamp <= after  # wall clock, UTC
    stamps = [f.timestamp for f in frames]
    assert stamps == sorted(stamps)

    # After the outage the source is closed; open() reconnects and indices go on.
    with pytest.raises(CameraError, match="not open"):
        source.read()
    source.open()
    frame = source.read()
    assert frame is not None and frame.index == 20
    source.close()
    source.close()
    assert mjpeg_server.connections == 2


def test_a_stalled_stream_raises_after_the_read_timeout(
    host: PluginHost, mjpeg_server: Any
) -> None:
    source = make(host, mjpeg_server.url("stall/3"), read_timeout_s=0.5)
    source.open()
    for _ in range(3):
        assert source.read() is not None
    started = time.monotonic()
    with pytest.raises(CameraError, match=r"no frame came within 0\.5 s"):
        source.read()
    assert time.monotonic() - started < 3
    source.close()


def test_a_server_that_never_answers_fails_open_after_the_timeout(
    host: PluginHost, mjpeg_server: Any
) -> None:
    url = mjpeg_server.url("hang")
    source = make(host, url, open_timeout_s=0.5)
    started = time.monotonic()
    with pytest.raises(CameraError, match=f"stream {re.escape(url)} cannot be opened.*0.5 s"):
        source.open()
    assert time.monotonic() - started < 3


def test_refused_connection_names_the_url_without_its_password(host: PluginHost) -> None:
    url = f"rtsp://officer:s3cret-pw@127.0.0.1:{free_port()}/cam1"
    source = make(host, url)
    with pytest.raises(CameraError) as info:
        source.open()
    message = str(info.value)
    assert "s3cret-pw" not in message
    assert f"rtsp://officer:***@127.0.0.1:{url.split(':')[3].split('/')[0]}/cam1" in message


@pytest.mark.parametrize("uri", ["not a url", "/dev/video0", "ftp://example.org/x", "http://"])
def test_a_uri_that_is_not_a_stream_url_is_a_configuration_error(
    host: PluginHost, uri: str
) -> None:
    with pytest.raises(ConfigurationError, match=r"'entrance'.*is not a URL with one of"):
        make(host, uri)


def test_password_is_redacted_from_configuration_errors(host: PluginHost) -> None:
    with pytest.raises(ConfigurationError) as info:
        make(host, "ftp://user:hunter2@example.org/x")
    assert "hunter2" not in str(info.value)
