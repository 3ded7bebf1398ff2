"""Bad inputs and bad options fail with clear errors."""

from __future__ import annotations

import lfr_usearch.plugin
import numpy as np
import pytest
from lfr_usearch import UsearchMatcher, UsearchOptions, create_matcher

from lfr_framework.errors import ConfigurationError
from lfr_framework.plugins import PluginHost
from lfr_framework.types import Templates

D = 32


def unit(rng: np.random.Generator, n: int, d: int) -> Templates:
    """``n`` random unit vectors of dimension ``d``."""
    x = rng.standard_normal((n, d)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


@pytest.fixture
def host() -> PluginHost:
    """A plugin host that knows only this plugin."""
    h = PluginHost(load_entry_points=False)
    h.register_plugin(lfr_usearch.plugin, name="usearch")
    return h


def test_registers_usearch_matcher(host: PluginHost) -> None:
    assert host.matchers.names() == ["usearch"]
    assert host.plugins["usearch"].registers == {"matchers": ["usearch"]}


def test_host_builds_a_working_matcher(host: PluginHost, rng: np.random.Generator) -> None:
    matcher = host.matchers.create("usearch", {"exact_below": 10}, "matcher", dimension=D)
    assert isinstance(matcher, UsearchMatcher)
    assert matcher.options.exact_below == 10
    data = unit(rng, 2, D)
    matcher.add("a", data)
    assert matcher.search(data[:1])[0][0].entry_id == "a"


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"exact_below": -1}, "matcher.exact_below"),
        ({"exact_below": "many"}, "matcher.exact_below"),
        ({"connectivity": 1}, "matcher.connectivity"),
        ({"expansion_add": 0}, "matcher.expansion_add"),
        ({"expansion_search": 0}, "matcher.expansion_search"),
        ({"dtype": "f64"}, "matcher.dtype"),
        ({"metric": "l2"}, "matcher.metric"),
    ],
)
def test_invalid_options(host: PluginHost, options: dict[str, object], fragment: str) -> None:
    with pytest.raises(ConfigurationError, match="matcher 'usearch'") as info:
        host.matchers.validate_options("usearch", options, "matcher")
    assert fragment in str(info.value)


def test_factory_rejects_bad_options_directly() -> None:
    with pytest.raises(ConfigurationError, match="exact_below"):
        create_matcher(D, exact_below=-5)


@pytest.mark.parametrize("dimension", [0, -3, 1.5, True, "128"])
def test_bad_dimension(dimension: object) -> None:
    with pytest.raises(ValueError, match="dimension must be a positive integer"):
        UsearchMatcher(dimension)  # type: ignore[arg-type]


@pytest.fixture
def matcher() -> UsearchMatcher:
    """An empty matcher of dimension ``D``."""
    return UsearchMatcher(D, UsearchOptions())


@pytest.mark.parametrize(
    ("templates", "fragment"),
    [
        (np.ones((1, D + 1), np.float32), f"dimension {D + 1}, this matcher expects {D}"),
        (np.ones(D, np.float32), "must be 2-D"),
        (np.ones((1, 1, D), np.float32), "must be 2-D"),
        (np.zeros((0, D), np.float32), "at least one row"),
        (np.full((1, D), np.nan, np.float32), "NaN or infinite"),
        (np.full((1, D), np.inf, np.float32), "NaN or infinite"),
        (np.zeros((2, D), np.float32), "row 0 is all zeros"),
        (np.ones((1, D), bool), "real numbers"),
        (np.array([["a"] * D]), "real numbers"),
        ([[1.0] * D], "numpy array"),
    ],
)
def test_bad_templates_on_add(matcher: UsearchMatcher, templates: object, fragment: str) -> None:
    with pytest.raises(ValueError, match="templates") as info:
        matcher.add("a", templates)  # type: ignore[arg-type]
    assert fragment in str(info.value)
    assert len(matcher) == 0


@pytest.mark.parametrize(
    ("templates", "fragment"),
    [
        (np.ones((1, D - 1), np.float32), f"dimension {D - 1}, this matcher expects {D}"),
        (np.ones(D, np.float32), "must be 2-D"),
        (np.full((1, D), np.nan, np.float32), "NaN or infinite"),
    ],
)
def test_bad_query(matcher: UsearchMatcher, templates: object, fragment: str) -> None:
    matcher.add("a", np.ones((1, D), np.float32))
    with pytest.raises(ValueError, match="query templates") as info:
        matcher.search(templates)  # type: ignore[arg-type]
    assert fragment in str(info.value)


@pytest.mark.parametrize("entry_id", ["", "   ", None, 7])
def test_bad_entry_id(matcher: UsearchMatcher, entry_id: object) -> None:
    with pytest.raises(ValueError, match="entry_id must"):
        matcher.add(entry_id, np.ones((1, D), np.float32))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="entry_id must"):
        matcher.remove(entry_id)  # type: ignore[arg-type]


@pytest.mark.parametrize("k", [0, -1, 1.0, True, "3"])
def test_bad_k(matcher: UsearchMatcher, k: object) -> None:
    with pytest.raises(ValueError, match="k must be a positive integer"):
        matcher.search(np.ones((1, D), np.float32), k=k)  # type: ignore[arg-type]


def test_error_messages_hold_no_template_values(matcher: UsearchMatcher) -> None:
    bad = np.full((1, D + 1), 0.123456, np.float32)
    with pytest.raises(ValueError) as info:
        matcher.add("a", bad)
    assert "0.123" not in str(info.value)


def test_a_cxx_extension_imported_after_the_plugin_still_loads() -> None:
    """USearch's NumKong exports libstdc++ symbols globally; ONNX Runtime imported after it
    crashed while loading unless the system libstdc++ came first (the plugin sees to it)."""
    import subprocess
    import sys

    pytest.importorskip("onnxruntime")
    done = subprocess.run([sys.executable, "-c", "import lfr_usearch, onnxruntime"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-500:]
