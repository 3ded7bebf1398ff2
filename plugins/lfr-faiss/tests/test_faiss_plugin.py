"""The plugin registers its matcher; bad options fail with the key in the message."""

from __future__ import annotations

import lfr_faiss.plugin
import numpy as np
import pytest
from lfr_faiss import FaissMatcher

from lfr_framework.errors import ConfigurationError
from lfr_framework.plugins import PluginHost


@pytest.fixture
def host() -> PluginHost:
    """A plugin host that knows only this plugin."""
    h = PluginHost(load_entry_points=False)
    h.register_plugin(lfr_faiss.plugin, name="faiss")
    return h


def test_registers_the_faiss_matcher(host: PluginHost) -> None:
    assert host.matchers.names() == ["faiss"]
    matcher = host.matchers.create("faiss", {"candidates": 64}, "matcher", dimension=8)
    assert isinstance(matcher, FaissMatcher)
    assert matcher.options.candidates == 64
    row = np.ones((1, 8), np.float32)
    matcher.add("a", row)
    assert matcher.search(row)[0][0].entry_id == "a"


def test_the_installed_distribution_declares_its_entry_point() -> None:
    from importlib.metadata import entry_points

    found = {ep.name: ep.value for ep in entry_points(group="lfr")}
    assert found.get("faiss") == "lfr_faiss.plugin"


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"exact_below": -1}, "matcher.exact_below"),
        ({"subquantizers": 0}, "matcher.subquantizers"),
        ({"candidates": 0}, "matcher.candidates"),
        ({"train_size": 10}, "matcher.train_size"),
        ({"compact_fraction": 0}, "matcher.compact_fraction"),
        ({"search_threads": 0}, "matcher.search_threads"),
        ({"nprobe": 8}, "matcher.nprobe"),
    ],
)
def test_invalid_options(host: PluginHost, options: dict[str, object], fragment: str) -> None:
    with pytest.raises(ConfigurationError, match="matcher 'faiss'") as info:
        host.matchers.validate_options("faiss", options, "matcher")
    assert fragment in str(info.value)


def test_a_dimension_the_quantiser_cannot_split_is_refused(host: PluginHost) -> None:
    with pytest.raises(ConfigurationError, match=r"subquantizers \(64\) must divide the "
                                                 r"template dimension \(100\)"):
        host.matchers.create("faiss", {"subquantizers": 64}, "matcher", dimension=100)


@pytest.mark.parametrize(("dimension", "expected"), [(128, 64), (512, 64), (8, 4), (100, 50),
                                                     (3, 1)])
def test_the_default_split_follows_the_dimension(host: PluginHost, dimension: int,
                                                 expected: int) -> None:
    matcher = host.matchers.create("faiss", {}, "matcher", dimension=dimension)
    assert matcher.subquantizers == expected
