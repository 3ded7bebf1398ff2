"""Options are validated by the core's registry at start-up, with the key in the message."""

from __future__ import annotations

from typing import Any

import pytest
from lfr_arcface_onnx.models import DEFAULT_MODEL_ID

from lfr_framework.errors import ConfigurationError
from lfr_framework.models.store import ModelStore
from lfr_framework.plugins import PluginHost


def test_defaults(host: PluginHost) -> None:
    options = host.recognisers.validate_options("arcface_onnx", {}, "recogniser")
    assert options == {
        "model": DEFAULT_MODEL_ID, "threshold": None, "intra_op_threads": None,
        "inter_op_threads": None, "providers": ("CPUExecutionProvider",), "max_batch": 32,
        "fold_weights": True, "runtime": "auto", "rewrite_prelu": True,
    }


@pytest.mark.parametrize(
    ("options", "key", "says"),
    [
        ({"model": "no-such-model"}, "recogniser.model", "known: arcface-w600k-mbf"),
        ({"threshold": 1.5}, "recogniser.threshold", "less than 1"),
        ({"threshold": 0}, "recogniser.threshold", "greater than 0"),
        ({"threshold": "high"}, "recogniser.threshold", "valid number"),
        ({"intra_op_threads": 0}, "recogniser.intra_op_threads", "greater than or equal to 1"),
        ({"inter_op_threads": -2}, "recogniser.inter_op_threads", "greater than or equal to 1"),
        ({"max_batch": 0}, "recogniser.max_batch", "greater than or equal to 1"),
        ({"providers": ["NoSuchExecutionProvider"]}, "recogniser.providers",
         "NoSuchExecutionProvider not available"),
        ({"providers": []}, "recogniser.providers", "at least one execution provider"),
        ({"treshold": 0.5}, "recogniser.treshold", "Extra inputs are not permitted"),
        ({"runtime": "tensorrt"}, "recogniser.runtime", "'auto', 'opencv' or 'onnxruntime'"),
        ({"runtime": "opencv", "providers": ["CPUExecutionProvider", "CPUExecutionProvider"]},
         "recogniser", "providers apply to runtime 'onnxruntime' only"),
        ({"runtime": "opencv", "inter_op_threads": 2}, "recogniser",
         "inter_op_threads applies to runtime 'onnxruntime' only"),
    ],
)
def test_invalid_options_are_a_configuration_error(
    host: PluginHost, options: dict[str, Any], key: str, says: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        host.recognisers.validate_options("arcface_onnx", options, "recogniser")
    message = str(caught.value)
    assert "recogniser 'arcface_onnx' (plugin 'arcface_onnx')" in message
    assert key in message
    assert says in message


def test_a_threshold_option_overrides_the_models_default(
    host: PluginHost, store: ModelStore
) -> None:
    built = host.recognisers.create("arcface_onnx", {"threshold": 0.5}, "recogniser",
                                    models=store)
    assert built.default_threshold == 0.5
