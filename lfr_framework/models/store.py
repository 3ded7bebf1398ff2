"""A content-addressed local store of model files under ``$LFR_HOME/models``."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from lfr_framework.errors import (
    ModelError,
    ModelHashMismatchError,
    ModelNotAvailableError,
)
from lfr_framework.model_spec import ImportOnly, ModelSpec
from lfr_framework.models.fetchers import fetch_source
from lfr_framework.private_files import private_dir

_CHUNK = 1 << 20


def default_home() -> Path:
    """``$LFR_HOME``, or ``~/.cache/lfr`` when it is not set."""
    env = os.environ.get("LFR_HOME")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "lfr"


def sha256_of(path: Path, progress: Callable[[int], None] | None = None) -> str:
    """The hex sha256 of a file, read in chunks; ``progress`` gets the bytes read."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            if progress is not None:
                progress(len(chunk))
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class ModelStatus:
    """Whether a declared model is present in the store and intact."""

    spec: ModelSpec
    path: Path
    present: bool
    verified: bool | None  # None when not checked


class ModelStore:
    """Holds the model files that plugins declare through ``register_models``."""

    def __init__(self, specs: Iterable[ModelSpec], home: Path | None = None) -> None:
        self.root = (home or default_home()) / "models"
        self._specs: dict[str, ModelSpec] = {}
        for spec in specs:
            if spec.model_id in self._specs:
                raise ModelError(f"model {spec.model_id!r} is declared twice")
            self._specs[spec.model_id] = spec

    # -- lookup ---------------------------------------------------------------

    def specs(self) -> list[ModelSpec]:
        """Every declared model, sorted by id."""
        return [self._specs[k] for k in sorted(self._specs)]

    def spec(self, model_id: str) -> ModelSpec:
        """The declaration of ``model_id``; raise ``ModelError`` naming the known ones if absent."""
        try:
            return self._specs[model_id]
        except KeyError:
            known = ", ".join(sorted(self._specs)) or "none"
            raise ModelError(
                f"no plugin declares a model called {model_id!r} (declared: {known})"
            ) from None

    def location(self, model_id: str) -> Path:
        """Where the file of ``model_id`` lives in the store (whether or not it is there)."""
        spec = self.spec(model_id)
        return self.root / spec.model_id / spec.filename

    def path(self, model_id: str) -> Path:
        """The verified path of a model file, ready to load.

        Raises ``ModelNotAvailableError`` with the command that gets it when it is
        missing, and ``ModelHashMismatchError`` with both hashes when it was altered.
        """
        spec = self.spec(model_id)
        location = self.location(model_id)
        if not location.is_file():
            raise ModelNotAvailableError(self._missing_message(spec), model_id=model_id)
        self._check_hash(spec, location)
        return location

    def status(self, model_id: str, verify: bool = False) -> ModelStatus:
        """Presence (and, with ``verify``, integrity) of one model."""
        spec = self.spec(model_id)
        location = self.location(model_id)
        present = location.is_file()
        verified: bool | None = None
        if verify and present:
            verified = sha256_of(location) == spec.sha256
        return ModelStatus(spec, location, present, verified)

    # -- changes --------------------------------------------------------------

    def fetch(self, model_id: str, progress: Callable[[int], None] | None = None) -> Path:
        """Fetch a model from its declared sources, verify it and store it; return its path."""
        spec = self.spec(model_id)
        location = self.location(model_id)
        if location.is_file() and sha256_of(location) == spec.sha256:
            return location
        errors: list[str] = []
        for source in spec.sources:
            if isinstance(source, ImportOnly):
                errors.append(source.describe())
                continue
            with tempfile.TemporaryDirectory(prefix="lfr-model-") as tmp:
                candidate = Path(tmp) / spec.filename
                try:
                    fetch_source(source, candidate)
                except ModelError as exc:
                    errors.append(f"{source.describe()}: {exc}")
                    continue
                self._install(spec, candidate, progress)
                return location
        raise ModelNotAvailableError(
            f"could not fetch model {model_id!r}: " + "; ".join(errors)
            + f". On an air-gapped machine run: lfr models import {model_id} FILE",
            model_id=model_id,
        )

    def import_file(
        self, model_id: str, source: Path, progress: Callable[[int], None] | None = None
    ) -> Path:
        """Copy a local file into the store after checking its sha256; return the stored path."""
        spec = self.spec(model_id)
        if not source.is_file():
            raise ModelError(f"{source} is not a file")
        self._install(spec, source, progress)
        return self.location(model_id)

    def _install(
        self, spec: ModelSpec, candidate: Path, progress: Callable[[int], None] | None
    ) -> None:
        actual = sha256_of(candidate, progress)
        if actual != spec.sha256:
            raise ModelHashMismatchError(
                f"refusing model {spec.model_id!r} from {candidate}: sha256 is {actual}, "
                f"expected {spec.sha256}"
            )
        location = self.location(spec.model_id)
        private_dir(location.parent)
        partial = location.with_suffix(location.suffix + ".partial")
        shutil.copyfile(candidate, partial)
        os.replace(partial, location)  # atomic: a reader never sees half a model

    def _check_hash(self, spec: ModelSpec, location: Path) -> None:
        actual = sha256_of(location)
        if actual != spec.sha256:
            raise ModelHashMismatchError(
                f"refusing to load model {spec.model_id!r}: {location} has sha256 {actual}, "
                f"expected {spec.sha256}. Run: lfr models fetch {spec.model_id} "
                f"(or lfr models import {spec.model_id} FILE)"
            )

    @staticmethod
    def _missing_message(spec: ModelSpec) -> str:
        if not spec.downloadable:
            how = f"lfr models import {spec.model_id} FILE"
        else:
            how = f"lfr models fetch {spec.model_id}"
        return f"model {spec.model_id!r} is not in the model store; run: {how}"
