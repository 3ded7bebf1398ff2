"""Options are validated at start-up with clear messages naming the key."""

from __future__ import annotations

from typing import Any, get_args

import pytest
from lfr_mediapipe.models import MODEL_SPECS
from lfr_mediapipe.options import MediaPipeOptions, ModelId
from lfr_mediapipe.plugin import create_detector

from lfr_framework.errors import ConfigurationError
from lfr_framework.models.store import ModelStore
from lfr_framework.plugins import PluginHost


def test_plugin_registers_detector_and_models(host: PluginHost) -> None:
    info = host.plugins["mediapipe"]
    assert info.registers["detectors"] == ["mediapipe"]
    assert sorted(info.registers["models"]) == sorted(s.model_id for s in MODEL_SPECS)
    assert host.detectors.get("mediapipe").options is MediaPipeOptions


def test_defaults(host: PluginHost) -> None:
    assert host.detectors.validate_options("mediapipe", {}, "detector") == {
        "model": "blazeface-full-range-sparse",
        "min_score": 0.5,
        "tiles": "auto",
        "min_face_px": 32.0,
        "tile_overlap": 0.25,
        "refine": True,
        "refine_context": 3.0,
        "refine_size": 192,
        "nms_iou": 0.3,
    }


def test_option_model_covers_every_declared_model() -> None:
    assert set(get_args(ModelId)) == {spec.model_id for spec in MODEL_SPECS}


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"min_score": 2}, "detector.min_score"),
        ({"min_score": -0.1}, "detector.min_score"),
        ({"min_score": "high"}, "detector.min_score"),
        ({"model": "yunet"}, "detector.model"),
        ({"tiles": 0}, "detector.tiles"),
        ({"tiles": 9}, "detector.tiles"),
        ({"tiles": "many"}, "detector.tiles"),
        ({"min_face_px": 4}, "detector.min_face_px"),
        ({"refine_context": 1.0}, "detector.refine_context"),
        ({"refine_size": 40}, "detector.refine_size"),
        ({"tile_overlap": 0.9}, "detector.tile_overlap"),
        ({"nms_iou": 0}, "detector.nms_iou"),
        ({"min_scor": 0.4}, "detector.min_scor"),
    ],
)
def test_invalid_options_are_configuration_errors(
    host: PluginHost, options: dict[str, Any], key: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        host.detectors.validate_options("mediapipe", options, "detector")
    message = str(caught.value)
    assert key in message
    assert "plugin 'mediapipe'" in message


def test_unknown_model_message_lists_the_choices(host: PluginHost) -> None:
    with pytest.raises(ConfigurationError, match="blazeface-short-range"):
        host.detectors.validate_options("mediapipe", {"model": "blazeface"}, "detector")


def test_factory_called_directly_validates_too(store: ModelStore) -> None:
    with pytest.raises(ConfigurationError, match="min_score"):
        create_detector(store, min_score=2)
