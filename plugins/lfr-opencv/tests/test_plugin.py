"""Registration and option validation through the core's plugin host."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from lfr_opencv import VideoFileSource

from lfr_framework.errors import ConfigurationError
from lfr_framework.plugins import PluginHost


def test_registers_the_four_sources(host: PluginHost) -> None:
    assert host.camera_sources.names() == ["images", "stream", "video", "webcam"]
    assert host.plugins["opencv"].registers == {
        "camera_sources": ["video", "stream", "webcam", "images"]}


def test_valid_options_reach_the_source(host: PluginHost) -> None:
    start = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    source = host.camera_sources.create(
        "video", {"loop": True, "start_time": start.isoformat()}, "cameras[0].options",
        camera_id="c", uri="/data/walk.mp4")
    assert isinstance(source, VideoFileSource)
    assert source.loop is True and source.start_time == start


@pytest.mark.parametrize(("name", "options", "key"), [
    ("images", {"fps": 0}, "fps"),
    ("images", {"fps": "fast"}, "fps"),
    ("images", {"start_time": "2024-01-02T03:04:05"}, "start_time"),  # naive: no timezone
    ("video", {"loop": "sometimes"}, "loop"),
    ("video", {"looped": True}, "looped"),
    ("stream", {"open_timeout_s": -1}, "open_timeout_s"),
    ("stream", {"read_timeout_s": 0}, "read_timeout_s"),
    ("webcam", {"width": 0}, "width"),
    ("webcam", {"fps": -5}, "fps"),
])
def test_invalid_options_fail_naming_the_key(
    host: PluginHost, name: str, options: dict[str, object], key: str
) -> None:
    with pytest.raises(ConfigurationError, match=f"{name!r}.*cameras\\[0\\].options.{key}"):
        host.camera_sources.validate_options(name, options, "cameras[0].options")
