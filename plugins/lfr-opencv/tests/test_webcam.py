"""The ``webcam`` source: uri parsing and a missing device (no camera exists in CI)."""

from __future__ import annotations

import pytest

from lfr_framework.errors import CameraError, ConfigurationError
from lfr_framework.interfaces import CameraSource
from lfr_framework.plugins import PluginHost


def make(host: PluginHost, uri: str, **options: object) -> CameraSource:
    return host.camera_sources.create("webcam", options, "cameras[0].options",
                                      camera_id="desk", uri=uri)


@pytest.mark.parametrize("uri", ["63", "/dev/video63"])
def test_a_missing_device_names_it(host: PluginHost, uri: str) -> None:
    source = make(host, uri, width=640, height=480, fps=15)
    assert isinstance(source, CameraSource)
    with pytest.raises(CameraError, match=f"webcam {uri} cannot be opened"):
        source.open()
    with pytest.raises(CameraError, match="not open"):
        source.read()
    source.close()


@pytest.mark.parametrize("uri", ["front door", "-1", "video0", ""])
def test_a_uri_that_is_not_a_device_is_a_configuration_error(
    host: PluginHost, uri: str
) -> None:
    with pytest.raises(ConfigurationError, match=r"'desk': webcam uri .* is neither"):
        make(host, uri)
