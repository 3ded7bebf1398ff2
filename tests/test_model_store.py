"""The model store: fetch over HTTP (loopback), import, verify, refuse altered files."""

from __future__ import annotations

import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from lfr_framework.errors import ModelError, ModelHashMismatchError, ModelNotAvailableError
from lfr_framework.model_spec import ImportOnly, ModelSpec, UrlSource
from lfr_framework.models.store import ModelStore

PAYLOAD = b"not really a model, but bytes with a pinned hash\n" * 100
DIGEST = hashlib.sha256(PAYLOAD).hexdigest()


@pytest.fixture
def http_root(tmp_path: Path) -> Iterator[str]:
    root = tmp_path / "www"
    root.mkdir()
    (root / "model.bin").write_bytes(PAYLOAD)
    (root / "other.bin").write_bytes(b"different bytes")

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(root), **kwargs)  # type: ignore[arg-type]

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def spec(url: str, name: str = "model.bin", digest: str = DIGEST) -> ModelSpec:
    return ModelSpec("test-model", "model.bin", digest, "MIT",
                     (UrlSource(f"{url}/{name}"),))


def test_fetch_verifies_and_stores(http_root: str, tmp_path: Path) -> None:
    store = ModelStore([spec(http_root)], home=tmp_path)
    seen: list[int] = []
    path = store.fetch("test-model", progress=seen.append)
    assert path.read_bytes() == PAYLOAD
    assert sum(seen) == len(PAYLOAD)
    assert store.path("test-model") == path
    assert store.status("test-model", verify=True).verified is True


def test_fetch_with_wrong_hash_refuses_and_stores_nothing(http_root: str, tmp_path: Path) -> None:
    store = ModelStore([spec(http_root, name="other.bin")], home=tmp_path)
    with pytest.raises(ModelHashMismatchError) as info:
        store.fetch("test-model")
    assert DIGEST in str(info.value)
    assert hashlib.sha256(b"different bytes").hexdigest() in str(info.value)
    assert not store.location("test-model").exists()


def test_missing_model_names_the_fetch_command(tmp_path: Path) -> None:
    store = ModelStore([spec("http://127.0.0.1:9")], home=tmp_path)
    with pytest.raises(ModelNotAvailableError, match="lfr models fetch test-model"):
        store.path("test-model")


def test_import_only_model_names_the_import_command(tmp_path: Path) -> None:
    only = ModelSpec("licensed", "w.onnx", DIGEST, "non-commercial", (ImportOnly("from vendor"),))
    store = ModelStore([only], home=tmp_path)
    with pytest.raises(ModelNotAvailableError, match="lfr models import licensed FILE"):
        store.path("licensed")
    with pytest.raises(ModelNotAvailableError, match="lfr models import licensed FILE"):
        store.fetch("licensed")
    local = tmp_path / "w.onnx"
    local.write_bytes(PAYLOAD)
    assert store.import_file("licensed", local).read_bytes() == PAYLOAD


def test_import_of_a_wrong_file_prints_both_hashes(tmp_path: Path) -> None:
    store = ModelStore([spec("http://127.0.0.1:9")], home=tmp_path)
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"tampered")
    with pytest.raises(ModelHashMismatchError) as info:
        store.import_file("test-model", bad)
    assert DIGEST in str(info.value)
    assert hashlib.sha256(b"tampered").hexdigest() in str(info.value)


def test_a_stored_model_altered_later_is_refused_at_load(http_root: str, tmp_path: Path) -> None:
    store = ModelStore([spec(http_root)], home=tmp_path)
    path = store.fetch("test-model")
    path.write_bytes(PAYLOAD + b"x")
    with pytest.raises(ModelHashMismatchError, match="refusing to load"):
        store.path("test-model")
    assert store.status("test-model", verify=True).verified is False


def test_unknown_model_and_duplicate_declarations(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="declared twice"):
        ModelStore([spec("x"), spec("y")], home=tmp_path)
    with pytest.raises(ModelError, match="no plugin declares a model called 'nope'"):
        ModelStore([spec("x")], home=tmp_path).spec("nope")
